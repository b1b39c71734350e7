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
