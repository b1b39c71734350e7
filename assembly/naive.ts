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
