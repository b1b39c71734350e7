// Optimizer updates over the flat parameter block: one loop each, f32x4 with a scalar tail.
// p: params (n), g: grads (n), state vectors (n) each. Weight decay wd: L2 (added to the gradient)
// unless the update is decoupled (AdamW), where p -= lr·wd·p.

// p -= lr · g
export function sgd_step(p: usize, g: usize, n: i32, lr: f32): void {
  const vlr = f32x4.splat(lr);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.mul(vlr, v128.load(g + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(p + o, load<f32>(p + o) - lr * load<f32>(g + o));
  }
}

// PyTorch's SGD with momentum μ, dampening 0:  d = g + wd·p;  v = μ·v + d;
// p -= lr · (nesterov ? d + μ·v : v)
export function sgd_momentum_step(p: usize, g: usize, v: usize, n: i32, lr: f32, momentum: f32, nesterov: i32, wd: f32): void {
  const vlr = f32x4.splat(lr), vmu = f32x4.splat(momentum), vwd = f32x4.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    const pp = v128.load(p + o);
    const d = f32x4.add(v128.load(g + o), f32x4.mul(vwd, pp));
    const vv = f32x4.add(f32x4.mul(vmu, v128.load(v + o)), d);
    v128.store(v + o, vv);
    const upd = nesterov ? f32x4.add(d, f32x4.mul(vmu, vv)) : vv;
    v128.store(p + o, f32x4.sub(pp, f32x4.mul(vlr, upd)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    const pp = load<f32>(p + o);
    const d = load<f32>(g + o) + wd * pp;
    const vv = momentum * load<f32>(v + o) + d;
    store<f32>(v + o, vv);
    store<f32>(p + o, pp - lr * (nesterov ? d + momentum * vv : vv));
  }
}

// Adam (Kingma & Ba) with bias correction; bc1 = 1 - β1^t, bc2 = 1 - β2^t computed by the caller.
//   d = g (+ wd·p if L2);  m = β1·m + (1-β1)·d;  v = β2·v + (1-β2)·d²
//   p -= lr · (m/bc1) / (sqrt(v/bc2) + eps)   (− lr·wd·p first when decoupled: AdamW)
export function adam_step(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32, eps: f32, bc1: f32, bc2: f32, wd: f32, decoupled: i32): void {
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2);
  const c1 = f32x4.splat(<f32>1 - beta1), c2 = f32x4.splat(<f32>1 - beta2);
  const step = f32x4.splat(lr / bc1);
  const ibc2 = f32x4.splat(<f32>1 / bc2);
  const veps = f32x4.splat(eps);
  const l2 = f32x4.splat(decoupled ? <f32>0 : wd);
  const shrink = f32x4.splat(decoupled ? <f32>1 - lr * wd : <f32>1);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    const pp = v128.load(p + o);
    const d = f32x4.add(v128.load(g + o), f32x4.mul(l2, pp));
    const mm = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, d));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(d, d)));
    v128.store(m + o, mm);
    v128.store(v + o, vv);
    const denom = f32x4.add(f32x4.sqrt(f32x4.mul(vv, ibc2)), veps);
    v128.store(p + o, f32x4.sub(f32x4.mul(pp, shrink), f32x4.div(f32x4.mul(step, mm), denom)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    const pp = load<f32>(p + o);
    const d = load<f32>(g + o) + (decoupled ? <f32>0 : wd) * pp;
    const mm = beta1 * load<f32>(m + o) + (<f32>1 - beta1) * d;
    const vv = beta2 * load<f32>(v + o) + (<f32>1 - beta2) * d * d;
    store<f32>(m + o, mm);
    store<f32>(v + o, vv);
    store<f32>(p + o, pp * (decoupled ? <f32>1 - lr * wd : <f32>1) - (lr / bc1) * mm / (Mathf.sqrt(vv / bc2) + eps));
  }
}

// Σ x² over n values, in f64 (for gradient-norm clipping and diagnostics): the sum of the
// partials of fixed blocks of SUM_SQ_BLOCK values (sum_squares_block), in block order, so that
// threads can each take whole blocks and the total is the same for any thread count.
export const SUM_SQ_BLOCK: i32 = 4096;
export function sum_squares(x: usize, n: i32): f64 {
  let total: f64 = 0;
  for (let b = 0; b * SUM_SQ_BLOCK < n; b++) total += sum_squares_block(x, n, b);
  return total;
}

// Block b of sum_squares: Σ x² over values [b·SUM_SQ_BLOCK, min(n, (b + 1)·SUM_SQ_BLOCK)), four
// f32x4 chains (one chain waits on its add's latency: 4× slower), joined in f32, then in f64 with
// the scalar tail of the last block. f32 partials of ≤ 4096 values bound the rounding.
export function sum_squares_block(x: usize, n: i32, b: i32): f64 {
  const i0 = b * SUM_SQ_BLOCK;
  const i1 = min(n, i0 + SUM_SQ_BLOCK);
  let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
  let i = i0;
  for (; i + 16 <= i1; i += 16) {
    const p = x + <usize>i * 4;
    const v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32), v3 = v128.load(p, 48);
    a0 = f32x4.add(a0, f32x4.mul(v0, v0)); a1 = f32x4.add(a1, f32x4.mul(v1, v1));
    a2 = f32x4.add(a2, f32x4.mul(v2, v2)); a3 = f32x4.add(a3, f32x4.mul(v3, v3));
  }
  for (; i + 4 <= i1; i += 4) {
    const v = v128.load(x + <usize>i * 4);
    a0 = f32x4.add(a0, f32x4.mul(v, v));
  }
  const acc = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
  let total = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  for (; i < i1; i++) {
    const v = <f64>load<f32>(x + <usize>i * 4);
    total += v * v;
  }
  return total;
}

// Blocks [b0, b1) of sum_squares into out[b] (f64): a thread's part of the threaded sum.
export function sum_squares_blocks(out: usize, x: usize, n: i32, b0: i32, b1: i32): void {
  for (let b = b0; b < b1; b++) store<f64>(out + <usize>b * 8, sum_squares_block(x, n, b));
}

// x *= s
export function scale_inplace(x: usize, n: i32, s: f32): void {
  const vs = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + <usize>i * 4, f32x4.mul(v128.load(x + <usize>i * 4), vs));
  for (; i < n; i++) store<f32>(x + <usize>i * 4, load<f32>(x + <usize>i * 4) * s);
}

export function fill_zero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n * 4);
}
