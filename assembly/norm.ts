// Batch normalisation over N rows of C features: N = B·H·W after a conv (NHWC), N = B after a dense.
//   x, z, a, dz, dx: (N, C) f32, row-major (C contiguous);  gamma, beta, mean, inv_std,
//   run_mean, run_var, dgamma, dbeta: (C) f32.
//
// Layout of the work: channels in blocks of 8 (two f32x4), then 4, then single channels; each block
// walks all N rows (stride C) with its statistics in registers, so nothing needs scratch memory and
// the per-channel sums run over rows in row order: a fixed reduction order, the same whatever part
// of the channels a thread is later given.
//
// Statistics are accumulated in f64 (each f32 value promoted, f64x2 adds) and the variance is
// two-pass, Σ (x − mean)², never E[x²] − E[x]²: with N = 64·26·26 = 43,264 rows an f32 running sum
// would lose ~4 digits exactly when the mean is large next to the spread. The normalisation itself
// is one pass over N·C in f32: z = (x − mean)·(gamma·invStd) + beta (subtracting first keeps the
// cancellation out of a folded x·k + (beta − mean·k)).
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

@inline function join(lo: v128, hi: v128): v128 {
  // [lo0, lo1, hi0, hi1] from two f64x2 demoted to f32
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

// PyTorch's factor for the running variance: N/(N − 1), or 1 when N = 1 (then the biased variance,
// which is 0, is used rather than dividing by zero).
@inline function unbias(N: i32): f64 {
  return N > 1 ? <f64>N / <f64>(N - 1) : 1.0;
}

// Four channels' statistics (f64x2 pairs s = Σx, q = Σ(x − mean)²) → mean, invStd, running stats.
@inline function finish4(cb: usize, s0: v128, s1: v128, q0: v128, q1: v128, N: i32, mean: usize, inv_std: usize, run_mean: usize, run_var: usize, momentum: f32, eps: f32): void {
  const n = f64x2.splat(<f64>N);
  const m0 = f64x2.div(s0, n), m1 = f64x2.div(s1, n);
  const v0 = f64x2.div(q0, n), v1 = f64x2.div(q1, n);
  const one = f64x2.splat(1);
  const ve = f64x2.splat(<f64>eps);
  v128.store(mean + cb, join(m0, m1));
  v128.store(inv_std + cb, join(f64x2.div(one, f64x2.sqrt(f64x2.add(v0, ve))), f64x2.div(one, f64x2.sqrt(f64x2.add(v1, ve)))));
  const mom = f64x2.splat(<f64>momentum), keep = f64x2.splat(1 - <f64>momentum);
  const ub = f64x2.splat(unbias(N));
  const rm = v128.load(run_mean + cb), rv = v128.load(run_var + cb);
  v128.store(run_mean + cb, join(
    f64x2.add(f64x2.mul(keep, f64x2.promote_low_f32x4(rm)), f64x2.mul(mom, m0)),
    f64x2.add(f64x2.mul(keep, f64x2.promote_low_f32x4(hi_half(rm))), f64x2.mul(mom, m1))));
  v128.store(run_var + cb, join(
    f64x2.add(f64x2.mul(keep, f64x2.promote_low_f32x4(rv)), f64x2.mul(mom, f64x2.mul(v0, ub))),
    f64x2.add(f64x2.mul(keep, f64x2.promote_low_f32x4(hi_half(rv))), f64x2.mul(mom, f64x2.mul(v1, ub)))));
}

// Σx then Σ(x − mean)² over the rows for channels [c, c + 4): writes mean, invStd, running stats.
@inline function stats4(xc: usize, ld: usize, cb: usize, N: i32, mean: usize, inv_std: usize, run_mean: usize, run_var: usize, momentum: f32, eps: f32): void {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let p = xc;
  for (let r = 0; r < N; r++, p += ld) {
    const v = v128.load(p);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi_half(v)));
  }
  const n = f64x2.splat(<f64>N);
  const m0 = f64x2.div(s0, n), m1 = f64x2.div(s1, n);
  let q0 = f64x2.splat(0), q1 = f64x2.splat(0);
  p = xc;
  for (let r = 0; r < N; r++, p += ld) {
    const v = v128.load(p);
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), m0);
    const d1 = f64x2.sub(f64x2.promote_low_f32x4(hi_half(v)), m1);
    q0 = f64x2.add(q0, f64x2.mul(d0, d0));
    q1 = f64x2.add(q1, f64x2.mul(d1, d1));
  }
  finish4(cb, s0, s1, q0, q1, N, mean, inv_std, run_mean, run_var, momentum, eps);
}

// The same for channels [c, c + 8): one walk over the rows reads a 32-byte run of each row.
@inline function stats8(xc: usize, ld: usize, cb: usize, N: i32, mean: usize, inv_std: usize, run_mean: usize, run_var: usize, momentum: f32, eps: f32): void {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let p = xc;
  for (let r = 0; r < N; r++, p += ld) {
    const v = v128.load(p), w = v128.load(p, 16);
    s0 = f64x2.add(s0, f64x2.promote_low_f32x4(v));
    s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi_half(v)));
    s2 = f64x2.add(s2, f64x2.promote_low_f32x4(w));
    s3 = f64x2.add(s3, f64x2.promote_low_f32x4(hi_half(w)));
  }
  const n = f64x2.splat(<f64>N);
  const m0 = f64x2.div(s0, n), m1 = f64x2.div(s1, n), m2 = f64x2.div(s2, n), m3 = f64x2.div(s3, n);
  let q0 = f64x2.splat(0), q1 = f64x2.splat(0), q2 = f64x2.splat(0), q3 = f64x2.splat(0);
  p = xc;
  for (let r = 0; r < N; r++, p += ld) {
    const v = v128.load(p), w = v128.load(p, 16);
    const d0 = f64x2.sub(f64x2.promote_low_f32x4(v), m0);
    const d1 = f64x2.sub(f64x2.promote_low_f32x4(hi_half(v)), m1);
    const d2 = f64x2.sub(f64x2.promote_low_f32x4(w), m2);
    const d3 = f64x2.sub(f64x2.promote_low_f32x4(hi_half(w)), m3);
    q0 = f64x2.add(q0, f64x2.mul(d0, d0));
    q1 = f64x2.add(q1, f64x2.mul(d1, d1));
    q2 = f64x2.add(q2, f64x2.mul(d2, d2));
    q3 = f64x2.add(q3, f64x2.mul(d3, d3));
  }
  finish4(cb, s0, s1, q0, q1, N, mean, inv_std, run_mean, run_var, momentum, eps);
  finish4(cb + 16, s2, s3, q2, q3, N, mean, inv_std, run_mean, run_var, momentum, eps);
}

// One channel, scalar (the tail when C is not a multiple of 4; all of C = 1).
@inline function stats1(xc: usize, ld: usize, cb: usize, N: i32, mean: usize, inv_std: usize, run_mean: usize, run_var: usize, momentum: f32, eps: f32): void {
  let s: f64 = 0;
  let p = xc;
  for (let r = 0; r < N; r++, p += ld) s += <f64>load<f32>(p);
  const m = s / <f64>N;
  let q: f64 = 0;
  p = xc;
  for (let r = 0; r < N; r++, p += ld) {
    const d = <f64>load<f32>(p) - m;
    q += d * d;
  }
  const v = q / <f64>N;
  store<f32>(mean + cb, <f32>m);
  store<f32>(inv_std + cb, <f32>(1 / Math.sqrt(v + <f64>eps)));
  const mom = <f64>momentum, keep = 1 - <f64>momentum;
  store<f32>(run_mean + cb, <f32>(keep * <f64>load<f32>(run_mean + cb) + mom * m));
  store<f32>(run_var + cb, <f32>(keep * <f64>load<f32>(run_var + cb) + mom * (v * unbias(N))));
}

// training (1): batch statistics (biased variance) → mean, inv_std = 1/√(var + eps) (both written,
//   the backward reads them), running stats updated PyTorch's way: run = (1 − m)·run + m·stat with
//   the unbiased variance var·N/(N − 1) (N = 1: the biased one).
// evaluation (0): normalises with run_mean and 1/√(run_var + eps); mean, inv_std, run_* untouched.
// Then z = (x − mean)·(gamma·invStd) + beta and a = act(z) (a may equal z). OVERWRITES z and a.
export function batch_norm_forward(a: usize, z: usize, x: usize, gamma: usize, beta: usize, mean: usize, inv_std: usize, run_mean: usize, run_var: usize, N: i32, C: i32, training: i32, momentum: f32, eps: f32, act: i32): void {
  const ld = <usize>C * 4;
  const mode = act == ACT_RELU ? OUT_RELU : act == ACT_NONE && a != z ? OUT_COPY : OUT_Z;
  // in evaluation the normaliser comes from the running statistics
  const mu = training ? mean : run_mean;
  let c = 0;
  for (; c + 8 <= C; c += 8) {
    const cb = <usize>c * 4;
    if (training) stats8(x + cb, ld, cb, N, mean, inv_std, run_mean, run_var, momentum, eps);
    const m0 = v128.load(mu + cb), m1 = v128.load(mu + cb, 16);
    const i0 = training ? v128.load(inv_std + cb) : eval_inv_std4(run_var + cb, eps);
    const i1 = training ? v128.load(inv_std + cb, 16) : eval_inv_std4(run_var + cb + 16, eps);
    const k0 = f32x4.mul(v128.load(gamma + cb), i0), k1 = f32x4.mul(v128.load(gamma + cb, 16), i1);
    const b0 = v128.load(beta + cb), b1 = v128.load(beta + cb, 16);
    let o = cb;
    for (let r = 0; r < N; r++, o += ld) {
      const y0 = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), m0), k0), b0);
      const y1 = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o, 16), m1), k1), b1);
      emit4(z + o, a + o, y0, mode);
      emit4(z + o + 16, a + o + 16, y1, mode);
    }
  }
  for (; c + 4 <= C; c += 4) {
    const cb = <usize>c * 4;
    if (training) stats4(x + cb, ld, cb, N, mean, inv_std, run_mean, run_var, momentum, eps);
    const m0 = v128.load(mu + cb);
    const i0 = training ? v128.load(inv_std + cb) : eval_inv_std4(run_var + cb, eps);
    const k0 = f32x4.mul(v128.load(gamma + cb), i0);
    const b0 = v128.load(beta + cb);
    let o = cb;
    for (let r = 0; r < N; r++, o += ld) emit4(z + o, a + o, f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), m0), k0), b0), mode);
  }
  for (; c < C; c++) {
    const cb = <usize>c * 4;
    if (training) stats1(x + cb, ld, cb, N, mean, inv_std, run_mean, run_var, momentum, eps);
    const m = load<f32>(mu + cb);
    const is = training ? load<f32>(inv_std + cb) : <f32>1 / Mathf.sqrt(load<f32>(run_var + cb) + eps);
    const k = load<f32>(gamma + cb) * is;
    const bb = load<f32>(beta + cb);
    let o = cb;
    for (let r = 0; r < N; r++, o += ld) emit1(z + o, a + o, (load<f32>(x + o) - m) * k + bb, mode);
  }
  // the other activations are scalar and rare: one more pass over the (N·C) block
  if (act != ACT_NONE && act != ACT_RELU) act_rows(a, z, 1, N * C, N * C, act);
}

@inline function eval_inv_std4(rv: usize, eps: f32): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.sqrt(f32x4.add(v128.load(rv), f32x4.splat(eps))));
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
export function batch_norm_backward(dx: usize, dgamma: usize, dbeta: usize, dz: usize, x: usize, gamma: usize, mean: usize, inv_std: usize, N: i32, C: i32): void {
  const ld = <usize>C * 4;
  const n = f64x2.splat(<f64>N);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const cb = <usize>c * 4;
    const mv = v128.load(mean + cb), iv = v128.load(inv_std + cb);
    let d0 = f64x2.splat(0), d1 = f64x2.splat(0), p0 = f64x2.splat(0), p1 = f64x2.splat(0);
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    let o = cb;
    for (let r = 0; r < N; r++, o += ld) {
      const g = v128.load(dz + o), xv = v128.load(x + o);
      const gx = f32x4.mul(g, f32x4.sub(xv, mv));
      d0 = f64x2.add(d0, f64x2.promote_low_f32x4(g));
      d1 = f64x2.add(d1, f64x2.promote_low_f32x4(hi_half(g)));
      p0 = f64x2.add(p0, f64x2.promote_low_f32x4(gx));
      p1 = f64x2.add(p1, f64x2.promote_low_f32x4(hi_half(gx)));
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(xv));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(hi_half(xv)));
    }
    // Σ dz·x̂ = invStd·(Σ dz·(x − mean32) − (mean64 − mean32)·Σ dz): see the note above
    const e0 = f64x2.sub(f64x2.div(s0, n), f64x2.promote_low_f32x4(mv)), e1 = f64x2.sub(f64x2.div(s1, n), f64x2.promote_low_f32x4(hi_half(mv)));
    const h0 = f64x2.mul(f64x2.sub(p0, f64x2.mul(e0, d0)), f64x2.promote_low_f32x4(iv));
    const h1 = f64x2.mul(f64x2.sub(p1, f64x2.mul(e1, d1)), f64x2.promote_low_f32x4(hi_half(iv)));
    v128.store(dbeta + cb, f32x4.add(v128.load(dbeta + cb), join(d0, d1)));
    v128.store(dgamma + cb, f32x4.add(v128.load(dgamma + cb), join(h0, h1)));
    if (!dx) continue;
    const mdz = join(f64x2.div(d0, n), f64x2.div(d1, n)); // mean(dz)
    const mdh = join(f64x2.div(h0, n), f64x2.div(h1, n)); // mean(dz·x̂)
    const k = f32x4.mul(v128.load(gamma + cb), iv);
    o = cb;
    for (let r = 0; r < N; r++, o += ld) {
      const xh = f32x4.mul(f32x4.sub(v128.load(x + o), mv), iv);
      v128.store(dx + o, f32x4.mul(k, f32x4.sub(f32x4.sub(v128.load(dz + o), mdz), f32x4.mul(xh, mdh))));
    }
  }
  for (; c < C; c++) {
    const cb = <usize>c * 4;
    const m = load<f32>(mean + cb), is = load<f32>(inv_std + cb);
    let d: f64 = 0, p: f64 = 0, sx: f64 = 0;
    let o = cb;
    for (let r = 0; r < N; r++, o += ld) {
      const g = load<f32>(dz + o), xv = load<f32>(x + o);
      d += <f64>g;
      p += <f64>(g * (xv - m));
      sx += <f64>xv;
    }
    const h = (p - (sx / <f64>N - <f64>m) * d) * <f64>is;
    store<f32>(dbeta + cb, load<f32>(dbeta + cb) + <f32>d);
    store<f32>(dgamma + cb, load<f32>(dgamma + cb) + <f32>h);
    if (!dx) continue;
    const mdz = <f32>(d / <f64>N), mdh = <f32>(h / <f64>N);
    const k = load<f32>(gamma + cb) * is;
    o = cb;
    for (let r = 0; r < N; r++, o += ld) {
      const xh = (load<f32>(x + o) - m) * is;
      store<f32>(dx + o, k * ((load<f32>(dz + o) - mdz) - xh * mdh));
    }
  }
}
