// The wasm backend agrees with the TypeScript oracle on forward outputs, loss and gradients.
import { afterAll, describe, expect, it } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { HIDDEN_ACTIVATIONS, type ModelSpec } from "../src/model/spec.js";
import { Rng } from "../src/rng.js";
import { loadedNetwork, maxRelDiff, region } from "./helpers.js";

// Element-wise relative differences with an absolute floor per quantity: forward values are O(1)
// (floor 1e-2), gradients are batch means (floor 1e-3). Measured worst over every case below
// (SIMDNET_PARITY_REPORT=1 prints them): z/a 7.5e-5, dz 2.2e-5, dW 8.6e-5, db 4.5e-5, optimizer
// state 9.7e-6; the tolerances sit about 2–3× above that. Masks must be bit-identical.
const FLOOR = { forward: 1e-2, grad: 1e-3, state: 1e-5 };
const TOL = 2e-4;
const worst: Record<string, number> = {};
function check(what: string, got: Float64Array, want: Float64Array, floor: number, tol = TOL) {
  const d = maxRelDiff(got, want, floor);
  const key = what.replace(/ of layer \d+/, "");
  worst[key] = Math.max(worst[key] ?? 0, d);
  expect(d, what).toBeLessThan(tol);
}
afterAll(() => {
  if (process.env.SIMDNET_PARITY_REPORT) console.log("parity worst element-wise relative differences:", worst);
});

function compare(spec: ModelSpec, B: number, seed: number, kernels: "fast" | "naive" = "fast", zeroFraction = 0, dropout = 0) {
  const js = loadedNetwork(spec, new JsBackend("f32"), B, seed, zeroFraction, dropout);
  const wasm = loadedNetwork(spec, new WasmBackend({ kernels }), B, seed, zeroFraction, dropout);
  const dropoutSeed = dropout > 0 ? seed * 7 + 1 : undefined;
  const rj = js.computeGradients(B, dropoutSeed);
  const rw = wasm.computeGradients(B, dropoutSeed);
  expect(Math.abs(rw.lossSum - rj.lossSum) / Math.max(Math.abs(rj.lossSum), 1e-6)).toBeLessThan(1e-5);
  for (let l = 0; l < js.layout.layers.length; l++) {
    const Lj = js.layout.layers[l];
    const Lw = wasm.layout.layers[l];
    const n = B * Lj.outSize;
    check(`z of layer ${l}`, region(wasm, Lw.z, n), region(js, Lj.z, n), FLOOR.forward);
    check(`a of layer ${l}`, region(wasm, Lw.a, n), region(js, Lj.a, n), FLOOR.forward);
    check(`dz of layer ${l}`, region(wasm, Lw.dz, n), region(js, Lj.dz, n), FLOOR.grad);
    if (dropout > 0 && Lj.mask >= 0) check(`dropout mask of layer ${l}`, region(wasm, Lw.mask, n), region(js, Lj.mask, n), FLOOR.forward, 1e-12);
    const nw = Lj.inSize * Lj.outSize;
    check(`dW of layer ${l}`, region(wasm, Lw.dw, nw), region(js, Lj.dw, nw), FLOOR.grad);
    check(`db of layer ${l}`, region(wasm, Lw.db, Lj.outSize), region(js, Lj.db, Lj.outSize), FLOOR.grad);
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

  it("dropout on every hidden layer: same masks, and gradients through them", () => {
    for (const [IN, hidden, OUT, B] of [[784, [128], 10, 16], [37, [13, 7], 10, 11], [29, [31, 17, 5], 3, 6], [5, [3], 2, 1]] as [number, number[], number, number][])
      for (const activation of HIDDEN_ACTIVATIONS) for (const p of [0.1, 0.5]) compare({ inputSize: IN, hidden, outputSize: OUT, activation }, B, IN + B, "fast", 0, p);
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
      check("optimizer state", w, j, FLOOR.state, 3e-5);
      expect(Math.abs(backs[1].sumSquares(0, n) - backs[0].sumSquares(0, n)) / backs[0].sumSquares(0, n)).toBeLessThan(1e-5);
    }
  });
});
