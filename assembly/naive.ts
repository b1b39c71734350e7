// Naive scalar twins of the fast kernels in dense.ts: same signatures, same results up to
// summation order. They are the in-wasm reference for tests and the baseline in bench/.
import { act_scalar, act_grad_scalar } from "./activations";

const INV_255: f32 = <f32>1 / <f32>255;

@inline function dense_forward_naive_t<T>(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, IN: i32, OUT: i32, act: i32, scale: f32): void {
  const esz = <usize>sizeof<T>();
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < OUT; j++) {
      let s: f32 = load<f32>(b + <usize>j * 4);
      for (let k = 0; k < IN; k++)
        s += <f32>load<T>(x + (<usize>i * <usize>IN + <usize>k) * esz) * scale * load<f32>(w + (<usize>k * <usize>OUT + <usize>j) * 4);
      const o = (<usize>i * <usize>OUT + <usize>j) * 4;
      store<f32>(z + o, s);
      store<f32>(a + o, act_scalar(s, act));
    }
  }
}

export function dense_forward_naive(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, IN: i32, OUT: i32, act: i32, scratch: usize): void {
  dense_forward_naive_t<f32>(a, z, x, w, b, B, IN, OUT, act, 1);
}

export function dense_forward_u8_naive(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, IN: i32, OUT: i32, act: i32, scratch: usize): void {
  dense_forward_naive_t<u8>(a, z, x, w, b, B, IN, OUT, act, INV_255);
}

@inline function dense_backward_params_naive<T>(dw: usize, db: usize, dz: usize, x: usize, B: i32, IN: i32, OUT: i32, scale: f32): void {
  const esz = <usize>sizeof<T>();
  for (let k = 0; k < IN; k++) {
    for (let j = 0; j < OUT; j++) {
      let s: f32 = 0;
      for (let i = 0; i < B; i++)
        s += <f32>load<T>(x + (<usize>i * <usize>IN + <usize>k) * esz) * scale * load<f32>(dz + (<usize>i * <usize>OUT + <usize>j) * 4);
      const o = (<usize>k * <usize>OUT + <usize>j) * 4;
      store<f32>(dw + o, load<f32>(dw + o) + s);
    }
  }
  for (let j = 0; j < OUT; j++) {
    let s: f32 = 0;
    for (let i = 0; i < B; i++) s += load<f32>(dz + (<usize>i * <usize>OUT + <usize>j) * 4);
    store<f32>(db + <usize>j * 4, load<f32>(db + <usize>j * 4) + s);
  }
}

export function dense_backward_naive(dz_prev: usize, dw: usize, db: usize, dz: usize, x: usize, z_prev: usize, w: usize, B: i32, IN: i32, OUT: i32, act_prev: i32, scratch: usize): void {
  dense_backward_params_naive<f32>(dw, db, dz, x, B, IN, OUT, 1);
  if (dz_prev == 0) return;
  for (let i = 0; i < B; i++) {
    for (let k = 0; k < IN; k++) {
      let s: f32 = 0;
      for (let j = 0; j < OUT; j++)
        s += load<f32>(dz + (<usize>i * <usize>OUT + <usize>j) * 4) * load<f32>(w + (<usize>k * <usize>OUT + <usize>j) * 4);
      const o = (<usize>i * <usize>IN + <usize>k) * 4;
      store<f32>(dz_prev + o, s * act_grad_scalar(load<f32>(z_prev + o), act_prev));
    }
  }
}

export function dense_backward_u8_naive(dw: usize, db: usize, dz: usize, x: usize, B: i32, IN: i32, OUT: i32, scratch: usize): void {
  dense_backward_params_naive<u8>(dw, db, dz, x, B, IN, OUT, INV_255);
}

// ---- pooling, batch norm, activation backward, uint8 cast: scalar twins of pool.ts, norm.ts,
// activations.ts (activation_backward) and cast.ts. Same layouts and contracts (NHWC; argmax the
// in-plane index h·W + w of the first maximum; backward pools overwrite dx; batch norm statistics
// in f64, two-pass). One element at a time, index arithmetic spelled out.

@inline function at(p: usize, i: i32): usize {
  return p + <usize>i * 4;
}

export function max_pool_forward_naive(y: usize, argmax: usize, x: usize, B: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32, SH: i32, SW: i32, OH: i32, OW: i32): void {
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          let best: f32 = 0;
          let idx = -1;
          for (let ky = 0; ky < PH; ky++)
            for (let kx = 0; kx < PW; kx++) {
              const h = oy * SH + ky, w = ox * SW + kx;
              const v = load<f32>(at(x, ((b * H + h) * W + w) * C + c));
              if (idx < 0 || v > best) {
                best = v;
                idx = h * W + w;
              }
            }
          const o = ((b * OH + oy) * OW + ox) * C + c;
          store<f32>(at(y, o), best);
          if (argmax) store<i32>(at(argmax, o), idx);
        }
}

export function max_pool_backward_naive(dx: usize, dy: usize, argmax: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32): void {
  for (let i = 0; i < B * H * W * C; i++) store<f32>(at(dx, i), 0);
  for (let b = 0; b < B; b++)
    for (let o = 0; o < OH * OW; o++)
      for (let c = 0; c < C; c++) {
        const k = (b * OH * OW + o) * C + c;
        const t = at(dx, (b * H * W + load<i32>(at(argmax, k))) * C + c);
        store<f32>(t, load<f32>(t) + load<f32>(at(dy, k)));
      }
}

export function avg_pool_forward_naive(y: usize, x: usize, B: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32, SH: i32, SW: i32, OH: i32, OW: i32): void {
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          let s: f32 = 0;
          for (let ky = 0; ky < PH; ky++)
            for (let kx = 0; kx < PW; kx++) s += load<f32>(at(x, ((b * H + oy * SH + ky) * W + ox * SW + kx) * C + c));
          store<f32>(at(y, ((b * OH + oy) * OW + ox) * C + c), s / <f32>(PH * PW));
        }
}

export function avg_pool_backward_naive(dx: usize, dy: usize, B: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32, SH: i32, SW: i32, OH: i32, OW: i32): void {
  for (let i = 0; i < B * H * W * C; i++) store<f32>(at(dx, i), 0);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          const g = load<f32>(at(dy, ((b * OH + oy) * OW + ox) * C + c)) / <f32>(PH * PW);
          for (let ky = 0; ky < PH; ky++)
            for (let kx = 0; kx < PW; kx++) {
              const t = at(dx, ((b * H + oy * SH + ky) * W + ox * SW + kx) * C + c);
              store<f32>(t, load<f32>(t) + g);
            }
        }
}

export function batch_norm_forward_naive(a: usize, z: usize, x: usize, gamma: usize, beta: usize, mean: usize, inv_std: usize, run_mean: usize, run_var: usize, N: i32, C: i32, training: i32, momentum: f32, eps: f32, act: i32, scratch: usize, scratch_bytes: i32): void {
  for (let c = 0; c < C; c++) {
    let m: f32, is: f32;
    if (training) {
      let s: f64 = 0;
      for (let r = 0; r < N; r++) s += <f64>load<f32>(at(x, r * C + c));
      const mu = s / <f64>N;
      let q: f64 = 0;
      for (let r = 0; r < N; r++) {
        const d = <f64>load<f32>(at(x, r * C + c)) - mu;
        q += d * d;
      }
      const v = q / <f64>N;
      m = <f32>mu;
      is = <f32>(1 / Math.sqrt(v + <f64>eps));
      store<f32>(at(mean, c), m);
      store<f32>(at(inv_std, c), is);
      const unb: f64 = N > 1 ? <f64>N / <f64>(N - 1) : 1.0;
      store<f32>(at(run_mean, c), <f32>((1 - <f64>momentum) * <f64>load<f32>(at(run_mean, c)) + <f64>momentum * mu));
      store<f32>(at(run_var, c), <f32>((1 - <f64>momentum) * <f64>load<f32>(at(run_var, c)) + <f64>momentum * (v * unb)));
    } else {
      m = load<f32>(at(run_mean, c));
      is = <f32>1 / Mathf.sqrt(load<f32>(at(run_var, c)) + eps);
    }
    const k = load<f32>(at(gamma, c)) * is;
    const bb = load<f32>(at(beta, c));
    for (let r = 0; r < N; r++) {
      const i = r * C + c;
      const v = (load<f32>(at(x, i)) - m) * k + bb;
      store<f32>(at(z, i), v);
      store<f32>(at(a, i), act_scalar(v, act));
    }
  }
}

export function batch_norm_backward_naive(dx: usize, dgamma: usize, dbeta: usize, dz: usize, x: usize, gamma: usize, mean: usize, inv_std: usize, N: i32, C: i32, scratch: usize, scratch_bytes: i32): void {
  for (let c = 0; c < C; c++) {
    const m = load<f32>(at(mean, c)), is = load<f32>(at(inv_std, c));
    let d: f64 = 0, p: f64 = 0, sx: f64 = 0;
    for (let r = 0; r < N; r++) {
      const g = load<f32>(at(dz, r * C + c)), xv = load<f32>(at(x, r * C + c));
      d += <f64>g;
      p += <f64>(g * (xv - m));
      sx += <f64>xv;
    }
    // corrected for the f32 rounding of the stored mean (as in norm.ts)
    const h = (p - (sx / <f64>N - <f64>m) * d) * <f64>is;
    store<f32>(at(dbeta, c), load<f32>(at(dbeta, c)) + <f32>d);
    store<f32>(at(dgamma, c), load<f32>(at(dgamma, c)) + <f32>h);
    if (!dx) continue;
    const mdz = <f32>(d / <f64>N), mdh = <f32>(h / <f64>N);
    const k = load<f32>(at(gamma, c)) * is;
    for (let r = 0; r < N; r++) {
      const i = r * C + c;
      const xh = (load<f32>(at(x, i)) - m) * is;
      store<f32>(at(dx, i), k * ((load<f32>(at(dz, i)) - mdz) - xh * mdh));
    }
  }
}

export function activation_backward_naive(dz: usize, z: usize, n: i32, act: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(dz, i), load<f32>(at(dz, i)) * act_grad_scalar(load<f32>(at(z, i)), act));
}

export function cast_u8_naive(dst: usize, src: usize, n: i32, scale: f32): void {
  for (let i = 0; i < n; i++) store<f32>(at(dst, i), <f32>load<u8>(src + <usize>i) * scale);
}
// ---- convolution twins of conv.ts (direct loops, no im2col): same signatures and results up to
// summation order. x: (B, H, W, C), w: (K, K, C, F), b: (F), z, a, dz: (B, OH, OW, F).

@inline function conv_forward_naive_t<T>(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act: i32, scale: f32): void {
  const esz = <usize>sizeof<T>();
  for (let n = 0; n < B; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let f = 0; f < F; f++) {
          let s: f32 = load<f32>(b + <usize>f * 4);
          for (let ky = 0; ky < K; ky++) {
            const iy = oy * S - padT + ky;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < K; kx++) {
              const ix = ox * S - padL + kx;
              if (ix < 0 || ix >= W) continue;
              for (let c = 0; c < C; c++)
                s += <f32>load<T>(x + (((<usize>n * H + iy) * W + ix) * C + c) * esz) * scale * load<f32>(w + (((<usize>ky * K + kx) * C + c) * F + f) * 4);
            }
          }
          const o = (((<usize>n * OH + oy) * OW + ox) * F + f) * 4;
          store<f32>(z + o, s);
          store<f32>(a + o, act_scalar(s, act));
        }
}

export function conv_forward_naive(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act: i32, scratch: usize): void {
  conv_forward_naive_t<f32>(a, z, x, w, b, B, H, W, C, F, K, S, padT, padL, OH, OW, act, 1);
}

export function conv_forward_u8_naive(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act: i32, scratch: usize): void {
  conv_forward_naive_t<u8>(a, z, x, w, b, B, H, W, C, F, K, S, padT, padL, OH, OW, act, INV_255);
}

// Accumulates dw += Σ x·dz, db += Σ dz.
@inline function conv_backward_filter_naive_t<T>(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scale: f32): void {
  const esz = <usize>sizeof<T>();
  for (let ky = 0; ky < K; ky++)
    for (let kx = 0; kx < K; kx++)
      for (let c = 0; c < C; c++)
        for (let f = 0; f < F; f++) {
          let s: f32 = 0;
          for (let n = 0; n < B; n++)
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * S - padT + ky;
              if (iy < 0 || iy >= H) continue;
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox * S - padL + kx;
                if (ix < 0 || ix >= W) continue;
                s += <f32>load<T>(x + (((<usize>n * H + iy) * W + ix) * C + c) * esz) * scale * load<f32>(dz + (((<usize>n * OH + oy) * OW + ox) * F + f) * 4);
              }
            }
          const o = (((<usize>ky * K + kx) * C + c) * F + f) * 4;
          store<f32>(dw + o, load<f32>(dw + o) + s);
        }
  for (let f = 0; f < F; f++) {
    let s: f32 = 0;
    for (let i = 0; i < B * OH * OW; i++) s += load<f32>(dz + (<usize>i * F + f) * 4);
    store<f32>(db + <usize>f * 4, load<f32>(db + <usize>f * 4) + s);
  }
}

export function conv_backward_filter_naive(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize): void {
  conv_backward_filter_naive_t<f32>(dw, db, dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, 1);
}

export function conv_backward_filter_u8_naive(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize): void {
  conv_backward_filter_naive_t<u8>(dw, db, dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, INV_255);
}

// Overwrites dx[n, iy, ix, c] = act_prev'(z_prev) · Σ over the (ky, kx) with iy = oy·S − padT + ky
// (and likewise for ix) of Σ_f dz[n, oy, ox, f]·w[ky, kx, c, f]: gathered per input pixel.
export function conv_backward_data_naive(dx: usize, dz: usize, w: usize, z_prev: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act_prev: i32, scratch: usize): void {
  for (let n = 0; n < B; n++)
    for (let iy = 0; iy < H; iy++)
      for (let ix = 0; ix < W; ix++)
        for (let c = 0; c < C; c++) {
          let s: f32 = 0;
          for (let ky = 0; ky < K; ky++) {
            const ty = iy + padT - ky;
            if (ty < 0 || ty % S != 0) continue;
            const oy = ty / S;
            if (oy >= OH) continue;
            for (let kx = 0; kx < K; kx++) {
              const tx = ix + padL - kx;
              if (tx < 0 || tx % S != 0) continue;
              const ox = tx / S;
              if (ox >= OW) continue;
              for (let f = 0; f < F; f++)
                s += load<f32>(dz + (((<usize>n * OH + oy) * OW + ox) * F + f) * 4) * load<f32>(w + (((<usize>ky * K + kx) * C + c) * F + f) * 4);
            }
          }
          const o = (((<usize>n * H + iy) * W + ix) * C + c) * 4;
          const g: f32 = act_prev == 0 ? 1 : act_grad_scalar(load<f32>(z_prev + o), act_prev);
          store<f32>(dx + o, s * g);
        }
}
