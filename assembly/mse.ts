// Mean-squared-error loss of a linear output (regression), over rows of D outputs.
//   loss_i  = (1/D) · Σ_j (out_ij − target_ij)²
//   dout_ij = 2·(out_ij − target_ij)/D · grad_scale        (grad_scale = 1/B for a mean loss)
// Writes dout unless it is 0; returns Σ_i loss_i (in f64).

export function mse_loss(dout: usize, out: usize, target: usize, B: i32, D: i32, grad_scale: f32): f64 {
  const n = B * D;
  const g = f32x4.splat(<f32>2 / <f32>D * grad_scale);
  let acc = f32x4.splat(0);
  let total: f64 = 0;
  let i = 0;
  // f32 partial sums flushed into f64 every 4096 values to bound rounding (as sum_squares)
  while (i + 4 <= n) {
    const end = min(n & ~3, i + 4096);
    for (; i < end; i += 4) {
      const d = f32x4.sub(v128.load(out + <usize>i * 4), v128.load(target + <usize>i * 4));
      acc = f32x4.add(acc, f32x4.mul(d, d));
      if (dout) v128.store(dout + <usize>i * 4, f32x4.mul(d, g));
    }
    total += <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
    acc = f32x4.splat(0);
  }
  const gs = <f32>2 / <f32>D * grad_scale;
  for (; i < n; i++) {
    const d = load<f32>(out + <usize>i * 4) - load<f32>(target + <usize>i * 4);
    total += <f64>d * <f64>d;
    if (dout) store<f32>(dout + <usize>i * 4, d * gs);
  }
  return total / <f64>D;
}

// The scalar twin: the same loss and gradient, one value at a time, summed in f64.
export function mse_loss_naive(dout: usize, out: usize, target: usize, B: i32, D: i32, grad_scale: f32): f64 {
  let total: f64 = 0;
  const gs = <f32>2 / <f32>D * grad_scale;
  for (let r = 0; r < B; r++) {
    let row: f64 = 0;
    for (let j = 0; j < D; j++) {
      const o = (<usize>r * <usize>D + <usize>j) * 4;
      const d = load<f32>(out + o) - load<f32>(target + o);
      row += <f64>d * <f64>d;
      if (dout) store<f32>(dout + o, d * gs);
    }
    total += row / <f64>D;
  }
  return total;
}
