// Training throughput on real MNIST: simdnet (wasm, TypeScript) and TensorFlow.js 4.22 (wasm
// and cpu backends), same model, batch and optimizer (plain SGD), one thread. Each can also run on
// "dense" pixels (MNIST with every zero set to 1): simdnet's first layer skips zero pixels, so the
// MNIST figure alone flatters it on denser data.
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { WasmBackend } from "../src/backend/wasm.js";
import { JsBackend } from "../src/backend/js.js";
import type { Backend } from "../src/backend/types.js";
import { Network } from "../src/model/network.js";
import { Sgd } from "../src/train/optimizers.js";
import { allOf, type Subset } from "../src/data/dataset.js";
import { epochOrder } from "../src/train/trainer.js";
import { loadMnist, log, median, quick, trainSet, type Pixels } from "./common.js";

export interface ModelCase {
  name: string;
  hidden: number[];
  batch: number;
}

const LR = 0.01;

/** Median samples/s over timed chunks of steps, after a warm-up. */
export function simdnetSamplesPerSec(backend: Backend, m: ModelCase, chunkSteps: number, chunks: number, pixels: Pixels = "mnist"): number {
  const train = allOf(trainSet(pixels));
  const order: Subset = { data: train.data, indices: epochOrder(train.indices, 1, 1) };
  const net = new Network({ inputSize: 784, hidden: m.hidden, outputSize: 10, activation: "relu" }, backend, m.batch);
  net.init(1);
  const opt = new Sgd();
  let pos = 0;
  const step = () => {
    if (pos + m.batch > order.indices.length) pos = 0;
    net.loadBatch(order, pos, m.batch);
    pos += m.batch;
    net.computeGradients(m.batch);
    opt.step(net, LR);
  };
  for (let i = 0; i < Math.max(5, chunkSteps); i++) step();
  const rates: number[] = [];
  for (let c = 0; c < chunks; c++) {
    const t0 = performance.now();
    for (let i = 0; i < chunkSteps; i++) step();
    rates.push((chunkSteps * m.batch) / ((performance.now() - t0) / 1000));
  }
  return median(rates);
}

/** Seconds for one full-batch step of the seed network 784-10-10 on the first n training images. */
export function seedStepSeconds(backend: Backend, n: number, reps: number): number {
  const train = allOf(loadMnist().train);
  const subset = { data: train.data, indices: train.indices.subarray(0, n) };
  const net = new Network({ inputSize: 784, hidden: [10], outputSize: 10, activation: "relu" }, backend, n);
  net.init(1);
  net.loadBatch(subset, 0, n);
  const opt = new Sgd();
  const times: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    net.computeGradients(n);
    opt.step(net, 0.1);
    if (r > 0) times.push((performance.now() - t0) / 1000); // the first run warms up
  }
  return median(times);
}

// ---- TensorFlow.js ----------------------------------------------------------------------------

let tfWasmReady = false;
export async function useTf(backend: "wasm" | "cpu"): Promise<void> {
  if (backend === "wasm" && !tfWasmReady) {
    setThreadsCount(1);
    tfWasmReady = true;
  }
  await tf.setBackend(backend);
  await tf.ready();
}

function tfModel(hidden: number[]): tf.Sequential {
  const model = tf.sequential();
  hidden.forEach((h, i) => model.add(tf.layers.dense({ units: h, activation: "relu", kernelInitializer: "heNormal", ...(i === 0 ? { inputShape: [784] } : {}) })));
  if (hidden.length === 0) model.add(tf.layers.dense({ units: 10, inputShape: [784] }));
  else model.add(tf.layers.dense({ units: 10 }));
  return model;
}

/** Real MNIST as tensors, scaled to [0, 1], one-hot labels (prepared outside the timed region). */
function tfData(count: number, pixels: Pixels = "mnist") {
  const train = trainSet(pixels);
  const xs = new Float32Array(count * 784);
  for (let i = 0; i < xs.length; i++) xs[i] = train.images[i] / 255;
  const ys = new Float32Array(count * 10);
  for (let i = 0; i < count; i++) ys[i * 10 + train.labels![i]] = 1;
  return { x: tf.tensor2d(xs, [count, 784]), y: tf.tensor2d(ys, [count, 10]) };
}

export interface TfResult {
  samplesPerSec: number;
  how: "model.fit" | "optimizer.minimize";
}

/** TF.js samples/s: the faster of the layers API (model.fit) and a manual optimizer.minimize loop. */
export async function tfjsSamplesPerSec(backend: "wasm" | "cpu", m: ModelCase, steps: number, reps: number, pixels: Pixels = "mnist"): Promise<TfResult> {
  await useTf(backend);
  const { x, y } = tfData(steps * m.batch, pixels);
  const r = await tfjsRate(() => tfModel(m.hidden), x, y, m.batch, steps, reps, `tfjs-${backend} ${m.name}${pixels === "dense" ? " (dense pixels)" : ""}`);
  tf.dispose([x, y]);
  return r;
}

/**
 * Samples/s of a TF.js model on the current backend over `steps` batches of (x, y), both ways a
 * user would train it: model.fit, and a manual optimizer.minimize loop that reads each step's loss
 * (both after a warm-up); returns the faster. Plain SGD, softmax cross-entropy on logits.
 * The minimize loop runs on the model model.fit warmed up; it takes its own warm-up steps too
 * unless minimizeWarmup is 0 (for the slow cpu-backend CNNs, where one step is many seconds).
 */
export async function tfjsRate(build: () => tf.Sequential, x: tf.Tensor, y: tf.Tensor, batch: number, steps: number, reps: number, label: string, warmupSteps = 4, minimizeWarmup = warmupSteps): Promise<TfResult> {
  const count = steps * batch;
  const model = build();
  const opt = tf.train.sgd(LR);
  model.compile({ optimizer: opt, loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp) });
  const fitRates: number[] = [];
  const warm = Math.min(warmupSteps, steps) * batch;
  await model.fit(x.slice(0, warm), y.slice(0, warm), { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 }); // warm-up
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await model.fit(x, y, { batchSize: batch, epochs: 1, shuffle: false, verbose: 0 });
    fitRates.push(count / ((performance.now() - t0) / 1000));
  }
  const xs = Array.from({ length: steps }, (_, i) => x.slice(i * batch, batch));
  const ys = Array.from({ length: steps }, (_, i) => y.slice(i * batch, batch));
  const loop = (n: number) => {
    for (let i = 0; i < n; i++) {
      const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(ys[i], model.predict(xs[i]) as tf.Tensor) as tf.Scalar, true);
      cost?.dataSync(); // wait for the step, as a training loop reading its loss does
      cost?.dispose();
    }
  };
  loop(Math.min(minimizeWarmup, steps));
  const loopRates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    loop(steps);
    loopRates.push(count / ((performance.now() - t0) / 1000));
  }
  tf.dispose([...xs, ...ys]);
  model.dispose();
  const fitRate = median(fitRates), loopRate = median(loopRates);
  const d = (v: number) => (v < 100 ? v.toFixed(2) : String(Math.round(v)));
  log(`  ${label}: model.fit ${d(fitRate)} samples/s, optimizer.minimize ${d(loopRate)} samples/s`);
  return fitRate >= loopRate ? { samplesPerSec: fitRate, how: "model.fit" } : { samplesPerSec: loopRate, how: "optimizer.minimize" };
}

/**
 * TF.js seconds per full-batch step of the seed network on the first n images (optimizer.minimize).
 * TF.js 4.22's wasm backend aborts when it allocates a 10000×784 (or larger) batch here, so the
 * comparison runs at the largest full batch it holds.
 */
export async function tfjsSeedStepSeconds(n: number, reps: number): Promise<number> {
  await useTf("wasm");
  const { x, y } = tfData(n);
  const model = tfModel([10]);
  const opt = tf.train.sgd(0.1);
  const step = () => {
    const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.predict(x) as tf.Tensor) as tf.Scalar, true);
    cost?.dataSync();
    cost?.dispose();
  };
  step();
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    step();
    t.push((performance.now() - t0) / 1000);
  }
  tf.dispose([x, y]);
  model.dispose();
  return median(t);
}

export function simdnetCases(): { wasm: () => Backend; js: () => Backend } {
  return { wasm: () => new WasmBackend(), js: () => new JsBackend("f32") };
}

export const QUICK = quick;
