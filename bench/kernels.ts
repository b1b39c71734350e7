// Kernel throughput: the peak probe, the three GEMM shapes of training (wasm SIMD, wasm naive,
// TypeScript), softmax + cross-entropy and the SGD update.
import { Bench } from "tinybench";
import { WasmBackend, kernelModule } from "../src/backend/wasm.js";
import { JsBackend } from "../src/backend/js.js";
import type { Backend } from "../src/backend/types.js";
import { NONE } from "../src/backend/types.js";
import { Rng } from "../src/rng.js";
import { layerScratchSlots } from "../src/model/arena.js";
import { quick, log, median } from "./common.js";

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
