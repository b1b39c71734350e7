// Finite-difference gradient check: the analytic gradients of one backend against central
// differences of the loss computed in float64 by the TypeScript backend, on the same network,
// parameters and batch. It is how simdnet verifies its maths (tests, `simdnet gradcheck`).
import type { Backend } from "../backend/types.js";
import { JsBackend } from "../backend/js.js";
import { Network } from "../model/network.js";
import type { ModelSpec } from "../model/spec.js";
import { Rng } from "../rng.js";

export interface GradCheckOptions {
  spec: ModelSpec;
  /** The backend whose analytic gradients are checked (default: the float64 TypeScript backend). */
  backend?: Backend;
  /** Oracle for the numeric side (default: float64 TypeScript backend). */
  oracle?: Backend;
  batch?: number;
  seed?: number;
  /** Central-difference step. */
  h?: number;
  /** Check at most this many parameters (spread evenly); default all. */
  maxParams?: number;
  /** Dropout rate on hidden outputs (the same masks on both sides). */
  dropout?: number;
}

export interface GradCheckResult {
  maxRelError: number;
  checked: number;
  worst: { index: number; analytic: number; numeric: number };
  /** Per parameter layer (dense, conv2d, batch norm), input to output: max relative error of its first block (W, gamma) and second (b, beta). */
  layers: { w: number; b: number }[];
}

/** |a − n| / max(|a|, |n|, floor): relative where the gradient is not tiny. */
export function relError(a: number, n: number, floor = 1e-4): number {
  return Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), floor);
}

export function gradCheck(o: GradCheckOptions): GradCheckResult {
  const B = o.batch ?? 8;
  const seed = o.seed ?? 1;
  const h = o.h ?? 1e-6;
  const rng = new Rng(seed);
  const oracle = new Network(o.spec, o.oracle ?? new JsBackend("f64"), B, 0, o.dropout ?? 0);
  const subject = new Network(o.spec, o.backend ?? new JsBackend("f64"), B, 0, o.dropout ?? 0);
  const hasDropout = (o.dropout ?? 0) > 0 || (o.spec.layers ?? []).some((c) => c.type === "dropout" && c.rate > 0);
  const dropoutSeed = hasDropout ? seed + 1 : undefined;

  // Random weights and non-zero biases so activations sit at generic points, away from kinks.
  oracle.init(seed, "he");
  const params = oracle.getParams();
  const P = oracle.layout.params;
  const paramLayers = oracle.paramLayers;
  for (const L of paramLayers) {
    for (let j = 0; j < L.bSize; j++) params[L.b - P + j] = 0.1 * rng.normal();
    if (L.type === "batchNormalization") for (let j = 0; j < L.wSize; j++) params[L.w - P + j] = 1 + 0.2 * rng.normal();
  }
  const theta = Float64Array.from(params);
  const floatInput = o.spec.inputKind === "f32";
  const pixels = floatInput ? new Uint8Array(0) : new Uint8Array(B * o.spec.inputSize).map(() => rng.int(256));
  const features = floatInput ? new Float32Array(B * o.spec.inputSize).map(() => rng.normal()) : null;
  const labels = Array.from({ length: B }, () => rng.int(o.spec.outputSize));
  const targets = o.spec.task === "regression" ? new Float32Array(B * o.spec.outputSize).map(() => rng.normal()) : null;
  for (const net of [oracle, subject]) {
    net.setParams(params);
    if (features) net.loadFeatures(features, B);
    else net.loadPixels(pixels, B);
    net.backend.ints(net.layout.labels, B).set(labels);
    if (targets) net.backend.floats().set(targets, net.layout.targets);
  }
  // float64 oracle parameters exactly equal to the float32 ones the subject holds
  oracle.backend.floats().set(theta, oracle.layout.params);

  subject.computeGradients(B, dropoutSeed);
  const g = subject.backend.floats();
  const grads = Float64Array.from(g.subarray(subject.layout.grads, subject.layout.grads + subject.paramCount));

  const f = oracle.backend.floats();
  const loss = () => {
    oracle.forward(B, dropoutSeed, true); // training mode: batch norm uses batch statistics, as the gradient does
    return oracle.loss(B, false).lossSum / B;
  };
  const n = oracle.paramCount;
  // exactly `count` parameters, evenly spread (summing a fractional stride could overshoot by one)
  const count = o.maxParams && o.maxParams < n ? o.maxParams : n;
  const layers = paramLayers.map(() => ({ w: 0, b: 0 }));
  const result: GradCheckResult = { maxRelError: 0, checked: 0, worst: { index: -1, analytic: 0, numeric: 0 }, layers };
  for (let k = 0; k < count; k++) {
    const i = Math.floor((k * n) / count);
    const saved = f[P + i];
    f[P + i] = saved + h;
    const lp = loss();
    f[P + i] = saved - h;
    const lm = loss();
    f[P + i] = saved;
    const numeric = (lp - lm) / (2 * h);
    const err = relError(grads[i], numeric);
    result.checked++;
    const li = paramLayers.findIndex((L) => i >= L.paramOffset && i < L.paramOffset + L.paramCount);
    const L = paramLayers[li];
    if (P + i < L.b) layers[li].w = Math.max(layers[li].w, err);
    else layers[li].b = Math.max(layers[li].b, err);
    if (err > result.maxRelError) {
      result.maxRelError = err;
      result.worst = { index: i, analytic: grads[i], numeric };
    }
  }
  return result;
}
