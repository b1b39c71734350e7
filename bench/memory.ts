// Memory while training on full MNIST, in its own process so nothing else (TF.js, other benches)
// inflates the figures. Prints one JSON object; every figure is in MiB (2^20 bytes).
// Run: node --expose-gc --import tsx bench/memory.ts [epochs] [mlp|cnnK] [samples]
//   mlp  (default): model A, 784-128-10, batch 64, SGD, `epochs` epochs
//   cnnK: the K reference CNN (bench/cnn.ts), batch 64, SGD; trains on the first `samples` images
//         of the split (default: all of them) while the whole data set is loaded
import { WasmBackend } from "../src/backend/wasm.js";
import type { Backend } from "../src/backend/types.js";
import { Network } from "../src/model/network.js";
import { Sgd } from "../src/train/optimizers.js";
import { constantSchedule } from "../src/train/schedules.js";
import { fit } from "../src/train/trainer.js";
import { splitTrainVal } from "../src/data/dataset.js";
import { loadMnist, toMiB } from "./common.js";
import { CNN_K, simdnetSpec } from "./cnn.js";

const epochs = Number(process.argv[2] ?? 3);
const which = process.argv[3] ?? "mlp";
const samples = process.argv[4] ? Number(process.argv[4]) : Infinity;
import { readFileSync } from "node:fs";

/**
 * This process's peak resident set, MiB: Linux's VmHWM (/proc/self/status), which starts afresh at
 * exec. getrusage's ru_maxrss (process.resourceUsage().maxRSS) survives fork + exec, so a child
 * started by a big process (the suite) reported its parent's size: both models read the same.
 */
function peakRssMiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall back
  }
  return process.resourceUsage().maxRSS / 1024; // KiB
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const { train, val } = splitTrainVal(loadMnist().train, 0.1, 1);
// loading (gunzip + decode of the IDX files) has its own peak; both models share it, so it is
// reported apart from what the process holds while it trains
const peakAfterLoadMiB = peakRssMiB();
const backend = new WasmBackend() as unknown as Backend;
let net: Network;
if (which === "cnnK") {
  try {
    net = new Network(simdnetSpec(CNN_K), backend, CNN_K.batch, 0, 0);
    if (net.paramCount !== CNN_K.params) throw new Error(`built ${net.paramCount} parameters, K has ${CNN_K.params}`);
  } catch (e) {
    console.log(JSON.stringify({ model: which, waiting: `the network could not be built (${(e as Error).message.split("\n")[0]})` }));
    process.exit(0);
  }
} else {
  net = new Network({ inputSize: 784, hidden: [128], outputSize: 10, activation: "relu" }, backend, 64);
}
net.init(1);
const trainPart = samples < train.indices.length ? { data: train.data, indices: train.indices.subarray(0, samples) } : train;
const heapMiB: number[] = [];
gc();
heapMiB.push(toMiB(process.memoryUsage().heapUsed));
try {
  await fit(net, trainPart, which === "cnnK" ? null : val, {
    epochs,
    batchSize: 64,
    schedule: constantSchedule(which === "cnnK" ? 0.01 : 0.05),
    seed: 1,
    optimizer: new Sgd(),
    onEpochEnd: () => {
      gc();
      heapMiB.push(toMiB(process.memoryUsage().heapUsed));
    },
  });
} catch (e) {
  // e.g. a backend whose conv kernels are not there yet
  console.log(JSON.stringify({ model: which, waiting: `training failed (${(e as Error).message.split("\n")[0]})` }));
  process.exit(0);
}
const afterFirst = heapMiB.slice(1);
console.log(
  JSON.stringify({
    model: which,
    epochs,
    trainedSamples: trainPart.indices.length,
    peakRssMiB: peakRssMiB(),
    peakRssAfterLoadingMiB: peakAfterLoadMiB,
    rssAtEndMiB: toMiB(process.memoryUsage().rss),
    heapUsedMiBPerEpoch: heapMiB.map((v) => +v.toFixed(3)),
    // growth from the end of epoch 1 to the end of the last: steady state, after lazy one-time allocations
    heapGrowthMiB: afterFirst[afterFirst.length - 1] - afterFirst[0],
  }),
);
