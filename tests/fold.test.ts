// Folding a table model's preprocessing into its weights for export (src/export/fold.ts): the folded
// network on raw feature values must give what the original gives on scaled values, in the targets'
// units. Checked in process (the export tests do it through child processes and TF.js).
import { describe, expect, it } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import type { DataMeta } from "../src/data/table.js";
import { foldTableMeta } from "../src/export/fold.js";
import { Network } from "../src/model/network.js";
import type { ModelSpec } from "../src/model/spec.js";
import { Rng } from "../src/rng.js";

const IN = 5;
const N = 7;
const rng = new Rng(11);
const raw = Float32Array.from({ length: N * IN }, (_, i) => 10 * (i % IN) + 3 * rng.normal()); // columns of different scales
const mean = [0, 10, 20, 30, 40].map((m) => m + 0.5);
const std = [3, 2.5, 4, 0.5, 8];
const min = [-5, 4, 12, 28, 30];
const max = [6, 17, 29, 33, 51];

function spec(task: "classification" | "regression", layers?: ModelSpec["layers"]): ModelSpec {
  return { inputSize: IN, hidden: layers ? [] : [6], ...(layers ? { layers } : {}), outputSize: task === "regression" ? 2 : 3, activation: "tanh", inputKind: "f32", ...(task === "regression" ? { task } : {}) };
}

function meta(s: ModelSpec, normalization: DataMeta["normalization"], targets?: DataMeta["targets"]): DataMeta {
  return { task: s.task ?? "classification", inputKind: "f32", features: ["a", "b", "c", "d", "e"], label: ["y"], normalization, ...(targets ? { targets } : {}) };
}

/** Outputs of `s` with `params` on feature rows `x` (logits for regression, probabilities otherwise). */
function outputs(s: ModelSpec, params: Float32Array, x: Float32Array): Float32Array {
  const net = new Network(s, new JsBackend("f64"), N);
  net.setParams(params);
  return net.predictProbs(x, N);
}

function randomParams(s: ModelSpec): Float32Array {
  const net = new Network(s, new JsBackend("f64"), 1);
  net.init(3, "xavier");
  const p = net.getParams();
  const r = new Rng(5);
  return Float32Array.from(p, (v) => v + 0.1 * r.normal()); // non-zero biases too
}

const scaled = (f: (v: number, k: number) => number) => Float32Array.from(raw, (v, i) => f(v, i % IN));

function expectClose(a: Float32Array, b: Float32Array, tol: number) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  expect(worst).toBeLessThan(tol);
}

describe("foldTableMeta", () => {
  it("standard scaling: the folded model on raw values equals the model on standardised values", () => {
    const s = spec("classification");
    const p = randomParams(s);
    const folded = foldTableMeta(s, p, meta(s, { kind: "standard", mean, std }));
    expectClose(outputs(s, folded, raw), outputs(s, p, scaled((v, k) => (v - mean[k]) / std[k])), 1e-5);
    // only the first layer changed
    const first = 5 * 6 + 6;
    expect(Array.from(folded.subarray(first))).toEqual(Array.from(p.subarray(first)));
    expect(Array.from(folded.subarray(0, first))).not.toEqual(Array.from(p.subarray(0, first)));
  });

  it("min-max scaling", () => {
    const s = spec("classification");
    const p = randomParams(s);
    const folded = foldTableMeta(s, p, meta(s, { kind: "minmax", min, max }));
    expectClose(outputs(s, folded, raw), outputs(s, p, scaled((v, k) => (v - min[k]) / (max[k] - min[k]))), 1e-5);
  });

  it("regression: outputs come back in the targets' units, with and without input scaling", () => {
    const s = spec("regression");
    const p = randomParams(s);
    const targets = { names: ["y1", "y2"], mean: [100, -3], std: [20, 0.25] };
    const unscale = (z: Float32Array) => Float32Array.from(z, (v, i) => v * targets.std[i % 2] + targets.mean[i % 2]);
    const both = foldTableMeta(s, p, meta(s, { kind: "standard", mean, std }, targets));
    expectClose(outputs(s, both, raw), unscale(outputs(s, p, scaled((v, k) => (v - mean[k]) / std[k]))), 1e-5);
    const targetsOnly = foldTableMeta(s, p, meta(s, { kind: "none" }, targets));
    expectClose(outputs(s, targetsOnly, raw), unscale(outputs(s, p, raw)), 1e-5);
    // only the output layer changed
    expect(Array.from(targetsOnly.subarray(0, 5 * 6 + 6))).toEqual(Array.from(p.subarray(0, 5 * 6 + 6)));
  });

  it("nothing to fold: the same parameters", () => {
    const s = spec("classification");
    const p = randomParams(s);
    expect(Array.from(foldTableMeta(s, p, meta(s, { kind: "none" })))).toEqual(Array.from(p));
    expect(Array.from(foldTableMeta(s, p, meta(s, undefined)))).toEqual(Array.from(p));
    expect(Array.from(foldTableMeta(s, p, { ...meta(s, { kind: "standard", mean, std }), inputKind: "u8" }))).toEqual(Array.from(p));
  });

  it("a dropout before the first dense layer is allowed; a first layer that is not dense is refused by name", () => {
    const withDropout = spec("classification", [{ type: "dropout", rate: 0.1 }, { type: "dense", units: 6, activation: "tanh" }]);
    const p = randomParams(withDropout);
    const folded = foldTableMeta(withDropout, p, meta(withDropout, { kind: "standard", mean, std }));
    expectClose(outputs(withDropout, folded, raw), outputs(withDropout, p, scaled((v, k) => (v - mean[k]) / std[k])), 1e-5);
    const bnFirst = spec("classification", [{ type: "batchNormalization", activation: "none" }, { type: "dense", units: 6, activation: "tanh" }]);
    expect(() => foldTableMeta(bnFirst, randomParams(bnFirst), meta(bnFirst, { kind: "standard", mean, std }))).toThrow(
      /^field layers: the normalisation can only be folded into a first dense layer: export needs a model whose first layer is dense$/,
    );
  });
});
