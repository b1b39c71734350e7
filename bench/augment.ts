// Cost of data augmentation in the batch pipeline: one training step of model A (784-128-10,
// batch 64, SGD) with no augmentation, integer shifts, and affine warps, on real MNIST batches.
// Usage: npx tsx bench/augment.ts   (reads $SIMDNET_MNIST_DIR)
import { Bench } from "tinybench";
import { WasmBackend } from "../src/backend/wasm.js";
import { Network } from "../src/model/network.js";
import { loadMnistDir } from "../src/data/files.js";
import { allOf } from "../src/data/dataset.js";
import { augmenter, DEFAULT_AUGMENT, type AugmentKind } from "../src/data/augment.js";
import { Rng } from "../src/rng.js";
import { Sgd } from "../src/train/optimizers.js";

const dir = process.env.SIMDNET_MNIST_DIR;
if (!dir) throw new Error("set SIMDNET_MNIST_DIR to the MNIST folder");
const train = allOf(loadMnistDir(dir).train);
const B = 64;
const net = new Network({ inputSize: 784, hidden: [128], outputSize: 10, activation: "relu" }, new WasmBackend(), B);
net.init(1);
const opt = new Sgd();
const rng = new Rng(1);
const bench = new Bench({ time: 2000, warmupTime: 500 });
for (const kind of ["none", "shift", "affine"] as AugmentKind[]) {
  const t = augmenter({ ...DEFAULT_AUGMENT, kind }, 28, rng);
  let start = 0;
  bench.add(`step, augment ${kind}`, () => {
    net.loadBatch(train, start, B, t);
    start = (start + B) % (train.indices.length - B);
    net.computeGradients(B, start);
    opt.step(net, 0.01);
  });
}
await bench.run();
const median = (name: string) => {
  const r = bench.getTask(name)!.result as { latency?: { p50?: number } };
  if (r.latency?.p50 === undefined) throw new Error(`${name} did not complete`);
  return r.latency.p50;
};
const rows = bench.tasks.map((t) => ({ task: t.name, medianMs: median(t.name), samplesPerSec: B / (median(t.name) / 1000) }));
const baseMs = rows[0].medianMs;
console.table(rows.map((r) => ({ ...r, medianMs: r.medianMs.toFixed(3), samplesPerSec: Math.round(r.samplesPerSec), vsNone: (r.medianMs / baseMs).toFixed(3) })));
