// Memory while training model A (784-128-10, batch 64, SGD) on full MNIST, in its own process so
// nothing else (TF.js) inflates the figures. Prints one JSON object.
// Run: node --expose-gc --import tsx bench/memory.ts [epochs]
import { WasmBackend } from "../src/backend/wasm.js";
import { Network } from "../src/model/network.js";
import { Sgd } from "../src/train/optimizers.js";
import { constantSchedule } from "../src/train/schedules.js";
import { fit } from "../src/train/trainer.js";
import { splitTrainVal } from "../src/data/dataset.js";
import { loadMnist } from "./common.js";

const epochs = Number(process.argv[2] ?? 3);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const { train, val } = splitTrainVal(loadMnist().train, 0.1, 1);
const net = new Network({ inputSize: 784, hidden: [128], outputSize: 10, activation: "relu" }, new WasmBackend(), 64);
net.init(1);
const heapMB: number[] = [];
gc();
heapMB.push(process.memoryUsage().heapUsed / 2 ** 20);
await fit(net, train, val, {
  epochs,
  batchSize: 64,
  schedule: constantSchedule(0.05),
  seed: 1,
  optimizer: new Sgd(),
  onEpochEnd: () => {
    gc();
    heapMB.push(process.memoryUsage().heapUsed / 2 ** 20);
  },
});
const afterFirst = heapMB.slice(1);
console.log(
  JSON.stringify({
    epochs,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    heapUsedMBPerEpoch: heapMB.map((v) => +v.toFixed(3)),
    // growth from the end of epoch 1 to the end of the last: steady state, after lazy one-time allocations
    heapGrowthMB: afterFirst[afterFirst.length - 1] - afterFirst[0],
  }),
);
