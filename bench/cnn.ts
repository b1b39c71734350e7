// The two reference CNNs of the suite (issue 10), one list of layers each, read by both the
// simdnet rows (here) and the TF.js rows (bench/tfjs-cnn.ts), so the peers train the same net:
//   T, the TF.js tutorial net: conv 8 5×5 relu, maxpool 2, conv 16 5×5 relu, maxpool 2, dense 10
//   K, the Keras "simple MNIST convnet": conv 32 3×3 relu, maxpool 2, conv 64 3×3 relu, maxpool 2,
//      flatten, dropout 0.5, dense 10
// Batch 64, plain SGD, one thread, real MNIST (28×28×1 uint8 pixels, scaled by 1/255).
import { WasmBackend } from "../src/backend/wasm.js";
import { JsBackend } from "../src/backend/js.js";
import type { Backend } from "../src/backend/types.js";
import { Network } from "../src/model/network.js";
import type { ModelSpec } from "../src/model/spec.js";
import type { LayerConfig } from "../src/layers/layer.js";
import { Sgd } from "../src/train/optimizers.js";
import { allOf, type Subset } from "../src/data/dataset.js";
import { epochOrder } from "../src/train/trainer.js";
import { log, median, trainSet } from "./common.js";

/** Layers with Keras/TF.js-style names (the library's `Model.create({ input, layers })` vocabulary). */
export type CnnLayer =
  | { type: "conv2d"; filters: number; kernelSize: number; strides?: number; padding?: "valid" | "same"; activation: "relu" }
  | { type: "maxpool2d"; poolSize: number; strides?: number }
  | { type: "flatten" }
  | { type: "dropout"; rate: number }
  | { type: "dense"; units: number; activation?: "relu" };

export interface CnnCase {
  name: "cnnT" | "cnnK";
  title: string;
  input: [number, number, number];
  /** Every layer including the output dense 10 (logits; softmax cross-entropy is the loss). */
  layers: CnnLayer[];
  batch: number;
  /** Trainable parameters, to check that a built network is this one. */
  params: number;
  /** FLOPs per training sample (forward + backward, convs and dense; the first conv has no dX). */
  flopsPerSample: number;
}

export const CNN_T: CnnCase = {
  name: "cnnT",
  title: "T (TF.js tutorial): conv 8 5×5, pool 2, conv 16 5×5, pool 2, dense 10",
  input: [28, 28, 1],
  layers: [
    { type: "conv2d", filters: 8, kernelSize: 5, activation: "relu" },
    { type: "maxpool2d", poolSize: 2 },
    { type: "conv2d", filters: 16, kernelSize: 5, activation: "relu" },
    { type: "maxpool2d", poolSize: 2 },
    { type: "flatten" },
    { type: "dense", units: 10 },
  ],
  batch: 64,
  params: 5 * 5 * 1 * 8 + 8 + (5 * 5 * 8 * 16 + 16) + (4 * 4 * 16 * 10 + 10),
  flopsPerSample: 0, // filled below
};

export const CNN_K: CnnCase = {
  name: "cnnK",
  title: "K (Keras simple convnet): conv 32 3×3, pool 2, conv 64 3×3, pool 2, dropout 0.5, dense 10",
  input: [28, 28, 1],
  layers: [
    { type: "conv2d", filters: 32, kernelSize: 3, activation: "relu" },
    { type: "maxpool2d", poolSize: 2 },
    { type: "conv2d", filters: 64, kernelSize: 3, activation: "relu" },
    { type: "maxpool2d", poolSize: 2 },
    { type: "flatten" },
    { type: "dropout", rate: 0.5 },
    { type: "dense", units: 10 },
  ],
  batch: 64,
  params: 3 * 3 * 1 * 32 + 32 + (3 * 3 * 32 * 64 + 64) + (5 * 5 * 64 * 10 + 10),
  flopsPerSample: 0,
};

export const CNNS = [CNN_T, CNN_K];

/** A conv layer's geometry as the kernels take it (valid padding, stride 1 in both nets). */
export interface ConvShape {
  B: number;
  H: number;
  W: number;
  C: number;
  F: number;
  K: number;
  S: number;
  padT: number;
  padL: number;
  OH: number;
  OW: number;
}

/** Conv geometries of a net at batch B, first to last. */
export function convShapes(net: CnnCase, B = net.batch): ConvShape[] {
  let [H, W, C] = net.input;
  const out: ConvShape[] = [];
  for (const L of net.layers) {
    if (L.type === "conv2d") {
      const S = L.strides ?? 1, K = L.kernelSize;
      const same = L.padding === "same";
      const OH = same ? Math.ceil(H / S) : Math.floor((H - K) / S) + 1;
      const OW = same ? Math.ceil(W / S) : Math.floor((W - K) / S) + 1;
      const padT = same ? Math.floor(Math.max((OH - 1) * S + K - H, 0) / 2) : 0;
      const padL = same ? Math.floor(Math.max((OW - 1) * S + K - W, 0) / 2) : 0;
      out.push({ B, H, W, C, F: L.filters, K, S, padT, padL, OH, OW });
      [H, W, C] = [OH, OW, L.filters];
    } else if (L.type === "maxpool2d") {
      const S = L.strides ?? L.poolSize;
      [H, W] = [Math.floor((H - L.poolSize) / S) + 1, Math.floor((W - L.poolSize) / S) + 1];
    } else if (L.type === "flatten") {
      [H, W, C] = [1, 1, H * W * C];
    } else if (L.type === "dense") {
      [H, W, C] = [1, 1, L.units];
    }
  }
  return out;
}

/** 2·K·K·C·F per output pixel and sample (one multiply-add). */
export const convFlops = (s: ConvShape) => 2 * s.B * s.OH * s.OW * s.F * s.K * s.K * s.C;

function flopsPerSample(net: CnnCase): number {
  const convs = convShapes(net, 1);
  // forward + dW for every conv, dX for all but the first (it reads the pixels)
  let f = convs.reduce((acc, s, i) => acc + convFlops(s) * (i === 0 ? 2 : 3), 0);
  const last = convs[convs.length - 1];
  let flat = (last.OH >> 1) * (last.OW >> 1) * last.F;
  for (const L of net.layers) if (L.type === "dense") (f += 3 * 2 * flat * L.units), (flat = L.units);
  return f;
}
for (const n of CNNS) n.flopsPerSample = flopsPerSample(n);

// ---- simdnet ----------------------------------------------------------------------------------

/**
 * The net as a simdnet spec (the layer model, src/model/spec.ts): the hidden stack in `layers`
 * with the library's type names; the output dense layer (10 logits) is added by simdnet, and the
 * flatten before a dense layer is implicit, as in `--layers "conv 32 3, maxpool 2, conv 64 3,
 * maxpool 2, dropout 0.5"`.
 */
export function simdnetSpec(net: CnnCase): ModelSpec {
  const hidden = net.layers.slice(0, -1); // the last layer is the output dense 10
  const layers: LayerConfig[] = hidden.flatMap((L): LayerConfig[] => {
    switch (L.type) {
      case "conv2d":
        return [{ type: "conv2d", filters: L.filters, kernelSize: L.kernelSize, strides: L.strides ?? 1, padding: L.padding ?? "valid", activation: L.activation }];
      case "maxpool2d":
        return [{ type: "maxPooling2d", poolSize: L.poolSize, strides: L.strides ?? L.poolSize }];
      case "flatten":
        return [];
      case "dropout":
        return [{ type: "dropout", rate: L.rate }];
      case "dense":
        return [{ type: "dense", units: L.units, activation: L.activation }];
    }
  });
  const [H, W, C] = net.input;
  return { inputSize: H * W * C, inputShape: [H, W, C], hidden: [], layers, outputSize: 10, activation: "relu" };
}

export type SimdnetCnnResult = { samplesPerSec: number } | { samplesPerSec: null; waiting: string };

/** simdnet samples/s on a CNN: median over timed chunks of steps after a warm-up, or why it cannot run yet. */
export function simdnetCnnSamplesPerSec(backend: Backend, net: CnnCase, chunkSteps: number, chunks: number): SimdnetCnnResult {
  let model: Network;
  try {
    model = new Network(simdnetSpec(net), backend, net.batch, 0, 0);
  } catch (e) {
    return { samplesPerSec: null, waiting: `the network could not be built (${(e as Error).message.split("\n")[0]})` };
  }
  if (model.paramCount !== net.params)
    return { samplesPerSec: null, waiting: `the built network has ${model.paramCount} parameters, ${net.name} has ${net.params} (bench/cnn.ts simdnetSpec)` };
  model.init(1);
  const train = allOf(trainSet("mnist"));
  const order: Subset = { data: train.data, indices: epochOrder(train.indices, 1, 1) };
  const opt = new Sgd();
  let pos = 0;
  let seed = 1;
  const step = () => {
    if (pos + net.batch > order.indices.length) pos = 0;
    model.loadBatch(order, pos, net.batch);
    pos += net.batch;
    model.computeGradients(net.batch, seed++); // the dropout seed (K has dropout 0.5)
    opt.step(model, 0.01);
  };
  try {
    for (let i = 0; i < Math.max(2, Math.min(chunkSteps, 5)); i++) step();
  } catch (e) {
    // e.g. a backend whose conv kernels are not there yet
    return { samplesPerSec: null, waiting: `${backend.variant} cannot train it yet (${(e as Error).message.split("\n")[0]})` };
  }
  const rates: number[] = [];
  for (let c = 0; c < chunks; c++) {
    const t0 = performance.now();
    for (let i = 0; i < chunkSteps; i++) step();
    rates.push((chunkSteps * net.batch) / ((performance.now() - t0) / 1000));
  }
  return { samplesPerSec: median(rates) };
}

export function cnnBackends(): { wasm: () => Backend; js: () => Backend } {
  return { wasm: () => new WasmBackend() as unknown as Backend, js: () => new JsBackend("f32") as unknown as Backend };
}

export function logCnn(label: string, r: SimdnetCnnResult): void {
  if (r.samplesPerSec === null) log(`  ${label}: not measured: ${r.waiting}`);
  else log(`  ${label}: ${r.samplesPerSec.toFixed(r.samplesPerSec < 100 ? 2 : 0)} samples/s`);
}
