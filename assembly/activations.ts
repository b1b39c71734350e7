// Activation functions shared by the fused forward epilogue and the backward mask.
// Codes are part of the ABI (src/model/spec.ts mirrors them).
export const ACT_NONE: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_LEAKY_RELU: i32 = 2;
export const ACT_TANH: i32 = 3;
export const ACT_SIGMOID: i32 = 4;
export const ACT_GELU: i32 = 5;

export const LEAKY_SLOPE: f32 = 0.01;
// sqrt(2/pi), for the tanh approximation of GELU (as in GPT-2 / llm.c)
const GELU_K: f32 = 0.7978845608028654;
const GELU_C: f32 = 0.044715;

// a = act(z)
@inline export function act_scalar(z: f32, act: i32): f32 {
  if (act == ACT_RELU) return z > 0 ? z : 0;
  if (act == ACT_LEAKY_RELU) return z > 0 ? z : z * LEAKY_SLOPE;
  if (act == ACT_TANH) return Mathf.tanh(z);
  if (act == ACT_SIGMOID) return sigmoid(z);
  if (act == ACT_GELU) return <f32>0.5 * z * (<f32>1 + Mathf.tanh(GELU_K * (z + GELU_C * z * z * z)));
  return z;
}

// d act(z) / dz, from z alone: the stored activation may have been scaled by a dropout mask.
@inline export function act_grad_scalar(z: f32, act: i32): f32 {
  if (act == ACT_RELU) return z > 0 ? 1 : 0;
  if (act == ACT_LEAKY_RELU) return z > 0 ? 1 : LEAKY_SLOPE;
  if (act == ACT_TANH) {
    const t = Mathf.tanh(z);
    return <f32>1 - t * t;
  }
  if (act == ACT_SIGMOID) {
    const s = sigmoid(z);
    return s * (<f32>1 - s);
  }
  if (act == ACT_GELU) {
    const u = GELU_K * (z + GELU_C * z * z * z);
    const t = Mathf.tanh(u);
    const du = GELU_K * (<f32>1 + <f32>3 * GELU_C * z * z);
    return <f32>0.5 * (<f32>1 + t) + <f32>0.5 * z * (<f32>1 - t * t) * du;
  }
  return 1;
}

@inline function sigmoid(z: f32): f32 {
  // never exponentiates a large positive number
  if (z >= 0) return <f32>1 / (<f32>1 + Mathf.exp(-z));
  const e = Mathf.exp(z);
  return e / (<f32>1 + e);
}

// In place over rows [0, rows) of a (rows × n) block with row stride ld:
// a = act(z). ReLU stays in SIMD; the others are scalar (they are rare in hot paths).
export function act_rows(a: usize, z: usize, rows: i32, n: i32, ld: i32, act: i32): void {
  if (act == ACT_NONE) {
    if (a == z) return;
    for (let r = 0; r < rows; r++) memory.copy(a + <usize>(r * ld) * 4, z + <usize>(r * ld) * 4, <usize>n * 4);
    return;
  }
  for (let r = 0; r < rows; r++) {
    const zr = z + <usize>(r * ld) * 4;
    const ar = a + <usize>(r * ld) * 4;
    let j = 0;
    if (act == ACT_RELU) {
      const zero = f32x4.splat(0);
      for (; j + 4 <= n; j += 4) v128.store(ar + <usize>j * 4, f32x4.max(v128.load(zr + <usize>j * 4), zero));
    }
    for (; j < n; j++) store<f32>(ar + <usize>j * 4, act_scalar(load<f32>(zr + <usize>j * 4), act));
  }
}

// In place over rows [0, rows) of g (rows × n, stride ld): g *= act'(z).
export function act_grad_rows(g: usize, z: usize, rows: i32, n: i32, ld: i32, act: i32): void {
  if (act == ACT_NONE) return;
  for (let r = 0; r < rows; r++) {
    const gr = g + <usize>(r * ld) * 4;
    const zr = z + <usize>(r * ld) * 4;
    let j = 0;
    if (act == ACT_RELU) {
      const zero = f32x4.splat(0);
      for (; j + 4 <= n; j += 4) {
        const m = f32x4.gt(v128.load(zr + <usize>j * 4), zero);
        v128.store(gr + <usize>j * 4, v128.and(v128.load(gr + <usize>j * 4), m));
      }
    }
    for (; j < n; j++) {
      const p = gr + <usize>j * 4;
      store<f32>(p, load<f32>(p) * act_grad_scalar(load<f32>(zr + <usize>j * 4), act));
    }
  }
}

// dz *= act'(z) over n values (dz, z: (n) f32), for a layer whose backward kernel does not fuse the
// activation's derivative (pooling, batch norm). Modifies dz in place.
export function activation_backward(dz: usize, z: usize, n: i32, act: i32): void {
  act_grad_rows(dz, z, 1, n, n, act);
}
