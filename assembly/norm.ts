// Batch normalisation over N rows of C features: N = B·H·W after a conv (NHWC), N = B after a dense.
//   x, z, a, dz, dx: (N, C) f32, row-major (C contiguous);  gamma, beta, mean, inv_std,
//   run_mean, run_var, dgamma, dbeta: (C) f32;  scratch: scratch_bytes of per-channel workspace
//   owned by the caller (WasmBackend keeps a fixed block below slot 0 for it).
//
// Layout of the work: every pass streams the rows once, in order, channels in f32x4 steps (scalar
// tail for C mod 4, so C = 1 is all tail), per-channel f64 sums kept in the scratch block. The
// accumulating passes go in tiles of rows that stay in L1 while the 4-channel blocks take turns over
// them with their sums in registers (walking one channel block down all N rows instead re-reads
// every cache line C/4 times once N·C outgrows the cache: 4–8× slower at 64·26·26 × 32). Channels are taken in groups that fit the scratch block (all of them
// unless C is in the thousands). The reduction order is fixed: each channel's sum runs over the
// rows in row order, in f64, whatever part of the channels a thread is later given.
//
// Statistics: f64 sums and a two-pass variance, Σ (x − mean)² with the f64 mean, never
// E[x²] − E[x]²: with N = 43,264 rows an f32 running sum would lose ~4 digits exactly when the mean
// is large next to the spread. The normalisation is one pass over N·C in f32:
// z = (x − mean)·(gamma·invStd) + beta (subtracting first keeps the cancellation out of a folded
// x·k + (beta − mean·k)).
import { ACT_NONE, ACT_RELU, act_rows } from "./activations";

// how the normalising pass stores its result
const OUT_Z: i32 = 0; // z only (a == z with no activation, or a non-ReLU activation applied after)
const OUT_COPY: i32 = 1; // z and a = z
const OUT_RELU: i32 = 2; // z and a = max(z, 0) (if a == z, the second store wins)

@inline function emit4(zp: usize, ap: usize, v: v128, mode: i32): void {
  v128.store(zp, v);
  if (mode == OUT_COPY) v128.store(ap, v);
  else if (mode == OUT_RELU) v128.store(ap, f32x4.max(v, f32x4.splat(0)));
}

@inline function emit1(zp: usize, ap: usize, v: f32, mode: i32): void {
  store<f32>(zp, v);
  if (mode == OUT_COPY) store<f32>(ap, v);
  else if (mode == OUT_RELU) store<f32>(ap, v > 0 ? v : 0);
}

@inline function hi_half(v: v128): v128 {
  return v128.shuffle<f32>(v, v, 2, 3, 2, 3);
}

// PyTorch's factor for the running variance: N/(N − 1), or 1 when N = 1 (then the biased variance,
// which is 0, is used rather than dividing by zero).
@inline function unbias(N: i32): f64 {
  return N > 1 ? <f64>N / <f64>(N - 1) : 1.0;
}

// scratch bytes per channel: forward Σx, Σ(x − mean)² (f64) and k = gamma·invStd (f32);
// backward Σdz, Σdz·(x − mean), Σx (f64) and mean(dz), mean(dz·x̂), k (f32)
export const BN_FWD_SCRATCH_PER_CHANNEL: i32 = 20;
export const BN_BWD_SCRATCH_PER_CHANNEL: i32 = 36;

// channels per group: all C if they fit, else a multiple of 4 (at least 4)
@inline function group_width(C: i32, scratch_bytes: i32, per: i32): i32 {
  const g = scratch_bytes / per;
  return g >= C ? C : max(4, g & ~3);
}

// Rows per tile for the accumulating passes: a tile of the (one or two) arrays read stays in L1
// while the channel blocks take turns over it, each block's sums in registers for the whole tile
// (loaded from and stored back to scratch once per tile). Rows are still added in row order, so the
// sums are exactly those of a plain row-by-row loop.
@inline function tile_rows(C: i32): i32 {
  return max(1, 2048 / C);
}

// acc[j] += Σ_r x[r, j] for j in [0, G), rows r in [0, R) at stride ld (f64 acc, f32 x)
@inline function add_rows(acc: usize, x0: usize, R: i32, ld: usize, G: i32): void {
  let j = 0;
  // eight channels at a time: four independent f64 add chains hide the add latency
  for (; j + 8 <= G; j += 8) {
    const p = acc + <usize>j * 8;
    let s0 = v128.load(p), s1 = v128.load(p, 16), s2 = v128.load(p, 32), s3 = v128.load(p, 48);
    let xr = x0 + <usize>j * 4;
    for (let r = 0; r < R; r++, xr += ld) {
      const v = v128.load(xr), w = v128.load(xr, 16);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi_half(v)));
      s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
      s3 = f64x2.add(s3, f64x2.promote_low_f32x4(hi_half(w)));
    }
    v128.store(p, s0);
    v128.store(p, s1, 16);
    v128.store(p, s2, 32);
    v128.store(p, s3, 48);
  }
  for (; j + 4 <= G; j += 4) {
    const p = acc + <usize>j * 8;
    let s0 = v128.load(p), s1 = v128.load(p, 16);
    let xr = x0 + <usize>j * 4;
    for (let r = 0; r < R; r++, xr += ld) {
      const v = v128.load(xr);
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi_half(v)));
    }
    v128.store(p, s0);
    v128.store(p, s1, 16);
  }
  for (; j < G; j++) {
    const p = acc + <usize>j * 8;
    let s = load<f64>(p);
    let xr = x0 + <usize>j * 4;
    for (let r = 0; r < R; r++, xr += ld) s += <f64>load<f32>(xr);
    store<f64>(p, s);
  }
}

// q[j] += Σ_r (x[r, j] − m[j])² (f64 q and m, f32 x), tiled as add_rows
@inline function add_rows_sq(q: usize, m: usize, x0: usize, R: i32, ld: usize, G: i32): void {
  let j = 0;
  for (; j + 8 <= G; j += 8) {
    const o = <usize>j * 8;
    let q0 = v128.load(q + o), q1 = v128.load(q + o, 16), q2 = v128.load(q + o, 32), q3 = v128.load(q + o, 48);
    const m0 = v128.load(m + o), m1 = v128.load(m + o, 16), m2 = v128.load(m + o, 32), m3 = v128.load(m + o, 48);
    let xr = x0 + <usize>j * 4;
    for (let r = 0; r < R; r++, xr += ld) {
      const v = v128.load(xr), w = v128.load(xr, 16);
      const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), m0);
      const d1 = f64x2.sub(f64x2.promote_low_f32x4(hi_half(v)), m1);
      const d2 = f64x2.sub(f64x2.promote_low_f32x4(w), m2);
      const d3 = f64x2.sub(f64x2.promote_low_f32x4(hi_half(w)), m3);
      q0 = f64x2.add(q0, f64x2.mul(d0, d0));
      q1 = f64x2.add(q1, f64x2.mul(d1, d1));
      q2 = f64x2.add(q2, f64x2.mul(d2, d2));
      q3 = f64x2.add(q3, f64x2.mul(d3, d3));
    }
    v128.store(q + o, q0);
    v128.store(q + o, q1, 16);
    v128.store(q + o, q2, 32);
    v128.store(q + o, q3, 48);
  }
  for (; j + 4 <= G; j += 4) {
    const o = <usize>j * 8;
    let q0 = v128.load(q + o), q1 = v128.load(q + o, 16);
    const m0 = v128.load(m + o), m1 = v128.load(m + o, 16);
    let xr = x0 + <usize>j * 4;
    for (let r = 0; r < R; r++, xr += ld) {
      const v = v128.load(xr);
      const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), m0);
      const d1 = f64x2.sub(f64x2.promote_low_f32x4(hi_half(v)), m1);
      q0 = f64x2.add(q0, f64x2.mul(d0, d0));
      q1 = f64x2.add(q1, f64x2.mul(d1, d1));
    }
    v128.store(q + o, q0);
    v128.store(q + o, q1, 16);
  }
  for (; j < G; j++) {
    const o = <usize>j * 8;
    let acc = load<f64>(q + o);
    const mj = load<f64>(m + o);
    let xr = x0 + <usize>j * 4;
    for (let r = 0; r < R; r++, xr += ld) {
      const d = <f64>load<f32>(xr) - mj;
      acc += d * d;
    }
    store<f64>(q + o, acc);
  }
}

// training (1): batch statistics (biased variance) → mean, inv_std = 1/√(var + eps) (both written,
//   the backward reads them), running stats updated PyTorch's way: run = (1 − m)·run + m·stat with
//   the unbiased variance var·N/(N − 1) (N = 1: the biased one).
// evaluation (0): normalises with run_mean and 1/√(run_var + eps); mean, inv_std, run_* untouched.
// Then z = (x − mean)·(gamma·invStd) + beta and a = act(z) (a may equal z). OVERWRITES z and a.
// scratch: at least 80 bytes (4 channels); 20·C bytes take all channels in one group.
export function batch_norm_forward(a: usize, z: usize, x: usize, gamma: usize, beta: usize, mean: usize, inv_std: usize, run_mean: usize, run_var: usize, N: i32, C: i32, training: i32, momentum: f32, eps: f32, act: i32, scratch: usize, scratch_bytes: i32): void {
  const ld = <usize>C * 4;
  const mode = act == ACT_RELU ? OUT_RELU : act == ACT_NONE && a != z ? OUT_COPY : OUT_Z;
  const GW = group_width(C, scratch_bytes, BN_FWD_SCRATCH_PER_CHANNEL);
  for (let g0 = 0; g0 < C; g0 += GW) {
    const G = min(GW, C - g0);
    const cb = <usize>g0 * 4; // byte offset of the group's first channel in a row / a (C) vector
    const S = scratch, Q = scratch + <usize>G * 8, K = scratch + <usize>G * 16;
    if (training) {
      memory.fill(S, 0, <usize>G * 16);
      const T = tile_rows(C);
      for (let r = 0; r < N; r += T) add_rows(S, x + <usize>r * ld + cb, min(T, N - r), ld, G);
      for (let j = 0; j < G; j++) store<f64>(S + <usize>j * 8, load<f64>(S + <usize>j * 8) / <f64>N); // now the f64 mean
      for (let r = 0; r < N; r += T) add_rows_sq(Q, S, x + <usize>r * ld + cb, min(T, N - r), ld, G);
      const mom = <f64>momentum, keep = 1 - <f64>momentum, ub = unbias(N);
      for (let j = 0; j < G; j++) {
        const o = cb + <usize>j * 4;
        const m = load<f64>(S + <usize>j * 8);
        const v = load<f64>(Q + <usize>j * 8) / <f64>N;
        const is = <f32>(1 / Math.sqrt(v + <f64>eps));
        store<f32>(mean + o, <f32>m);
        store<f32>(inv_std + o, is);
        store<f32>(run_mean + o, <f32>(keep * <f64>load<f32>(run_mean + o) + mom * m));
        store<f32>(run_var + o, <f32>(keep * <f64>load<f32>(run_var + o) + mom * (v * ub)));
        store<f32>(K + <usize>j * 4, load<f32>(gamma + o) * is);
      }
    } else {
      for (let j = 0; j < G; j++) {
        const o = cb + <usize>j * 4;
        store<f32>(K + <usize>j * 4, load<f32>(gamma + o) * (<f32>1 / Mathf.sqrt(load<f32>(run_var + o) + eps)));
      }
    }
    // the normalising pass: one read of x, one write of z (and a)
    const mu = (training ? mean : run_mean) + cb, bt = beta + cb;
    for (let r = 0; r < N; r++) {
      const o = <usize>r * ld + cb;
      const xr = x + o, zr = z + o, ar = a + o;
      let j = 0;
      for (; j + 4 <= G; j += 4) {
        const jb = <usize>j * 4;
        const y = f32x4.add(f32x4.mul(f32x4.sub(v128.load(xr + jb), v128.load(mu + jb)), v128.load(K + jb)), v128.load(bt + jb));
        emit4(zr + jb, ar + jb, y, mode);
      }
      for (; j < G; j++) {
        const jb = <usize>j * 4;
        emit1(zr + jb, ar + jb, (load<f32>(xr + jb) - load<f32>(mu + jb)) * load<f32>(K + jb) + load<f32>(bt + jb), mode);
      }
    }
  }
  // the other activations are scalar and rare: one more pass over the (N·C) block
  if (act != ACT_NONE && act != ACT_RELU) act_rows(a, z, 1, N * C, N * C, act);
}

// Training-mode backward, dz w.r.t. z (any activation's derivative already applied).
// ACCUMULATES dgamma += Σ dz·x̂ and dbeta += Σ dz (parameter gradients add up across calls, like
// dense's dW); OVERWRITES dx = gamma·invStd·(dz − mean(dz) − x̂·mean(dz·x̂)) unless dx is 0 (NONE),
// x̂ = (x − mean)·invStd from the forward's mean and inv_std. Σ dz and Σ dz·(x − mean) run in f64.
// The stored mean is f32: rounded, it is off by up to half an ulp of |mean|, which shifts every x̂ by
// that error·invStd and Σ dz·x̂ by that times Σ dz — visible when the mean is large next to the spread
// (mean 300, std 2: 7·10⁻⁶ per row, ~10⁻⁴ relative in dgamma). The first pass reads x anyway, so it
// also sums x in f64 in the forward's order, recovering the forward's f64 mean exactly, and corrects
// Σ dz·(x − mean32) by (mean64 − mean32)·Σ dz. (x̂ in dx keeps the f32 mean: there the shift is
// multiplied by mean(dz·x̂) and stays at rounding level.)
// scratch: at least 144 bytes (4 channels); 36·C bytes take all channels in one group.
export function batch_norm_backward(dx: usize, dgamma: usize, dbeta: usize, dz: usize, x: usize, gamma: usize, mean: usize, inv_std: usize, N: i32, C: i32, scratch: usize, scratch_bytes: i32): void {
  const ld = <usize>C * 4;
  const GW = group_width(C, scratch_bytes, BN_BWD_SCRATCH_PER_CHANNEL);
  for (let g0 = 0; g0 < C; g0 += GW) {
    const G = min(GW, C - g0);
    const cb = <usize>g0 * 4;
    const D = scratch, P = scratch + <usize>G * 8, SX = scratch + <usize>G * 16;
    const MDZ = scratch + <usize>G * 24, MDH = scratch + <usize>G * 28, K = scratch + <usize>G * 32;
    const mu = mean + cb, iv = inv_std + cb;
    memory.fill(D, 0, <usize>G * 24);
    const T = tile_rows(C);
    for (let r0 = 0; r0 < N; r0 += T) {
      const R = min(T, N - r0);
      const o0 = <usize>r0 * ld + cb;
      let j = 0;
      for (; j + 4 <= G; j += 4) {
        const jb = <usize>j * 4, o8 = <usize>j * 8;
        let d0 = v128.load(D + o8), d1 = v128.load(D + o8, 16);
        let p0 = v128.load(P + o8), p1 = v128.load(P + o8, 16);
        let s0 = v128.load(SX + o8), s1 = v128.load(SX + o8, 16);
        const mv = v128.load(mu + jb);
        let o = o0 + jb;
        for (let r = 0; r < R; r++, o += ld) {
          const g = v128.load(dz + o), xv = v128.load(x + o);
          const gx = f32x4.mul(g, f32x4.sub(xv, mv));
          d0 = f64x2.add(d0, f64x2.promote_low_f32x4(g));
          d1 = f64x2.add(d1, f64x2.promote_low_f32x4(hi_half(g)));
          p0 = f64x2.add(p0, f64x2.promote_low_f32x4(gx));
          p1 = f64x2.add(p1, f64x2.promote_low_f32x4(hi_half(gx)));
          s0 = f64x2.add(s0, f64x2.promote_low_f32x4(xv));
          s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi_half(xv)));
        }
        v128.store(D + o8, d0);
        v128.store(D + o8, d1, 16);
        v128.store(P + o8, p0);
        v128.store(P + o8, p1, 16);
        v128.store(SX + o8, s0);
        v128.store(SX + o8, s1, 16);
      }
      for (; j < G; j++) {
        const jb = <usize>j * 4, o8 = <usize>j * 8;
        let d = load<f64>(D + o8), p = load<f64>(P + o8), sx = load<f64>(SX + o8);
        const m = load<f32>(mu + jb);
        let o = o0 + jb;
        for (let r = 0; r < R; r++, o += ld) {
          const g = load<f32>(dz + o), xv = load<f32>(x + o);
          d += <f64>g;
          p += <f64>(g * (xv - m));
          sx += <f64>xv;
        }
        store<f64>(D + o8, d);
        store<f64>(P + o8, p);
        store<f64>(SX + o8, sx);
      }
    }
    for (let j = 0; j < G; j++) {
      const jb = <usize>j * 4, o8 = <usize>j * 8;
      const d = load<f64>(D + o8);
      const m = load<f32>(mu + jb), is = load<f32>(iv + jb);
      // Σ dz·x̂ = invStd·(Σ dz·(x − mean32) − (mean64 − mean32)·Σ dz)
      const h = (load<f64>(P + o8) - (load<f64>(SX + o8) / <f64>N - <f64>m) * d) * <f64>is;
      store<f32>(dbeta + cb + jb, load<f32>(dbeta + cb + jb) + <f32>d);
      store<f32>(dgamma + cb + jb, load<f32>(dgamma + cb + jb) + <f32>h);
      store<f32>(MDZ + jb, <f32>(d / <f64>N));
      store<f32>(MDH + jb, <f32>(h / <f64>N));
      store<f32>(K + jb, load<f32>(gamma + cb + jb) * is);
    }
    if (!dx) continue;
    for (let r = 0; r < N; r++) {
      const o = <usize>r * ld + cb;
      const gr = dz + o, xr = x + o, dr = dx + o;
      let j = 0;
      for (; j + 4 <= G; j += 4) {
        const jb = <usize>j * 4;
        const xh = f32x4.mul(f32x4.sub(v128.load(xr + jb), v128.load(mu + jb)), v128.load(iv + jb));
        const t = f32x4.sub(f32x4.sub(v128.load(gr + jb), v128.load(MDZ + jb)), f32x4.mul(xh, v128.load(MDH + jb)));
        v128.store(dr + jb, f32x4.mul(v128.load(K + jb), t));
      }
      for (; j < G; j++) {
        const jb = <usize>j * 4;
        const xh = (load<f32>(xr + jb) - load<f32>(mu + jb)) * load<f32>(iv + jb);
        store<f32>(dr + jb, load<f32>(K + jb) * ((load<f32>(gr + jb) - load<f32>(MDZ + jb)) - xh * load<f32>(MDH + jb)));
      }
    }
  }
}
