// simdnet's benchmark suite, in one process on one machine: the machine's WASM SIMD limit, the
// GEMM kernels against it, training throughput against the TypeScript backend and TensorFlow.js,
// and memory. `npm run bench` prints tables and ratios; `-- --quick --json` prints one JSON object.
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { CONV_SHAPES, convBench, gemmBench, peakGflops, streamBench } from "./kernels.js";
import { seedStepSeconds, simdnetCases, simdnetSamplesPerSec, tfjsSamplesPerSec, tfjsSeedStepSeconds, type ModelCase } from "./training.js";
import { json, log, quick } from "./common.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const modelA: ModelCase = { name: "modelA", hidden: [128], batch: 64 };
const modelB: ModelCase = { name: "modelB", hidden: [256, 128], batch: 128 };

log(`simdnet bench${quick ? " (quick)" : ""}: ${cpus()[0]?.model ?? "unknown CPU"}, node ${process.version}`);

log("peak probe…");
const peak = peakGflops();
log(`  peak f32x4 mul+add: ${peak.toFixed(2)} GFLOP/s`);

log("GEMM kernels…");
const gemm = await gemmBench([
  { name: "A1 64x784x128", B: 64, IN: 784, OUT: 128 },
  { name: "A1 128x784x128", B: 128, IN: 784, OUT: 128 },
  { name: "A2 64x128x10", B: 64, IN: 128, OUT: 10 },
  { name: "B1 128x784x256", B: 128, IN: 784, OUT: 256 },
  { name: "B2 128x256x128", B: 128, IN: 256, OUT: 128 },
  ...(quick ? [] : [{ name: "B1 64x784x256", B: 64, IN: 784, OUT: 256 }, { name: "seed 1024x784x10", B: 1024, IN: 784, OUT: 10 }]),
]);
log("conv kernels…");
const conv = convBench(CONV_SHAPES, peak);
const stream = await streamBench();
log(`  softmax+xent ${stream.softmaxXentGBs.toFixed(2)} GB/s, sgd ${stream.sgdGBs.toFixed(2)} GB/s`);

log("training throughput…");
const { wasm, js } = simdnetCases();
const samplesPerSec: Record<string, Record<string, number>> = {};
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
}

log("seed network full-batch step…");
// all three at the largest full batch TF.js' wasm backend holds (5000); simdnet also on all 60000
const SEED_N = 5000;
const seed = { batch: SEED_N, wasm: seedStepSeconds(wasm(), SEED_N, quick ? 5 : 9), js: seedStepSeconds(js(), SEED_N, 1), tfjsWasm: await tfjsSeedStepSeconds(SEED_N, quick ? 3 : 5) };
const seed60k = { batch: 60000, wasm: seedStepSeconds(wasm(), 60000, quick ? 3 : 5), js: quick ? null : seedStepSeconds(js(), 60000, 1) };
log(`  seconds per ${SEED_N}-sample step: wasm ${seed.wasm.toFixed(4)}, js ${seed.js.toFixed(3)}, tfjs-wasm ${seed.tfjsWasm.toFixed(3)}; 60000: wasm ${seed60k.wasm.toFixed(3)}`);

log("memory (separate process)…");
const mem = JSON.parse(
  execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", join(here, "memory.ts"), quick ? "2" : "3"], { encoding: "utf8", env: process.env }).trim().split("\n").pop()!,
);

const gemmA = gemm[0].gflops;
const result = {
  machine: { cpu: cpus()[0]?.model ?? null, node: process.version, quick },
  peakGflops: peak,
  gemmPeakFraction: { fwd: gemmA.fwd.wasm / peak, dW: gemmA.dW.wasm / peak, dX: gemmA.dX.wasm / peak },
  gemm: gemm.map((g) => ({ shape: g.shape, ...g.gflops })),
  conv,
  streamGBs: stream,
  samplesPerSec,
  tfjsMethod: tfHow,
  seedStepSeconds: seed,
  seedStep60kSeconds: seed60k,
  ratios: {
    modelA_vs_js: samplesPerSec.modelA.wasm / samplesPerSec.modelA.js,
    modelA_vs_tfjsWasm: samplesPerSec.modelA.wasm / samplesPerSec.modelA.tfjsWasm,
    modelB_vs_js: samplesPerSec.modelB.wasm / samplesPerSec.modelB.js,
    modelB_vs_tfjsWasm: samplesPerSec.modelB.wasm / samplesPerSec.modelB.tfjsWasm,
    seed_vs_tfjsWasm: seed.tfjsWasm / seed.wasm,
  },
  peakRssMB: mem.peakRssMB,
  heapGrowthMB: mem.heapGrowthMB,
  heapUsedMBPerEpoch: mem.heapUsedMBPerEpoch,
};

if (json) {
  console.log(JSON.stringify(result));
} else {
  const f = (v: number, d = 2) => v.toFixed(d);
  console.log(`\nPeak f32x4 mul+add: ${f(peak)} GFLOP/s (one core)\n`);
  console.log("GEMM GFLOP/s (fraction of peak for wasm)");
  console.table(
    gemm.flatMap((g) =>
      (["fwd", "dW", "dX"] as const).map((k) => ({ shape: g.shape, op: k, wasm: f(g.gflops[k].wasm), "wasm/peak": f(g.gflops[k].wasm / peak), wasmNaive: f(g.gflops[k].wasmNaive), js: f(g.gflops[k].js) })),
    ),
  );
  console.log(`softmax+xent ${f(stream.softmaxXentGBs)} GB/s, SGD update ${f(stream.sgdGBs)} GB/s\n`);
  console.log("Training samples/s (median)");
  console.table(Object.fromEntries(Object.entries(samplesPerSec).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([a, b]) => [a, Math.round(b)]))])));
  console.log(`TF.js method used: ${JSON.stringify(tfHow)}`);
  console.log(`Seed step seconds (784-10-10, full batch of ${seed.batch}): wasm ${f(seed.wasm, 4)}, js ${f(seed.js, 3)}, tfjs-wasm ${f(seed.tfjsWasm, 3)}`);
  console.log(`Seed step seconds (full batch of 60000): wasm ${f(seed60k.wasm, 3)}${seed60k.js !== null ? `, js ${f(seed60k.js, 2)}` : ""} (TF.js wasm cannot hold this batch)`);
  console.log("Ratios:", Object.fromEntries(Object.entries(result.ratios).map(([k, v]) => [k, +v.toFixed(2)])));
  console.log(`Memory (model A, full MNIST, ${mem.epochs} epochs): peak RSS ${f(mem.peakRssMB, 1)} MB, JS heap per epoch ${mem.heapUsedMBPerEpoch.join(" / ")} MB, growth ${f(mem.heapGrowthMB, 3)} MB`);
}
