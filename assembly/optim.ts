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

// Σ x² over n values, in f64 (for gradient-norm clipping and diagnostics).
export function sum_squares(x: usize, n: i32): f64 {
  let acc = f32x4.splat(0);
  let total: f64 = 0;
  let i = 0;
  // flush the f32 partial sums into f64 every 4096 values to bound rounding
  while (i + 4 <= n) {
    const end = min(n & ~3, i + 4096);
    for (; i < end; i += 4) {
      const v = v128.load(x + <usize>i * 4);
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    acc = f32x4.splat(0);
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + <usize>i * 4);
    total += v * v;
  }
  return total;
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
