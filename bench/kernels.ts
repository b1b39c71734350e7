// Kernel throughput: the peak probe, the three GEMM shapes of training (wasm SIMD, wasm naive,
// TypeScript), softmax + cross-entropy and the SGD update.
import { Bench } from "tinybench";
import { WasmBackend, kernelModule } from "../src/backend/wasm.js";
import { JsBackend } from "../src/backend/js.js";
import type { Backend } from "../src/backend/types.js";
import { NONE } from "../src/backend/types.js";
import { Rng } from "../src/rng.js";
import { convScratchSlots, layerScratchSlots } from "../src/model/arena.js";
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

/**
 * The probe as a function to interleave with kernel timings: each call runs 128 MFLOP and returns
 * its GFLOP/s by wall clock and by this process's CPU time (which excludes the time the OS gave
 * other processes: steadier on a shared machine).
 */
export function probeRunner(): () => { wall: number; cpu: number } {
  const inst = new WebAssembly.Instance(kernelModule(), {});
  const probe = inst.exports.peak_probe as (iters: number, block: number) => number;
  const memory = inst.exports.memory as WebAssembly.Memory;
  const block = memory.buffer.byteLength;
  memory.grow(1);
  new Float32Array(memory.buffer, block, 256).fill(1e-3);
  const iters = 2e6;
  for (let i = 0; i < 3; i++) probe(iters, block);
  return () => {
    const { wall, cpu } = timeWallCpu(() => probe(iters, block));
    return { wall: (iters * 64) / wall / 1e9, cpu: (iters * 64) / cpu / 1e9 };
  };
}

/** Seconds of one run of fn, by wall clock and by process CPU time (user + system). */
export function timeWallCpu(fn: () => void): { wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { wall, cpu: Math.max((c.user + c.system) / 1e6, 1e-6) };
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

export interface ConvShape {
  name: string;
  B: number;
  H: number;
  W: number;
  C: number;
  F: number;
  K: number;
  S: number;
  /** 'valid' (no padding) or TF's 'same' split. */
  same: boolean;
  /** The network's first layer: uint8 input, so forward and filter gradient use the U8 kernels. */
  u8: boolean;
}

export interface ConvFigures {
  shape: string;
  mflopPerPass: number;
  /** GFLOP/s per kernel and backend; bwdData of a first layer is measured but never run in training. */
  gflops: { fwd: Record<string, number>; bwdFilter: Record<string, number>; bwdData: Record<string, number> };
  /** The fast kernels as fractions of the peak probe. */
  ofProbe: { fwd: number; bwdFilter: number; bwdData: number };
  /**
   * The fast kernels by process CPU time, as fractions of a probe run interleaved with every timed
   * run (median over median), also by CPU time: on a shared machine the wall-clock figures swing
   * with the other processes, these much less.
   */
  cpuGflops: { fwd: number; bwdFilter: number; bwdData: number };
  ofProbeCpu: { fwd: number; bwdFilter: number; bwdData: number };
}

/**
 * The conv kernels, each timed directly (median of several runs after a warm-up), wasm SIMD and
 * wasm naive. FLOPs = 2·B·OH·OW·F·K·K·C per pass, for every one of the three kernels.
 */
export function convBench(shapes: ConvShape[], peak: number, withNaive = true): ConvFigures[] {
  const out: ConvFigures[] = [];
  const probe = probeRunner();
  const backends: [string, Backend][] = [
    ["wasm", new WasmBackend()],
    ...(withNaive ? ([["wasmNaive", new WasmBackend({ kernels: "naive" })]] as [string, Backend][]) : []),
  ];
  for (const s of shapes) {
    const { B, H, W, C, F, K, S } = s;
    const OH = s.same ? Math.ceil(H / S) : Math.floor((H - K) / S) + 1;
    const OW = s.same ? Math.ceil(W / S) : Math.floor((W - K) / S) + 1;
    const padT = s.same ? Math.floor(Math.max((OH - 1) * S + K - H, 0) / 2) : 0;
    const padL = s.same ? Math.floor(Math.max((OW - 1) * S + K - W, 0) / 2) : 0;
    const flops = 2 * B * OH * OW * F * K * K * C;
    const fig: ConvFigures = { shape: s.name, mflopPerPass: flops / 1e6, gflops: { fwd: {}, bwdFilter: {}, bwdData: {} }, ofProbe: { fwd: 0, bwdFilter: 0, bwdData: 0 }, cpuGflops: { fwd: 0, bwdFilter: 0, bwdData: 0 }, ofProbeCpu: { fwd: 0, bwdFilter: 0, bwdData: 0 } };
    for (const [name, be] of backends) {
      let at = 0;
      const take = (n: number) => {
        const p = at;
        at += Math.ceil(n / 16) * 16;
        return p;
      };
      const nx = B * H * W * C, nz = B * OH * OW * F, nw = K * K * C * F;
      const r = { x: take(nx), xu8: take(Math.ceil(nx / 4)), w: take(nw), b: take(F), z: take(nz), dz: take(nz), dx: take(nx), zp: take(nx), dw: take(nw), db: take(F), scratch: take(convScratchSlots(B, H, W, C, F, K, S, OH, OW)) };
      be.allocate(at + 16);
      const rng = new Rng(nx + nw);
      const f = be.floats();
      for (let i = 0; i < at; i++) f[i] = rng.normal() * 0.1;
      be.bytes(r.xu8, nx).set(Array.from({ length: nx }, () => rng.int(256)));
      const slow = name !== "wasm";
      const reps = slow ? 3 : quick ? 7 : 15;
      const warm = slow ? 1 : 3;
      const x = s.u8 ? r.xu8 : r.x;
      const fwd = s.u8 ? be.convForwardU8.bind(be) : be.convForward.bind(be);
      const bwdF = s.u8 ? be.convBackwardFilterU8.bind(be) : be.convBackwardFilter.bind(be);
      const kernels = {
        fwd: () => fwd(r.z, r.z, x, r.w, r.b, B, H, W, C, F, K, S, padT, padL, OH, OW, 1, r.scratch),
        bwdFilter: () => bwdF(r.dw, r.db, r.dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, r.scratch),
        bwdData: () => be.convBackwardData(r.dx, r.dz, r.w, r.zp, B, H, W, C, F, K, S, padT, padL, OH, OW, 1, r.scratch),
      };
      for (const [op, fn] of Object.entries(kernels) as [keyof typeof kernels, () => void][]) {
        if (slow) {
          fig.gflops[op][name] = flops / timeMedian(fn, reps, warm) / 1e9;
          continue;
        }
        for (let i = 0; i < warm; i++) fn();
        const wall: number[] = [], cpu: number[] = [], pcpu: number[] = [];
        for (let i = 0; i < reps; i++) {
          const t = timeWallCpu(fn);
          wall.push(flops / t.wall / 1e9);
          cpu.push(flops / t.cpu / 1e9);
          pcpu.push(probe().cpu);
        }
        fig.gflops[op][name] = median(wall);
        fig.cpuGflops[op] = median(cpu);
        fig.ofProbeCpu[op] = median(cpu) / median(pcpu);
      }
      log(`  conv ${s.name} ${name}: fwd ${fig.gflops.fwd[name].toFixed(2)} bwdFilter ${fig.gflops.bwdFilter[name].toFixed(2)} bwdData ${fig.gflops.bwdData[name].toFixed(2)} GFLOP/s`);
    }
    fig.ofProbe = { fwd: fig.gflops.fwd.wasm / peak, bwdFilter: fig.gflops.bwdFilter.wasm / peak, bwdData: fig.gflops.bwdData.wasm / peak };
    log(`  conv ${s.name} of probe (${peak.toFixed(1)} GFLOP/s): fwd ${fig.ofProbe.fwd.toFixed(2)} bwdFilter ${fig.ofProbe.bwdFilter.toFixed(2)} bwdData ${fig.ofProbe.bwdData.toFixed(2)}; by CPU time: fwd ${fig.cpuGflops.fwd.toFixed(2)} (${fig.ofProbeCpu.fwd.toFixed(2)}) bwdFilter ${fig.cpuGflops.bwdFilter.toFixed(2)} (${fig.ofProbeCpu.bwdFilter.toFixed(2)}) bwdData ${fig.cpuGflops.bwdData.toFixed(2)} (${fig.ofProbeCpu.bwdData.toFixed(2)})`);
    out.push(fig);
  }
  return out;
}

/** The conv layers of the two CNN presets (Keras MNIST example "K", TF.js tutorial "T"), batch 64. */
export const CONV_SHAPES: ConvShape[] = [
  { name: "K2 64x13x13x32 3x3 F64 valid", B: 64, H: 13, W: 13, C: 32, F: 64, K: 3, S: 1, same: false, u8: false },
  { name: "K1 64x28x28x1 u8 3x3 F32 valid", B: 64, H: 28, W: 28, C: 1, F: 32, K: 3, S: 1, same: false, u8: true },
  { name: "T1 64x28x28x1 u8 5x5 F8 valid", B: 64, H: 28, W: 28, C: 1, F: 8, K: 5, S: 1, same: false, u8: true },
  { name: "T2 64x12x12x8 5x5 F16 valid", B: 64, H: 12, W: 12, C: 8, F: 16, K: 5, S: 1, same: false, u8: false },
];
