// Multi-threaded training throughput: samples/s on 1 and 2 threads (and 2 with the relaxed-SIMD
// FMA build, and 1 with it) for 784-128-10 (batch 64), 784-256-128-10 (batch 128) and the CNNs T
// and K (batch 64), on MNIST and on dense pixels (every zero set to 1: nothing for the first layer
// to skip). The configurations of one case take turns chunk by chunk, so a noisy neighbour hits
// them alike; each figure is the median of its chunks. `tsx bench/threads.ts [--quick] [--json]
// [--cases modelB,modelBDense]`, or the "threads" object of `npm run bench -- --quick --json`.
import { WasmBackend, fmaSupported } from "../src/backend/wasm.js";
import { ThreadedBackend } from "../src/backend/threads.js";
import type { Backend } from "../src/backend/types.js";
import { Network } from "../src/model/network.js";
import { Sgd } from "../src/train/optimizers.js";
import { allOf, type Subset } from "../src/data/dataset.js";
import { epochOrder } from "../src/train/trainer.js";
import { CNN_K, CNN_T, simdnetSpec } from "./cnn.js";
import type { ModelSpec } from "../src/model/spec.js";
import { json, log, median, quick, trainSet, type Pixels } from "./common.js";
import { measureProbes } from "./peak.js";

/** PyTorch 2.13, 784-256-128-10 on two threads: 136k samples/s at a 59 GFLOP/s probe (the threads issue). */
const PYTORCH_B_2THREADS_PER_PROBE = 136_000 / 59;

interface Case {
  name: string;
  spec: ModelSpec;
  batch: number;
  pixels: Pixels;
  dropout: number;
}

const mlp = (hidden: number[]): ModelSpec => ({ inputSize: 784, hidden, outputSize: 10, activation: "relu" });
const CASES: Case[] = [
  { name: "modelA", spec: mlp([128]), batch: 64, pixels: "mnist", dropout: 0 },
  { name: "modelB", spec: mlp([256, 128]), batch: 128, pixels: "mnist", dropout: 0 },
  { name: "cnnT", spec: simdnetSpec(CNN_T), batch: 64, pixels: "mnist", dropout: 0 },
  { name: "cnnK", spec: simdnetSpec(CNN_K), batch: 64, pixels: "mnist", dropout: 0 },
  { name: "modelADense", spec: mlp([128]), batch: 64, pixels: "dense", dropout: 0 },
  { name: "modelBDense", spec: mlp([256, 128]), batch: 128, pixels: "dense", dropout: 0 },
  { name: "cnnTDense", spec: simdnetSpec(CNN_T), batch: 64, pixels: "dense", dropout: 0 },
  { name: "cnnKDense", spec: simdnetSpec(CNN_K), batch: 64, pixels: "dense", dropout: 0 },
];

/** A stepper: one SGD step per call over the shuffled training set. */
function stepper(be: Backend, c: Case): () => void {
  const net = new Network(c.spec, be, c.batch, 0, c.dropout);
  net.init(1);
  const train = allOf(trainSet(c.pixels));
  const order: Subset = { data: train.data, indices: epochOrder(train.indices, 1, 1) };
  const opt = new Sgd();
  let pos = 0;
  let s = 1;
  return () => {
    if (pos + c.batch > order.indices.length) pos = 0;
    net.loadBatch(order, pos, c.batch);
    pos += c.batch;
    net.computeGradients(c.batch, s++);
    opt.step(net, 0.01);
  };
}

export type ThreadFigures = Record<string, number | null>;

/**
 * What a second thread can add on this machine right now: the work two threads running the same
 * busy loop get done in 300 ms over what one gets done (2.0: two idle cores; ≈ 1.0: the process
 * gets about one core's worth, e.g. a shared machine whose scheduler groups each session's threads).
 */
export async function parallelCapacity(): Promise<number> {
  const { Worker } = await import("node:worker_threads");
  const code = `const { parentPort } = require("node:worker_threads");
parentPort.once("message", (ms) => { let n = 0, x = 1.0001; const end = Date.now() + ms; while (Date.now() < end) for (let i = 0; i < 10000; i++) { x = x * 1.0000001 + 1e-9; n++; } parentPort.postMessage(n + (x > 1e300 ? 1 : 0)); });`;
  const spin = (ms: number) => new Promise<number>((resolve) => {
    const w = new Worker(code, { eval: true });
    w.once("message", (n: number) => { void w.terminate(); resolve(n); });
    w.postMessage(ms);
  });
  const one = await spin(300);
  const two = await Promise.all([spin(300), spin(300)]);
  return (two[0] + two[1]) / one;
}

/** The case names after --cases, if given. */
function casesArg(): string[] | undefined {
  const i = process.argv.indexOf("--cases");
  return i >= 0 ? process.argv[i + 1]?.split(",") : undefined;
}

/** samples/s per case and configuration ("1", "2", "1fma", "2fma"; null where FMA is unavailable). */
export async function threadsBench(q = quick, only = casesArg()): Promise<Record<string, ThreadFigures>> {
  const fma = fmaSupported();
  const configs: [string, Backend][] = [
    ["1", new WasmBackend()],
    ["2", await ThreadedBackend.create({ threads: 2 })],
  ];
  if (fma) configs.push(["1fma", new WasmBackend({ fma: true })], ["2fma", await ThreadedBackend.create({ threads: 2, fma: true })]);
  const out: Record<string, ThreadFigures> = {};
  const probe: ThreadFigures = {}; // median probe GFLOP/s during each case
  const before = await parallelCapacity();
  log(`  parallel capacity before: ${before.toFixed(2)} (2.0 = two free cores)`);
  try {
    for (const c of only ? CASES.filter((c) => only.includes(c.name)) : q ? CASES.slice(0, 4) : CASES) {
      const cnn = !!c.spec.layers;
      const big = c.name.startsWith("cnnK");
      // about 0.1–0.3 s per chunk on one thread
      const steps = big ? (q ? 6 : 12) : cnn ? (q ? 20 : 40) : q ? 60 : 120;
      const chunks = q ? 5 : 9;
      const runs = configs.map(([name, be]) => ({ name, step: stepper(be, c), rates: [] as number[] }));
      for (const r of runs) for (let i = 0; i < Math.max(5, steps >> 1); i++) r.step(); // warm-up (and V8's optimising tier)
      const peaks: number[] = [];
      for (let k = 0; k < chunks; k++) {
        for (const r of runs) {
          const t0 = performance.now();
          for (let i = 0; i < steps; i++) r.step();
          r.rates.push((steps * c.batch) / ((performance.now() - t0) / 1000));
        }
        // the one-thread probe between chunks: a denominator from the same minutes as the figures
        peaks.push(Math.max(...Object.values(measureProbes(1))));
      }
      out[c.name] = Object.fromEntries([...runs.map((r) => [r.name, median(r.rates)] as const), ...(fma ? [] : [["1fma", null], ["2fma", null]] as const)]);
      const peak = median(peaks);
      probe[c.name] = peak;
      const f = out[c.name];
      log(`  threads ${c.name}: 1 → ${Math.round(f["1"]!)}, 2 → ${Math.round(f["2"]!)} (${(f["2"]! / f["1"]!).toFixed(2)}×)` + (fma ? `, 1 fma → ${Math.round(f["1fma"]!)}, 2 fma → ${Math.round(f["2fma"]!)} samples/s` : ", no FMA here") + `; probe ${peak.toFixed(1)} GFLOP/s`);
      if (c.name.startsWith("modelB")) {
        const best = f["2fma"] ?? f["2"]!;
        const perProbe = best / peak;
        log(`    2 threads${fma ? " + FMA" : ""}: ${perProbe.toFixed(0)} samples/s per probe GFLOP/s, ${(perProbe / PYTORCH_B_2THREADS_PER_PROBE).toFixed(2)}× PyTorch's two-thread ${PYTORCH_B_2THREADS_PER_PROBE.toFixed(0)}`);
      }
    }
  } finally {
    for (const [, be] of configs) be.close?.();
  }
  const after = await parallelCapacity();
  log(`  parallel capacity after: ${after.toFixed(2)}`);
  out.parallelCapacity = { before, after };
  out.probe = probe;
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  log(`simdnet thread bench${quick ? " (quick)" : ""}`);
  const r = await threadsBench();
  if (json) console.log(JSON.stringify(r));
  else {
    const { parallelCapacity: cap, probe, ...rest } = r;
    console.log(`parallel capacity (two busy threads / one): ${cap.before?.toFixed(2)} before, ${cap.after?.toFixed(2)} after (2.00: two free cores)`);
    const ratio = (a: number | null, b: number | null) => (a && b ? (a / b).toFixed(2) : "—");
    console.table(Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, { ...Object.fromEntries(Object.entries(v).map(([a, b]) => [a, b === null ? "—" : Math.round(b)])), "2/1": ratio(v["2"], v["1"]), "1fma/1": ratio(v["1fma"], v["1"]), "2fma/1": ratio(v["2fma"], v["1"]), probe: probe[k]?.toFixed(1) }])));
  }
}
