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
import { SimdCapacity, measureProbes } from "./peak.js";

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

/** The case names after --cases, if given. */
function casesArg(): string[] | undefined {
  const i = process.argv.indexOf("--cases");
  return i >= 0 ? process.argv[i + 1]?.split(",") : undefined;
}

/** Chunks of a case whose SIMD capacity (the lower of the readings just before and after) is at least this count as two-core minutes. */
export const TWO_CORES = 1.8;

/**
 * samples/s per case and configuration ("1", "2", "1fma", "2fma"; null where FMA is unavailable):
 * medians over all chunks, and in `steady` over the chunks the VM gave two cores for
 * (SimdCapacity ≥ TWO_CORES before and after the chunk round), with their count.
 */
export async function threadsBench(q = quick, only = casesArg()): Promise<Record<string, ThreadFigures>> {
  const fma = fmaSupported();
  const configs: [string, Backend][] = [
    ["1", new WasmBackend()],
    ["2", await ThreadedBackend.create({ threads: 2 })],
  ];
  if (fma) configs.push(["1fma", new WasmBackend({ fma: true })], ["2fma", await ThreadedBackend.create({ threads: 2, fma: true })]);
  const out: Record<string, ThreadFigures> = {};
  const probe: ThreadFigures = {}; // median probe GFLOP/s during each case
  const capacity: ThreadFigures = {}; // median SIMD capacity of each case's chunk rounds
  const steady: Record<string, ThreadFigures> = {};
  const pairedRatio: ThreadFigures = {}; // median over rounds of 2-thread / 1-thread in the same round
  const simd = await SimdCapacity.start();
  const before = await simd.measure(300);
  log(`  SIMD capacity before: ${before.toFixed(2)} (2.0 = two free cores)`);
  const nulls = fma ? [] : ([["1fma", null], ["2fma", null]] as const);
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
      const caps: number[] = [];
      let capBefore = await simd.measure(); // a reading between two rounds serves both
      for (let k = 0; k < chunks; k++) {
        for (const r of runs) {
          const t0 = performance.now();
          for (let i = 0; i < steps; i++) r.step();
          r.rates.push((steps * c.batch) / ((performance.now() - t0) / 1000));
        }
        const capAfter = await simd.measure();
        caps.push(Math.min(capBefore, capAfter));
        capBefore = capAfter;
        // the one-thread probe between chunks: a denominator from the same minutes as the figures
        peaks.push(Math.max(...Object.values(measureProbes(1))));
      }
      out[c.name] = Object.fromEntries([...runs.map((r) => [r.name, median(r.rates)] as const), ...nulls]);
      const good = caps.map((x, k) => (x >= TWO_CORES ? k : -1)).filter((k) => k >= 0);
      steady[c.name] = Object.fromEntries([...runs.map((r) => [r.name, good.length ? median(good.map((k) => r.rates[k])) : null] as const), ...nulls, ["chunks", good.length]]);
      const peak = median(peaks);
      probe[c.name] = peak;
      capacity[c.name] = median(caps);
      const f = out[c.name], g = steady[c.name];
      const rate = (x: number | null) => (x === null ? "—" : String(Math.round(x)));
      log(`  threads ${c.name}: 1 → ${rate(f["1"])}, 2 → ${rate(f["2"])} (${(f["2"]! / f["1"]!).toFixed(2)}×)` + (fma ? `, 1 fma → ${rate(f["1fma"])}, 2 fma → ${rate(f["2fma"])} samples/s` : ", no FMA here") + `; probe ${peak.toFixed(1)} GFLOP/s, SIMD capacity ${capacity[c.name]!.toFixed(2)}`);
      log(`    two-core chunks (${good.length} of ${chunks}): 1 → ${rate(g["1"])}, 2 → ${rate(g["2"])}` + (g["1"] ? ` (${(g["2"]! / g["1"]).toFixed(2)}×)` : ""));
      // the 2-thread chunk over the 1-thread chunk of the same round (seconds apart), per round
      const one = runs.find((r) => r.name === "1")!, two = runs.find((r) => r.name === "2")!;
      const paired = one.rates.map((x, k) => two.rates[k] / x).sort((a, b) => a - b);
      pairedRatio[c.name] = median(paired);
      log(`    2/1 per round: median ${median(paired).toFixed(2)}, range ${paired[0].toFixed(2)}–${paired[paired.length - 1].toFixed(2)}`);
      if (c.name.startsWith("modelB")) {
        const best = f["2fma"] ?? f["2"]!;
        const perProbe = best / peak;
        log(`    2 threads${fma ? " + FMA" : ""}: ${perProbe.toFixed(0)} samples/s per probe GFLOP/s, ${(perProbe / PYTORCH_B_2THREADS_PER_PROBE).toFixed(2)}× PyTorch's two-thread ${PYTORCH_B_2THREADS_PER_PROBE.toFixed(0)}`);
      }
    }
  } finally {
    for (const [, be] of configs) be.close?.();
  }
  const after = await simd.measure(300);
  simd.close();
  log(`  SIMD capacity after: ${after.toFixed(2)}`);
  out.parallelCapacity = { before, after };
  out.probe = probe;
  out.capacity = capacity;
  out.pairedRatio = pairedRatio;
  for (const [k, v] of Object.entries(steady)) out[`${k}.twoCoreChunks`] = v;
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  log(`simdnet thread bench${quick ? " (quick)" : ""}`);
  const r = await threadsBench();
  if (json) console.log(JSON.stringify(r));
  else {
    const { parallelCapacity: cap, probe, capacity, pairedRatio, ...rest } = r;
    console.log(`SIMD capacity (two busy SIMD threads / one): ${cap.before?.toFixed(2)} before, ${cap.after?.toFixed(2)} after (2.00: two free cores)`);
    const ratio = (a: number | null | undefined, b: number | null | undefined) => (a && b ? (a / b).toFixed(2) : "—");
    const row = (v: ThreadFigures, k: string) => ({ ...Object.fromEntries(["1", "2", "1fma", "2fma"].map((a) => [a, v[a] == null ? "—" : Math.round(v[a]!)])), "2/1": ratio(v["2"], v["1"]), "1fma/1": ratio(v["1fma"], v["1"]), "2fma/1": ratio(v["2fma"], v["1"]), probe: probe[k]?.toFixed(1), capacity: capacity[k]?.toFixed(2), "2/1 per round": pairedRatio[k]?.toFixed(2) });
    console.log("all chunks:");
    console.table(Object.fromEntries(Object.entries(rest).filter(([k]) => !k.includes(".")).map(([k, v]) => [k, row(v, k)])));
    console.log(`chunks with SIMD capacity ≥ ${TWO_CORES} (count in "chunks"):`);
    console.table(Object.fromEntries(Object.entries(rest).filter(([k]) => k.endsWith(".twoCoreChunks")).map(([k, v]) => { const name = k.split(".")[0]; return [name, { ...row(v, name), chunks: v.chunks }]; })));
  }
}
