import { describe, expect, it } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { argmaxRows } from "../src/model/metrics.js";

// float64 reference: log-sum-exp with max subtraction, computed independently of the kernels
function reference(logits: number[], y: number) {
  const m = Math.max(...logits);
  const lse = m + Math.log(logits.reduce((s, v) => s + Math.exp(v - m), 0));
  const p = logits.map((v) => Math.exp(v - lse));
  return { loss: lse - logits[y], p };
}

describe("softmax + cross-entropy", () => {
  const rows = [
    [1e4, -1e4, 0, 5e3, -5e3, 1e4 - 1, 3, 2, 1, 0],
    [-1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4, -1e4 + 20],
    [1e4, 1e4, 1e4, 1e4, 1e4, 1e4, 1e4, 1e4, 1e4, 1e4],
    [0.1, -0.2, 0.3, 0.05, -1, 2, 0, 0, 1, -3],
  ];
  const labels = [1, 9, 4, 5];
  for (const backend of [new JsBackend("f32"), new WasmBackend()]) {
    it(`${backend.variant}: finite for logits of ±1e4 and equal to a float64 reference`, () => {
      const B = rows.length, C = 10;
      backend.allocate(3 * B * C + B + 16);
      const f = backend.floats();
      f.set(rows.flat(), 0);
      backend.ints(B * C, B).set(labels);
      const total = backend.softmaxXent(2 * B * C + B, B * C + B, 0, B * C, B, C, 1 / B);
      expect(Number.isFinite(total)).toBe(true);
      let refTotal = 0;
      for (let i = 0; i < B; i++) {
        const r = reference(rows[i], labels[i]);
        refTotal += r.loss;
        for (let j = 0; j < C; j++) {
          const p = f[B * C + B + i * C + j];
          const d = f[2 * B * C + B + i * C + j];
          expect(Number.isFinite(p) && Number.isFinite(d)).toBe(true);
          expect(Math.abs(p - r.p[j])).toBeLessThan(1e-6);
          expect(Math.abs(d - (r.p[j] - (j === labels[i] ? 1 : 0)) / B)).toBeLessThan(1e-6);
        }
      }
      // the first row's loss is 2e4 (label logit −1e4 vs max 1e4): compare relatively
      expect(Math.abs(total - refTotal) / refTotal).toBeLessThan(1e-6);
      expect(backend.countCorrect(0, B * C, B, C)).toBe(0 + 1 + 0 + 1);
    });
  }
});

describe("count_correct breaks ties like argmaxRows (the first maximum wins)", () => {
  // each row ties between classes; a label on the first tied class counts, on a later one it does not
  const rows = [[3, 3, 0], [0, 2, 2], [1, 1, 1], [5, 0, 5], [-1, -1, -2]];
  const labels = [0, 2, 0, 2, 1];
  for (const backend of [new JsBackend("f32"), new WasmBackend(), new WasmBackend({ kernels: "naive" })]) {
    it(backend.variant, () => {
      const B = rows.length, C = 3;
      backend.allocate(B * C + B + 16);
      backend.floats().set(rows.flat(), 0);
      backend.ints(B * C, B).set(labels);
      const predicted = argmaxRows(Float32Array.from(rows.flat()), C);
      expect(Array.from(predicted)).toEqual([0, 1, 0, 0, 0]);
      expect(backend.countCorrect(0, B * C, B, C)).toBe(labels.filter((y, i) => y === predicted[i]).length); // 2
    });
  }
});
