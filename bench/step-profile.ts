// Where a training step's time goes, per Backend call, on one thread and on two: every backend
// method is wrapped with a timer (outermost call only) and the batch gather is timed apart. The
// two backends take turns chunk by chunk (this VM's speed drifts within a minute), and each row is
// the median over chunks of µs per step, with the two-thread speed-up.
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
import { median, trainSet, type Pixels } from "./common.js";

const which = process.argv[2] ?? "A";
const pixels = (process.argv[3] ?? "mnist") as Pixels;
const spec = which === "A" ? { inputSize: 784, hidden: [128], outputSize: 10, activation: "relu" } : which === "B" ? { inputSize: 784, hidden: [256, 128], outputSize: 10, activation: "relu" } : simdnetSpec(which === "T" ? CNN_T : CNN_K);
const batch = which === "B" ? 128 : 64;

/** Wraps every method of `be` to add its time (ms) to acc[name]; nested calls count once. */
function wrap(be: Backend, acc: Map<string, number>): void {
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

interface Profiled { acc: Map<string, number>; step: () => void; perStep: Map<string, number[]> }

function profiled(be: Backend): Profiled {
  const acc = new Map<string, number>();
  const net = new Network(spec as never, be, batch, 0, 0);
  net.init(1);
  const train = allOf(trainSet(pixels));
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
  for (let i = 0; i < 20; i++) step(); // warm-up
  wrap(be, acc);
  return { acc, step, perStep: new Map() };
}

const one = new WasmBackend();
const two = await ThreadedBackend.create({ threads: 2 });
const runs = [profiled(one), profiled(two)];
const steps = which === "K" ? 10 : which === "T" ? 30 : 120;
const chunks = 9;
for (let k = 0; k < chunks; k++)
  for (const r of runs) {
    r.acc.clear();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) r.step();
    const total = performance.now() - t0;
    const record = (name: string, ms: number) => (r.perStep.get(name) ?? r.perStep.set(name, []).get(name)!).push((ms / steps) * 1000);
    let inside = 0;
    for (const [name, ms] of r.acc) { record(name, ms); inside += ms; }
    record("(step)", total);
    record("(outside backend)", total - inside);
  }
two.close();
const med = (r: Profiled, name: string) => median(r.perStep.get(name) ?? [0]);
const names = [...runs[0].perStep.keys()].sort((a, b) => med(runs[0], b) - med(runs[0], a));
console.log(`${which} on ${pixels} pixels, batch ${batch}: µs per step (median of ${chunks} interleaved chunks of ${steps} steps)`);
console.log(`   ${"call".padEnd(24)} ${"1 thread".padStart(9)} ${"2 threads".padStart(9)}   2/1`);
for (const n of names) {
  const a = med(runs[0], n), b = med(runs[1], n);
  console.log(`   ${n.padEnd(24)} ${a.toFixed(1).padStart(9)} ${b.toFixed(1).padStart(9)}   ${(a / b).toFixed(2)}×`);
}
