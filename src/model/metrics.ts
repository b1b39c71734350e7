// Classification metrics from class probabilities: argmax, confusion matrix, per-class
// precision/recall. Pure, shared by the CLI, the library and the HTML report.

/** Index of the largest of each row of an (n, classes) matrix (first wins on ties). */
export function argmaxRows(probs: Float32Array, classes: number): Uint8Array {
  const n = probs.length / classes;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** counts[t][p]: images of true class t predicted as p. */
export function confusionMatrix(predicted: Uint8Array, labels: Uint8Array, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]][predicted[i]]++;
  return m;
}

export interface ClassMetrics {
  label: number;
  precision: number | null; // null: the class was never predicted
  recall: number | null; // null: the class never occurs
  support: number;
}

export function perClassMetrics(confusion: number[][]): ClassMetrics[] {
  const C = confusion.length;
  return confusion.map((row, t) => {
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < C; r++) predicted += confusion[r][t];
    return { label: t, precision: predicted ? row[t] / predicted : null, recall: support ? row[t] / support : null, support };
  });
}
