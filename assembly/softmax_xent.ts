// Fused, numerically stable softmax + cross-entropy over rows of logits.

// For each row i of logits (B, C) with label y_i (i32):
//   p = softmax(logits_i) computed as exp(l - max) / Σ exp(l - max)  (never overflows)
//   loss_i = log Σ exp(l - max) - (l_y - max)
//   dlogits_i = (p - onehot(y_i)) · grad_scale        (grad_scale = 1/B for a mean loss)
// Writes probs and dlogits when their pointers are non-zero; returns Σ_i loss_i.
// Each exp is computed once and kept (in f64, so the result is the same as recomputing it) in a
// static row buffer when C fits; wider rows recompute it.
const ROW_MAX: i32 = 1024;
const row_exp: usize = memory.data(ROW_MAX * 8, 16);

export function softmax_xent(dlogits: usize, probs: usize, logits: usize, labels: usize, B: i32, C: i32, grad_scale: f32): f64 {
  let total: f64 = 0;
  const keep = C <= ROW_MAX;
  for (let i = 0; i < B; i++) {
    const row = logits + <usize>i * <usize>C * 4;
    let mx = load<f32>(row);
    for (let j = 1; j < C; j++) mx = max(mx, load<f32>(row + <usize>j * 4));
    let sum: f64 = 0;
    for (let j = 0; j < C; j++) {
      const e = Math.exp(<f64>(load<f32>(row + <usize>j * 4) - mx));
      if (keep) store<f64>(row_exp + <usize>j * 8, e);
      sum += e;
    }
    const y = load<i32>(labels + <usize>i * 4);
    total += Math.log(sum) - <f64>(load<f32>(row + <usize>y * 4) - mx);
    const inv = 1.0 / sum;
    for (let j = 0; j < C; j++) {
      const e = keep ? load<f64>(row_exp + <usize>j * 8) : Math.exp(<f64>(load<f32>(row + <usize>j * 4) - mx));
      const p = <f32>(e * inv);
      const off = (<usize>i * <usize>C + <usize>j) * 4;
      if (probs) store<f32>(probs + off, p);
      if (dlogits) store<f32>(dlogits + off, (j == y ? p - <f32>1 : p) * grad_scale);
    }
  }
  return total;
}

// Number of rows whose argmax (first maximum) equals the label.
export function count_correct(logits: usize, labels: usize, B: i32, C: i32): i32 {
  let n = 0;
  for (let i = 0; i < B; i++) {
    const row = logits + <usize>i * <usize>C * 4;
    let best = 0;
    let bv = load<f32>(row);
    for (let j = 1; j < C; j++) {
      const v = load<f32>(row + <usize>j * 4);
      if (v > bv) { bv = v; best = j; }
    }
    if (best == load<i32>(labels + <usize>i * 4)) n++;
  }
  return n;
}
