import { describe, expect, it } from "vitest";
import { gradCheck } from "../src/train/gradcheck.js";
import { JsBackend } from "../src/backend/js.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { NONE } from "../src/backend/types.js";
import type { ModelSpec } from "../src/model/spec.js";
import { Rng } from "../src/rng.js";

const reg = (hidden: number[], outputs = 1): ModelSpec => ({ inputSize: 7, hidden, outputSize: outputs, activation: "tanh", inputKind: "f32", task: "regression" });

describe("regression: mean squared error", () => {
  it("gradient check, float64 TypeScript backend: single and multi-output, with and without hidden layers", () => {
    for (const spec of [reg([5]), reg([6, 4], 3), reg([], 2)]) expect(gradCheck({ spec, batch: 6, seed: 2 }).maxRelError).toBeLessThan(1e-4);
  });
  it("gradient check, wasm SIMD and naive backends (float32)", () => {
    for (const kernels of ["fast", "naive"] as const) expect(gradCheck({ spec: reg([6, 4], 3), backend: new WasmBackend({ kernels }), batch: 9, seed: 5 }).maxRelError).toBeLessThan(1e-2);
  });
  it("float-input classification gradient-checks too", () => {
    const spec: ModelSpec = { inputSize: 5, hidden: [4], outputSize: 3, activation: "relu", inputKind: "f32" };
    expect(gradCheck({ spec, batch: 6, seed: 3 }).maxRelError).toBeLessThan(1e-4);
  });
  it("mse kernels (SIMD, naive, TypeScript) agree: loss and gradient on odd shapes", () => {
    const rng = new Rng(7);
    for (const [B, D] of [[1, 1], [3, 5], [17, 3], [1030, 5]]) {
      const n = B * D;
      const out = Float32Array.from({ length: n }, () => rng.normal());
      const tgt = Float32Array.from({ length: n }, () => rng.normal());
      let ref = 0;
      for (let i = 0; i < n; i++) ref += (out[i] - tgt[i]) ** 2;
      ref /= D;
      const results = [new WasmBackend(), new WasmBackend({ kernels: "naive" }), new JsBackend("f32")].map((be) => {
        be.allocate(3 * n + 64);
        const f = be.floats();
        f.set(out, 0);
        f.set(tgt, n + 16);
        const loss = be.mseLoss(2 * n + 32, 0, n + 16, B, D, 1 / B);
        const g = Float32Array.from(be.floats().subarray(2 * n + 32, 3 * n + 32));
        expect(be.mseLoss(NONE, 0, n + 16, B, D, 1)).toBeCloseTo(loss, 6);
        return { loss, g };
      });
      for (const r of results) {
        expect(Math.abs(r.loss - ref) / ref).toBeLessThan(1e-6);
        for (let i = 0; i < n; i += Math.max(1, n >> 4)) expect(r.g[i]).toBeCloseTo((2 * (out[i] - tgt[i])) / D / B, 6);
      }
    }
  });
});
