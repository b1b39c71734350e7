// simdnet's benchmark suite, in one process on one machine: the machine's WASM SIMD limit (best
// of several probes, and the hardware's 128-bit limit where it can be derived), the GEMM and conv
// kernels against it, training throughput (MLPs on MNIST and on dense pixels, the reference CNNs)
// against the TypeScript backend and TensorFlow.js, and memory in child processes.
// `npm run bench` prints tables and ratios; `-- --quick --json` prints one JSON object.
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { gemmBench, streamBench } from "./kernels.js";
import { convBench, pairedConvFractions } from "./conv.js";
import { PeakTracker, PROBES, hardwareLimit, type ProbeName } from "./peak.js";
import { seedStepSeconds, simdnetCases, simdnetSamplesPerSec, tfjsSamplesPerSec, tfjsSeedStepSeconds, type ModelCase } from "./training.js";
import { CNN_K, CNN_T, CNNS, cnnBackends, convShapes, logCnn, simdnetCnnSamplesPerSec } from "./cnn.js";
import { tfjsCnnCpu, tfjsCnnWasmError } from "./tfjs-cnn.js";
import { json, log, quick } from "./common.js";
import { threadsBench } from "./threads.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const modelA: ModelCase = { name: "modelA", hidden: [128], batch: 64 };
const modelB: ModelCase = { name: "modelB", hidden: [256, 128], batch: 128 };
const nul = (v: number | null | undefined) => (v === undefined || v === null || !Number.isFinite(v) ? null : v);

log(`simdnet bench${quick ? " (quick)" : ""}: ${cpus()[0]?.model ?? "unknown CPU"}, node ${process.version}`);

// ---- the limit ----
log("peak probes and clock…");
const peak = new PeakTracker();
peak.remeasure("start");
log(`  best probe so far ${peak.best.toFixed(2)} GFLOP/s (${peak.bestProbe}); clock ≈ ${peak.clockGHz.toFixed(2)} GHz measured`);

// ---- kernels ----
log("GEMM kernels…");
const gemm = await gemmBench([
  { name: "A1 64x784x128", B: 64, IN: 784, OUT: 128, firstLayer: true },
  { name: "A1 128x784x128", B: 128, IN: 784, OUT: 128, firstLayer: true },
  { name: "A2 64x128x10", B: 64, IN: 128, OUT: 10 },
  { name: "B1 128x784x256", B: 128, IN: 784, OUT: 256, firstLayer: true },
  { name: "B2 128x256x128", B: 128, IN: 256, OUT: 128 },
  ...(quick ? [] : [{ name: "B1 64x784x256", B: 64, IN: 784, OUT: 256, firstLayer: true }, { name: "seed 1024x784x10", B: 1024, IN: 784, OUT: 10, firstLayer: true }]),
]);
peak.remeasure("after the GEMMs");

log("conv kernels…");
const [kConv1, kConv2] = convShapes(CNN_K);
const [tConv1, tConv2] = convShapes(CNN_T);
const { wasm: cnnWasm, js: cnnJs } = cnnBackends();
const conv = await convBench(
  [{ name: "K conv2", ...kConv2 }, ...(quick ? [] : [{ name: "K conv1", ...kConv1 }, { name: "T conv1", ...tConv1 }, { name: "T conv2", ...tConv2 }])],
  [["wasm", cnnWasm], ["js", cnnJs]],
);
// the headline fractions: K conv2's kernels over the probe timed beside them, round by round
const convPaired = pairedConvFractions(kConv2, cnnWasm());
log(`  K conv2 of the probe beside it (median of ${convPaired.rounds.length} rounds): fwd ${convPaired.fwd.toFixed(2)} dW ${convPaired.dW.toFixed(2)} dX ${convPaired.dX.toFixed(2)}`);
peak.remeasure("after the convs");

const stream = await streamBench();
log(`  softmax+xent ${stream.softmaxXentGBs.toFixed(2)} GB/s, sgd ${stream.sgdGBs.toFixed(2)} GB/s`);

// ---- training ----
log("training throughput, MLPs…");
const { wasm, js } = simdnetCases();
const samplesPerSec: Record<string, Record<string, number | null>> = {};
const tfHow: Record<string, string> = {};
for (const m of [modelA, modelB]) {
  const wasmRate = simdnetSamplesPerSec(wasm(), m, quick ? 100 : 200, quick ? 5 : 9);
  log(`  simdnet wasm ${m.name}: ${Math.round(wasmRate)} samples/s`);
  const jsRate = simdnetSamplesPerSec(js(), m, quick ? 5 : 10, 3);
  log(`  simdnet js ${m.name}: ${Math.round(jsRate)} samples/s`);
  const tfw = await tfjsSamplesPerSec("wasm", m, quick ? 40 : 100, 3);
  const tfc = await tfjsSamplesPerSec("cpu", m, quick ? 5 : 15, 2);
  samplesPerSec[m.name] = { wasm: wasmRate, js: jsRate, tfjsWasm: tfw.samplesPerSec, tfjsCpu: tfc.samplesPerSec };
  tfHow[m.name] = `wasm: ${tfw.how}, cpu: ${tfc.how}`;
  // the same on dense pixels (every 0 set to 1): nothing for the first layer to skip
  const wasmDense = simdnetSamplesPerSec(wasm(), m, quick ? 100 : 200, quick ? 5 : 9, "dense");
  const jsDense = simdnetSamplesPerSec(js(), m, quick ? 5 : 10, 3, "dense");
  const tfwDense = await tfjsSamplesPerSec("wasm", m, quick ? 40 : 100, 3, "dense");
  log(`  dense pixels ${m.name}: simdnet wasm ${Math.round(wasmDense)}, js ${Math.round(jsDense)}, tfjs-wasm ${Math.round(tfwDense.samplesPerSec)} samples/s`);
  samplesPerSec[`${m.name}Dense`] = { wasm: wasmDense, js: jsDense, tfjsWasm: tfwDense.samplesPerSec };
  tfHow[`${m.name}Dense`] = `wasm: ${tfwDense.how}`;
}

log("training throughput, CNNs…");
const tfjsWasmCnnError: Record<string, string | null> = {};
for (const net of CNNS) {
  const big = net === CNN_K;
  const w = simdnetCnnSamplesPerSec(cnnWasm(), net, quick ? (big ? 10 : 40) : big ? 30 : 100, quick ? 3 : 7);
  logCnn(`simdnet wasm ${net.name}`, w);
  const j = simdnetCnnSamplesPerSec(cnnJs(), net, quick ? 1 : big ? 2 : 5, quick ? 1 : 3);
  logCnn(`simdnet js ${net.name}`, j);
  const tfc = await tfjsCnnCpu(net, quick ? (big ? 1 : 2) : big ? 2 : 6, 1);
  samplesPerSec[net.name] = { wasm: w.samplesPerSec, js: j.samplesPerSec, tfjsCpu: tfc.samplesPerSec };
  tfHow[net.name] = `cpu: ${tfc.how}`;
  tfjsWasmCnnError[net.name] = await tfjsCnnWasmError(net);
  log(`  tfjs-wasm ${net.name}: ${tfjsWasmCnnError[net.name] === null ? "trained (no error)" : `cannot train: ${tfjsWasmCnnError[net.name]}`}`);
}

log("training throughput on 1 and 2 threads (bench/threads.ts)…");
const threads = await threadsBench(quick);

log("seed network full-batch step…");
// all three at the largest full batch TF.js' wasm backend holds (5000); simdnet also on all 60000
const SEED_N = 5000;
const seed = { batch: SEED_N, wasm: seedStepSeconds(wasm(), SEED_N, quick ? 5 : 9), js: seedStepSeconds(js(), SEED_N, 1), tfjsWasm: await tfjsSeedStepSeconds(SEED_N, quick ? 3 : 5) };
const seed60k = { batch: 60000, wasm: seedStepSeconds(wasm(), 60000, quick ? 3 : 5), js: quick ? null : seedStepSeconds(js(), 60000, 1) };
log(`  seconds per ${SEED_N}-sample step: wasm ${seed.wasm.toFixed(4)}, js ${seed.js.toFixed(3)}, tfjs-wasm ${seed.tfjsWasm.toFixed(3)}; 60000: wasm ${seed60k.wasm.toFixed(3)}`);

peak.remeasure("end");
// the limit with the fastest clock the run saw (the clock is re-measured with every probe)
const limit = hardwareLimit(peak.clockGHz);
log(`  best probe ${peak.best.toFixed(2)} GFLOP/s (${peak.bestProbe}); 128-bit limit: ${limit.gflops === null ? limit.how : `${limit.gflops.toFixed(1)} GFLOP/s = ${limit.how}`}`);

log("memory (separate processes)…");
const child = (args: string[]) =>
  JSON.parse(execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", join(here, "memory.ts"), ...args], { encoding: "utf8", env: process.env }).trim().split("\n").pop()!);
const mem = child([quick ? "2" : "3", "mlp"]);
// K: one epoch on full MNIST (quick: the first 3200 images of the split, the whole set loaded)
const memK = child(["1", "cnnK", ...(quick ? ["3200"] : [])]);
const rssLine = (m: { peakRssMiB: number; peakRssAfterLoadingMiB: number; rssAtEndMiB: number }) =>
  `peak RSS ${m.peakRssMiB.toFixed(1)} MiB (${m.peakRssMiB > m.peakRssAfterLoadingMiB + 0.05 ? "reached while training" : "reached while loading MNIST"}; ${m.rssAtEndMiB.toFixed(1)} MiB at the end)`;
log(`  model A: ${rssLine(mem)}; K: ${memK.waiting ? `not measured: ${memK.waiting}` : rssLine(memK)}`);

// ---- results ----
const P = peak.best;
const of = (v: number | null | undefined) => (nul(v) === null ? null : v! / P);
const gemmA = gemm[0].gflops;
const kc = conv[0].gflops;
const rate = (m: string, k: string) => samplesPerSec[m]?.[k] ?? null;
const ratio = (a: number | null, b: number | null) => (a === null || b === null || !b ? null : a / b);
const result = {
  machine: { cpu: cpus()[0]?.model ?? null, node: process.version, quick },
  /** Best GFLOP/s of any probe shape over the run's re-measurements: the denominator of every "of probe". */
  peakGflops: P,
  peakProbe: { best: peak.bestProbe, perProbe: peak.perProbe, samples: peak.samples },
  hardwareLimit: limit,
  gemmPeakFraction: { fwd: of(gemmA.fwd.wasm), dW: of(gemmA.dW.wasm), dX: of(gemmA.dX.wasm) },
  /** K conv2: each kernel over the probe measured just before and after it, median over rounds (bench/conv.ts pairedConvFractions). */
  convPeakFraction: { fwd: convPaired.fwd, dW: convPaired.dW, dX: convPaired.dX },
  /** The same kernels' tinybench medians over the run's best probe (a slow stretch of the machine reads low). */
  convPeakFractionOfRunBest: { fwd: of(kc.fwd.wasm), dW: of(kc.dW.wasm), dX: of(kc.dX.wasm) },
  convPairedRounds: convPaired.rounds,
  gemm: gemm.map((g) => ({ shape: g.shape, ...g.gflops, ...(g.u8 ? { u8: g.u8 } : {}) })),
  conv: conv.map((c) => ({ shape: c.shape, ...c.gflops, missing: c.missing })),
  streamGBs: stream,
  samplesPerSec,
  tfjsMethod: tfHow,
  tfjsWasmCnnError,
  /** CNN samples/s per GFLOP/s of the peak probe (issue 10's machine-independent targets: T ≥ 240, K ≥ 47). */
  cnnSamplesPerPeakGflop: { cnnT: ratio(rate("cnnT", "wasm"), P), cnnK: ratio(rate("cnnK", "wasm"), P) },
  seedStepSeconds: seed,
  seedStep60kSeconds: seed60k,
  /** samples/s on 1 and 2 threads, plain and FMA builds (bench/threads.ts; quick: the MNIST cases only). */
  threads,
  ratios: {
    modelA_vs_js: ratio(rate("modelA", "wasm"), rate("modelA", "js")),
    modelA_vs_tfjsWasm: ratio(rate("modelA", "wasm"), rate("modelA", "tfjsWasm")),
    modelB_vs_js: ratio(rate("modelB", "wasm"), rate("modelB", "js")),
    modelB_vs_tfjsWasm: ratio(rate("modelB", "wasm"), rate("modelB", "tfjsWasm")),
    modelADense_vs_tfjsWasm: ratio(rate("modelADense", "wasm"), rate("modelADense", "tfjsWasm")),
    modelBDense_vs_tfjsWasm: ratio(rate("modelBDense", "wasm"), rate("modelBDense", "tfjsWasm")),
    cnnT_vs_js: ratio(rate("cnnT", "wasm"), rate("cnnT", "js")),
    cnnT_vs_tfjsCpu: ratio(rate("cnnT", "wasm"), rate("cnnT", "tfjsCpu")),
    cnnK_vs_js: ratio(rate("cnnK", "wasm"), rate("cnnK", "js")),
    cnnK_vs_tfjsCpu: ratio(rate("cnnK", "wasm"), rate("cnnK", "tfjsCpu")),
    seed_vs_tfjsWasm: seed.tfjsWasm / seed.wasm,
  },
  memory: { modelA: mem, cnnK: memK },
  peakRssMiB: mem.peakRssMiB,
  heapGrowthMiB: mem.heapGrowthMiB,
  heapUsedMiBPerEpoch: mem.heapUsedMiBPerEpoch,
  cnnKPeakRssMiB: memK.peakRssMiB ?? null,
};

if (json) {
  console.log(JSON.stringify(result));
} else {
  const f = (v: number | null | undefined, d = 2) => (nul(v) === null ? "—" : v!.toFixed(d));
  const r0 = (v: number | null | undefined) => (nul(v) === null ? "—" : v! < 100 ? v!.toFixed(1) : String(Math.round(v!)));
  console.log(`\nPeak probe (best of ${Object.keys(PROBES).length} shapes, ${peak.samples.length} measurements across the run): ${f(P)} GFLOP/s, by ${peak.bestProbe} (one core)`);
  console.table(
    Object.fromEntries([
      ...(Object.keys(PROBES) as ProbeName[]).map((k) => [k, { what: PROBES[k].what, ...Object.fromEntries(peak.samples.map((s) => [s.at, f(s.probes[k])])) }]),
      ["clock GHz", { what: "dependent one-cycle integer ops", ...Object.fromEntries(peak.samples.map((s) => [s.at, f(s.clockGHz)])) }],
    ]),
  );
  console.log(`Hardware 128-bit limit: ${limit.gflops === null ? limit.how : `${f(limit.gflops, 1)} GFLOP/s; ${limit.how}`}`);
  if (limit.gflops !== null) console.log(`Best probe / limit: ${f(P / limit.gflops)}${P > limit.gflops ? " (above 1: the clock or the port count in the derivation is too low)" : ""}\n`);
  console.log("GEMM GFLOP/s (wasm: the SIMD exports timed directly; wasmNaive and js: through their backends, dX only with dW)");
  console.table(
    gemm.flatMap((g) => [
      ...(["fwd", "dW", "dX"] as const).map((k) => ({ shape: g.shape, op: k, wasm: f(g.gflops[k].wasm), "wasm of probe": f(of(g.gflops[k].wasm)), wasmNaive: f(g.gflops[k].wasmNaive), js: f(g.gflops[k].js) })),
      { shape: g.shape, op: "dW+dX", wasm: f(g.gflops.dWdX.wasm), "wasm of probe": f(of(g.gflops.dWdX.wasm)), wasmNaive: f(g.gflops.dWdX.wasmNaive), js: f(g.gflops.dWdX.js) },
    ]),
  );
  console.log("First-layer uint8 kernels (what training runs; no dX), dense-equivalent GFLOP/s = 2·B·IN·OUT / time");
  console.table(
    gemm.filter((g) => g.u8).flatMap((g) =>
      (["fwd", "dW"] as const).map((k) => ({ shape: g.shape, op: `${k} u8`, MNIST: f(g.u8!.mnist[k]), "MNIST of probe": f(of(g.u8!.mnist[k])), "dense pixels": f(g.u8!.dense[k]), "dense of probe": f(of(g.u8!.dense[k])) })),
    ),
  );
  console.log("Conv GFLOP/s (2·B·OH·OW·F·K²·C per kernel)");
  console.table(
    conv.flatMap((c) => (["fwd", "dW", "dX"] as const).map((k) => ({ shape: c.shape, op: k, wasm: f(c.gflops[k].wasm), "wasm of probe": f(of(c.gflops[k].wasm)), js: f(c.gflops[k].js) }))),
  );
  for (const c of conv) for (const [b, why] of Object.entries(c.missing)) console.log(`  ${c.shape} ${b}: ${why}`);
  console.log(`softmax+xent ${f(stream.softmaxXentGBs)} GB/s, SGD update ${f(stream.sgdGBs)} GB/s\n`);
  console.log("Training samples/s (median; *Dense = MNIST with every zero pixel set to 1)");
  console.table(Object.fromEntries(Object.entries(samplesPerSec).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([a, b]) => [a, r0(b)]))])));
  console.log(`TF.js method used: ${JSON.stringify(tfHow)}`);
  for (const [k, e] of Object.entries(tfjsWasmCnnError)) console.log(`TF.js wasm on ${k}: ${e === null ? "trained" : `cannot train: ${e}`}`);
  console.log(`CNN samples/s per probe GFLOP/s: T ${f(result.cnnSamplesPerPeakGflop.cnnT, 1)}, K ${f(result.cnnSamplesPerPeakGflop.cnnK, 1)}`);
  console.log(`Seed step seconds (784-10-10, full batch of ${seed.batch}): wasm ${f(seed.wasm, 4)}, js ${f(seed.js, 3)}, tfjs-wasm ${f(seed.tfjsWasm, 3)}`);
  console.log(`Seed step seconds (full batch of 60000): wasm ${f(seed60k.wasm, 3)}${seed60k.js !== null ? `, js ${f(seed60k.js, 2)}` : ""} (TF.js wasm cannot hold this batch)`);
  console.log("Ratios:", Object.fromEntries(Object.entries(result.ratios).map(([k, v]) => [k, v === null ? null : +v.toFixed(2)])));
  console.log(`Memory (model A, full MNIST, ${mem.epochs} epochs): peak RSS ${f(mem.peakRssMiB, 1)} MiB, JS heap per epoch ${mem.heapUsedMiBPerEpoch.join(" / ")} MiB, growth ${f(mem.heapGrowthMiB, 3)} MiB`);
  console.log(`Memory (K, full MNIST loaded, ${memK.waiting ? "—" : `${memK.trainedSamples} samples trained`}): ${memK.waiting ? `not measured: ${memK.waiting}` : `peak RSS ${f(memK.peakRssMiB, 1)} MiB`}`);
}
