// Kernel throughput: the peak probe, the three GEMM shapes of training (wasm SIMD, wasm naive,
// TypeScript), softmax + cross-entropy and the SGD update.
import { Bench } from "tinybench";
import { WasmBackend, kernelModule } from "../src/backend/wasm.js";
import { JsBackend } from "../src/backend/js.js";
import type { Backend } from "../src/backend/types.js";
import { NONE } from "../src/backend/types.js";
import { Rng } from "../src/rng.js";
import { layerScratchSlots } from "../src/model/arena.js";
import { quick, log, median, timeMedian } from "./common.js";

/** Single-core f32x4 mul+add GFLOP/s (assembly/probe.ts): median of timed runs after a warm-up. */
export function peakGflops(): number {
  const inst = new WebAssembly.Instance(kernelModule(), {});
  const probe = inst.exports.peak_probe as (iters: number, block: number) => number;
  const memory = inst.exports.memory as WebAssembly.Memory;
  const block = memory.buffer.byteLength; // a fresh page past everything else
  memory.grow(1);
  new Float32Array(memory.buffer, block, 256).fill(1e-3);
  const iters = 1e7;
  probe(iters, block); // leave Liftoff for the optimising tier
  const runs: number[] = [];
  for (let r = 0; r < (quick ? 5 : 11); r++) {
    const t0 = performance.now();
    probe(iters, block);
    runs.push((iters * 64) / ((performance.now() - t0) / 1000) / 1e9); // 8 accumulators × 4 lanes × (mul + add)
  }
  return median(runs);
}

interface Shape {
  B: number;
  IN: number;
  OUT: number;
}

/** A small arena for one layer: x (f32 and u8), w, b, z, dz, dx, dw, db, scratch. */
function layerArena(be: Backend, s: Shape) {
  const { B, IN, OUT } = s;
  let at = 0;
  const take = (n: number) => {
    const p = at;
    at += Math.ceil(n / 16) * 16;
    return p;
  };
  const r = { x: take(B * IN), xu8: take(Math.ceil((B * IN) / 4)), w: take(IN * OUT), b: take(OUT), z: take(B * OUT), dz: take(B * OUT), dx: take(B * IN), zp: take(B * IN), dw: take(IN * OUT), db: take(OUT), scratch: take(layerScratchSlots(IN, OUT)) };
  be.allocate(at + 16);
  const rng = new Rng(B + IN + OUT);
  const f = be.floats();
  for (let i = 0; i < at; i++) f[i] = rng.normal() * 0.1;
  be.bytes(r.xu8, B * IN).set(Array.from({ length: B * IN }, () => rng.int(256)));
  return r;
}

export interface GemmFigures {
  shape: string;
  gflops: { fwd: Record<string, number>; dW: Record<string, number>; dX: Record<string, number> };
}

export async function gemmBench(shapes: (Shape & { name: string })[]): Promise<GemmFigures[]> {
  const out: GemmFigures[] = [];
  const backends: [string, Backend][] = [
    ["wasm", new WasmBackend()],
    ["wasmNaive", new WasmBackend({ kernels: "naive" })],
    ["js", new JsBackend("f32")],
  ];
  for (const s of shapes) {
    const flops = 2 * s.B * s.IN * s.OUT;
    const fig: GemmFigures = { shape: s.name, gflops: { fwd: {}, dW: {}, dX: {} } };
    for (const [name, be] of backends) {
      const a = layerArena(be, s);
      const slow = name !== "wasm";
      const bench = new Bench({ time: quick || slow ? 150 : 600, warmupTime: slow ? 50 : 200, iterations: 3 });
      bench.add("fwd", () => be.denseForward(a.z, a.z, a.x, a.w, a.b, s.B, s.IN, s.OUT, 0, a.scratch));
      bench.add("dW", () => be.denseBackward(NONE, a.dw, a.db, a.dz, a.x, a.zp, a.w, s.B, s.IN, s.OUT, 0, a.scratch));
      bench.add("dW+dX", () => be.denseBackward(a.dx, a.dw, a.db, a.dz, a.x, a.zp, a.w, s.B, s.IN, s.OUT, 1, a.scratch));
      await bench.run();
      const p50 = (n: string) => (bench.getTask(n)!.result as { latency: { p50: number } }).latency.p50 / 1000;
      fig.gflops.fwd[name] = flops / p50("fwd") / 1e9;
      fig.gflops.dW[name] = flops / p50("dW") / 1e9;
      fig.gflops.dX[name] = flops / Math.max(p50("dW+dX") - p50("dW"), 1e-9) / 1e9;
      log(`  gemm ${s.name} ${name}: fwd ${fig.gflops.fwd[name].toFixed(2)} dW ${fig.gflops.dW[name].toFixed(2)} dX ${fig.gflops.dX[name].toFixed(2)} GFLOP/s`);
    }
    out.push(fig);
  }
  return out;
}

/** Softmax + cross-entropy (B×10 logits) and the SGD update over model A's 101,770 parameters, in GB/s. */
export async function streamBench(): Promise<{ softmaxXentGBs: number; sgdGBs: number }> {
  const be = new WasmBackend();
  const B = 64, C = 10, n = 101_770;
  be.allocate(4 * B * C + B + 2 * n + 64);
  const f = be.floats();
  const rng = new Rng(3);
  for (let i = 0; i < f.length && i < 4 * B * C + 2 * n; i++) f[i] = rng.normal();
  const labels = 3 * B * C;
  be.ints(labels, B).set(Array.from({ length: B }, () => rng.int(C)));
  const p = 3 * B * C + B + 16;
  const bench = new Bench({ time: quick ? 150 : 500, warmupTime: 100 });
  bench.add("softmax", () => void be.softmaxXent(B * C, 2 * B * C, 0, labels, B, C, 1 / B));
  bench.add("sgd", () => be.sgdStep(p, p + n, n, 1e-9));
  await bench.run();
  const p50 = (n2: string) => (bench.getTask(n2)!.result as { latency: { p50: number } }).latency.p50 / 1000;
  // softmax reads logits and writes probs and dlogits; sgd reads p and g and writes p
  return { softmaxXentGBs: (3 * B * C * 4) / p50("softmax") / 1e9, sgdGBs: (3 * n * 4) / p50("sgd") / 1e9 };
}

export interface CnnKernelFigure {
  kernel: string;
  /** milliseconds per call, per kernel variant */
  ms: Record<string, number>;
  /** effective GB/s: the bytes the call must move at least (inputs read once, outputs written once) */
  GBs: Record<string, number>;
}

/**
 * Pooling and batch norm at the Keras convnet's shapes (batch 64): 26×26×32 max pool 2 → 13×13×32,
 * 11×11×64 max pool 2 → 5×5×64, batch norm over 64·26·26 rows × 32 (training and evaluation
 * forward, backward), global average pooling of 11×11×64; wasm SIMD against the naive wasm twins.
 */
export function cnnKernelBench(): CnnKernelFigure[] {
  const B = 64;
  const backends: [string, WasmBackend][] = [
    ["wasm", new WasmBackend()],
    ["wasmNaive", new WasmBackend({ kernels: "naive" })],
  ];
  const out = new Map<string, CnnKernelFigure>();
  const record = (kernel: string, variant: string, seconds: number, bytes: number) => {
    const f = out.get(kernel) ?? { kernel, ms: {}, GBs: {} };
    f.ms[variant] = seconds * 1e3;
    f.GBs[variant] = bytes / seconds / 1e9;
    out.set(kernel, f);
  };
  const reps = quick ? 5 : 15;
  for (const [name, be] of backends) {
    const rng = new Rng(17);
    // one arena sized for the largest case: x, y, argmax, dy, dx (and the batch-norm vectors)
    const nx = B * 26 * 26 * 32;
    let at = 0;
    const take = (n: number) => {
      const p = at;
      at += Math.ceil(n / 16) * 16;
      return p;
    };
    const x = take(nx), y = take(nx), argmax = take(nx), dy = take(nx), dx = take(nx);
    const vec = Array.from({ length: 8 }, () => take(64));
    be.allocate(at + 16);
    const f = be.floats();
    for (let i = 0; i < at; i++) f[i] = rng.normal();
    for (let c = 0; c < 64; c++) f[vec[7] + c] = 1 + rng.next(); // a positive running variance
    for (const [H, W, C] of [
      [26, 26, 32],
      [11, 11, 64],
    ]) {
      const OH = H >> 1, OW = W >> 1;
      const nIn = B * H * W * C, nOut = B * OH * OW * C;
      const shape = `${H}x${W}x${C}`;
      record(`maxpool2 fwd ${shape}`, name, timeMedian(() => be.maxPoolForward(y, argmax, x, B, H, W, C, 2, 2, 2, 2, OH, OW), reps), 4 * (nIn + 2 * nOut));
      record(`maxpool2 bwd ${shape}`, name, timeMedian(() => be.maxPoolBackward(dx, dy, argmax, B, H, W, C, OH, OW), reps), 4 * (nIn + 2 * nOut));
    }
    {
      const [H, W, C] = [11, 11, 64];
      record(`global avgpool fwd ${H}x${W}x${C}`, name, timeMedian(() => be.avgPoolForward(y, x, B, H, W, C, H, W, 1, 1, 1, 1), reps), 4 * (B * H * W * C + B * C));
      record(`global avgpool bwd ${H}x${W}x${C}`, name, timeMedian(() => be.avgPoolBackward(dx, dy, B, H, W, C, H, W, 1, 1, 1, 1), reps), 4 * (B * H * W * C + B * C));
    }
    {
      const N = B * 26 * 26, C = 32;
      const [gamma, beta, mean, invStd, dgamma, dbeta, runMean, runVar] = vec;
      const bytes = 4 * 2 * N * C; // read x, write z (= a, ReLU fused)
      record(`batchnorm fwd train ${N}x${C}`, name, timeMedian(() => be.batchNormForward(y, y, x, gamma, beta, mean, invStd, runMean, runVar, N, C, 1, 0.01, 1e-3, 1), reps), bytes);
      record(`batchnorm fwd eval ${N}x${C}`, name, timeMedian(() => be.batchNormForward(y, y, x, gamma, beta, mean, invStd, runMean, runVar, N, C, 0, 0.01, 1e-3, 1), reps), bytes);
      record(`batchnorm bwd ${N}x${C}`, name, timeMedian(() => be.batchNormBackward(dx, dgamma, dbeta, dy, x, gamma, mean, invStd, N, C), reps), 4 * 3 * N * C);
    }
  }
  const figs = [...out.values()];
  for (const fig of figs)
    log(`  ${fig.kernel}: ${Object.entries(fig.ms).map(([v, ms]) => `${v} ${ms.toFixed(3)} ms (${fig.GBs[v].toFixed(2)} GB/s)`).join(", ")}`);
  return figs;
}
