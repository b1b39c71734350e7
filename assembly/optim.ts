// Optimizer updates over the flat parameter block: one loop each.

// p -= lr · g      p, g: (n)
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

export function fill_zero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n * 4);
}
