// The wasm backend agrees with the TypeScript oracle on forward outputs, loss and gradients.
import { describe, expect, it } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { HIDDEN_ACTIVATIONS, type ModelSpec } from "../src/model/spec.js";
import { Rng } from "../src/rng.js";
import { loadedNetwork, maxRelDiff, region } from "./helpers.js";

function compare(spec: ModelSpec, B: number, seed: number, kernels: "fast" | "naive" = "fast", zeroFraction = 0) {
  const js = loadedNetwork(spec, new JsBackend("f32"), B, seed, zeroFraction);
  const wasm = loadedNetwork(spec, new WasmBackend({ kernels }), B, seed, zeroFraction);
  const rj = js.computeGradients(B);
  const rw = wasm.computeGradients(B);
  expect(Math.abs(rw.lossSum - rj.lossSum) / Math.max(Math.abs(rj.lossSum), 1e-6)).toBeLessThan(1e-5);
  for (let l = 0; l < js.layout.layers.length; l++) {
    const Lj = js.layout.layers[l];
    const Lw = wasm.layout.layers[l];
    const n = B * Lj.outSize;
    expect(maxRelDiff(region(wasm, Lw.z, n), region(js, Lj.z, n)), `z of layer ${l}`).toBeLessThan(1e-4);
    expect(maxRelDiff(region(wasm, Lw.a, n), region(js, Lj.a, n)), `a of layer ${l}`).toBeLessThan(1e-4);
    expect(maxRelDiff(region(wasm, Lw.dz, n), region(js, Lj.dz, n)), `dz of layer ${l}`).toBeLessThan(1e-4);
    const nw = Lj.inSize * Lj.outSize;
    expect(maxRelDiff(region(wasm, Lw.dw, nw), region(js, Lj.dw, nw)), `dW of layer ${l}`).toBeLessThan(1e-4);
    expect(maxRelDiff(region(wasm, Lw.db, Lj.outSize), region(js, Lj.db, Lj.outSize)), `db of layer ${l}`).toBeLessThan(1e-4);
  }
}

describe("wasm vs TypeScript backend", () => {
  const rng = new Rng(7);
  const shapes: [number, number[], number, number][] = [
    [784, [128], 10, 64],
    [784, [10], 10, 33],
    [37, [13, 7], 10, 11],
    [5, [3], 2, 1],
    [1, [1], 1, 3],
    [29, [31, 17, 5], 3, 6],
    [100, [], 10, 9],
  ];
  for (let t = 0; t < 6; t++) shapes.push([1 + rng.int(90), [1 + rng.int(40), 1 + rng.int(40)], 2 + rng.int(14), 1 + rng.int(23)]);
  for (const [inputSize, hidden, outputSize, B] of shapes) {
    it(`${[inputSize, ...hidden, outputSize].join("-")} batch ${B}`, () => {
      for (const activation of HIDDEN_ACTIVATIONS) compare({ inputSize, hidden, outputSize, activation }, B, inputSize + B);
    });
  }
  it("sparse, digit-like inputs (zero pixels and all-zero columns are skipped by the first layer)", () => {
    for (const [IN, B] of [[784, 64], [784, 7], [37, 5], [20, 1], [33, 13]])
      for (const z of [0.8, 0.99, 1]) compare({ inputSize: IN, hidden: [12], outputSize: 10, activation: "relu" }, B, IN + B, "fast", z);
  });

  it("naive wasm twins agree too", () => {
    compare({ inputSize: 37, hidden: [13, 7], outputSize: 10, activation: "relu" }, 11, 5, "naive");
  });

  it("optimizer kernels agree over odd lengths", () => {
    for (const n of [1, 3, 4, 7, 1001]) {
      const backs = [new JsBackend("f32"), new WasmBackend()];
      const rng2 = new Rng(n);
      const init = Array.from({ length: 4 * n }, (_, i) => (i < 3 * n ? rng2.normal() : rng2.next())); // second moments ≥ 0
      for (const b of backs) {
        b.allocate(4 * n + 16);
        b.floats().set(init);
        b.sgdStep(0, n, n, 0.1);
        b.sgdMomentumStep(0, n, 2 * n, n, 0.05, 0.9, true, 1e-3);
        b.adamStep(0, n, 2 * n, 3 * n, n, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001, 0.01, true);
        b.scale(n, n, 0.5);
      }
      const [j, w] = backs.map((b) => Float64Array.from(b.floats().subarray(0, 4 * n)));
      expect(maxRelDiff(w, j)).toBeLessThan(1e-5);
      expect(Math.abs(backs[1].sumSquares(0, n) - backs[0].sumSquares(0, n)) / backs[0].sumSquares(0, n)).toBeLessThan(1e-5);
    }
  });
});
