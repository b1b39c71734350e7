// Where a training step's time goes, per Backend call, on one thread and on two: every backend
// method is wrapped with a timer (outermost call only) and the batch gather is timed apart.
// `npx tsx bench/step-profile.ts [A|B|T|K] [mnist|dense]` (A = 784-128-10 batch 64, B =
// 784-256-128-10 batch 128, T and K the reference CNNs); needs SIMDNET_MNIST_DIR. The wrappers
// cost a little per call, so read the split, not the throughput line.
import { WasmBackend } from "../src/backend/wasm.js";
import { ThreadedBackend } from "../src/backend/threads.js";
import type { Backend } from "../src/backend/types.js";
import { Network } from "../src/model/network.js";
import { Sgd } from "../src/train/optimizers.js";
import { allOf, type Subset } from "../src/data/dataset.js";
import { epochOrder } from "../src/train/trainer.js";
import { CNN_K, CNN_T, simdnetSpec } from "./cnn.js";
import { trainSet } from "./common.js";
const which = process.argv[2] ?? "A";
const spec = which === "A" ? { inputSize: 784, hidden: [128], outputSize: 10, activation: "relu" } : which === "B" ? { inputSize: 784, hidden: [256, 128], outputSize: 10, activation: "relu" } : simdnetSpec(which === "T" ? CNN_T : CNN_K);
const batch = which === "B" ? 128 : 64;
function wrap(be: Backend, acc: Map<string, number>) {
  let depth = 0;
  let proto = Object.getPrototypeOf(be);
  const names = new Set<string>();
  while (proto && proto !== Object.prototype) { for (const n of Object.getOwnPropertyNames(proto)) names.add(n); proto = Object.getPrototypeOf(proto); }
  for (const n of names) {
    if (n === "constructor" || typeof (be as any)[n] !== "function" || ["floats", "bytes", "ints", "ptr", "p", "memory"].includes(n)) continue;
    const f = (be as any)[n].bind(be);
    (be as any)[n] = (...a: unknown[]) => {
      if (depth > 0) return f(...a);
      depth++;
      const t0 = performance.now();
      try { return f(...a); } finally { depth--; acc.set(n, (acc.get(n) ?? 0) + performance.now() - t0); }
    };
  }
}
async function run(be: Backend, label: string) {
  const acc = new Map<string, number>();
  const net = new Network(spec as never, be, batch, 0, 0);
  net.init(1);
  const train = allOf(trainSet((process.argv[3] ?? "mnist") as never));
  const order: Subset = { data: train.data, indices: epochOrder(train.indices, 1, 1) };
  const opt = new Sgd();
  let pos = 0, s = 1;
  const step = () => {
    if (pos + batch > order.indices.length) pos = 0;
    const t0 = performance.now(); net.loadBatch(order, pos, batch); acc.set("(loadBatch)", (acc.get("(loadBatch)") ?? 0) + performance.now() - t0);
    pos += batch;
    net.computeGradients(batch, s++);
    opt.step(net, 0.01);
  };
  const steps = which === "K" ? 40 : which === "T" ? 150 : 600;
  for (let i = 0; i < steps / 2; i++) step();
  wrap(be, acc);
  acc.clear();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const total = performance.now() - t0;
  const sum = [...acc.values()].reduce((a, b) => a + b, 0);
  console.log(`${label}: ${(steps * batch / total * 1000).toFixed(0)} samples/s; per step ${(total / steps * 1000).toFixed(1)} µs; outside backend ${((total - sum) / steps * 1000).toFixed(1)} µs`);
  for (const [k, v] of [...acc.entries()].sort((a, b) => b[1] - a[1])) console.log(`   ${k.padEnd(24)} ${(v / steps * 1000).toFixed(1)} µs`);
  return acc;
}
await run(new WasmBackend(), "1 thread");
const t = await ThreadedBackend.create({ threads: 2 });
await run(t, "2 threads");
t.close();
