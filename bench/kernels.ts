// Kernel throughput: the dense GEMM shapes of training (wasm SIMD, wasm naive, TypeScript), the
// uint8 first-layer kernels training runs, softmax + cross-entropy and the SGD update.
// Every kernel is timed on its own (p50 of tinybench runs): the wasm SIMD rows call the exports
// directly on a kernel instance of their own (bench/common.ts RawWasm), so dX is dense_backward_dx
// itself, not a difference of two timings. The peak probes live in bench/peak.ts.
import { Bench } from "tinybench";
import { WasmBackend, kernelModule } from "../src/backend/wasm.js";
import { JsBackend } from "../src/backend/js.js";
import type { Backend } from "../src/backend/types.js";
import { NONE } from "../src/backend/types.js";
import { Rng } from "../src/rng.js";
import { layerScratchSlots } from "../src/model/arena.js";
import { quick, log, median, timeMedian, RawWasm, taskSeconds, mnistPixels } from "./common.js";
import { measureProbes } from "./peak.js";

/** Best f32x4 mul+add GFLOP/s over the probe shapes (bench/peak.ts), for callers that want one number. */
export function peakGflops(): number {
  return Math.max(...Object.values(measureProbes()));
}

export interface Shape {
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

/** The same layer on a raw kernel instance (byte addresses), for the directly timed SIMD exports. */
function rawLayer(wasm: RawWasm, s: Shape) {
  const { B, IN, OUT } = s;
  const rng = new Rng(B + IN + OUT);
  const f32 = (n: number) => {
    const p = wasm.alloc(4 * n);
    const v = wasm.f32(p, n);
    for (let i = 0; i < n; i++) v[i] = rng.normal() * 0.1;
    return p;
  };
  return { x: f32(B * IN), xu8: wasm.alloc(B * IN), w: f32(IN * OUT), b: f32(OUT), z: f32(B * OUT), dz: f32(B * OUT), dx: f32(B * IN), zp: f32(B * IN), dw: f32(IN * OUT), db: f32(OUT), scratch: f32(layerScratchSlots(IN, OUT)) };
}

export interface GemmFigures {
  shape: string;
  /** GFLOP/s (2·B·IN·OUT per op). dX is timed directly for wasm (dense_backward_dx); the naive and
   *  TypeScript twins have no separate dX entry, so they report dW+dX together (4·B·IN·OUT). */
  gflops: { fwd: Record<string, number>; dW: Record<string, number>; dX: Record<string, number>; dWdX: Record<string, number> };
  /** First-layer shapes only: the uint8 kernels training runs (dense_forward_u8, dense_backward_u8,
   *  no dX), on real MNIST pixels and on the same pixels with every zero set to 1. GFLOP/s counted
   *  dense-equivalent (2·B·IN·OUT): they skip zero pixels, so on MNIST they exceed the probe. */
  u8?: { mnist: { fwd: number; dW: number }; dense: { fwd: number; dW: number } };
}

export async function gemmBench(shapes: (Shape & { name: string; firstLayer?: boolean })[]): Promise<GemmFigures[]> {
  const out: GemmFigures[] = [];
  const raw = new RawWasm(kernelModule());
  const twins: [string, Backend][] = [
    ["wasmNaive", new WasmBackend({ kernels: "naive" })],
    ["js", new JsBackend("f32")],
  ];
  const t = { time: quick ? 150 : 600, warmupTime: 200 };
  for (const s of shapes) {
    const flops = 2 * s.B * s.IN * s.OUT;
    const g = (sec: number, f = flops) => f / sec / 1e9;
    const fig: GemmFigures = { shape: s.name, gflops: { fwd: {}, dW: {}, dX: {}, dWdX: {} } };
    // wasm SIMD, each export on its own (dz_prev = 0 skips dX inside dense_backward)
    const r = rawLayer(raw, s);
    const k = raw.k;
    const sec = await taskSeconds(
      {
        fwd: () => void k.dense_forward(r.z, r.z, r.x, r.w, r.b, s.B, s.IN, s.OUT, 0, r.scratch),
        dW: () => void k.dense_backward(0, r.dw, r.db, r.dz, r.x, r.zp, r.w, s.B, s.IN, s.OUT, 0, r.scratch),
        dX: () => void k.dense_backward_dx(r.dx, r.dz, r.x, r.zp, r.w, s.B, s.IN, s.OUT, 1, r.scratch),
        dWdX: () => void k.dense_backward(r.dx, r.dw, r.db, r.dz, r.x, r.zp, r.w, s.B, s.IN, s.OUT, 1, r.scratch),
      },
      t,
    );
    fig.gflops.fwd.wasm = g(sec.fwd);
    fig.gflops.dW.wasm = g(sec.dW);
    fig.gflops.dX.wasm = g(sec.dX);
    fig.gflops.dWdX.wasm = g(sec.dWdX, 2 * flops);
    if (s.firstLayer) {
      const u8 = { mnist: { fwd: 0, dW: 0 }, dense: { fwd: 0, dW: 0 } };
      for (const kind of ["mnist", "dense"] as const) {
        raw.u8(r.xu8, s.B * s.IN).set(mnistPixels(s.B, kind === "dense"));
        const su = await taskSeconds(
          {
            fwd: () => void k.dense_forward_u8(r.z, r.z, r.xu8, r.w, r.b, s.B, s.IN, s.OUT, 1, r.scratch),
            dW: () => void k.dense_backward_u8(r.dw, r.db, r.dz, r.xu8, s.B, s.IN, s.OUT, r.scratch),
          },
          t,
        );
        u8[kind] = { fwd: g(su.fwd), dW: g(su.dW) };
      }
      fig.u8 = u8;
    }
    log(
      `  gemm ${s.name} wasm: fwd ${fig.gflops.fwd.wasm.toFixed(2)} dW ${fig.gflops.dW.wasm.toFixed(2)} dX ${fig.gflops.dX.wasm.toFixed(2)} (dW+dX ${fig.gflops.dWdX.wasm.toFixed(2)}) GFLOP/s` +
        (fig.u8 ? `; uint8 first layer, MNIST fwd ${fig.u8.mnist.fwd.toFixed(2)} dW ${fig.u8.mnist.dW.toFixed(2)}, dense pixels fwd ${fig.u8.dense.fwd.toFixed(2)} dW ${fig.u8.dense.dW.toFixed(2)} (dense-equivalent)` : ""),
    );
    // the scalar twins, through their backends
    for (const [name, be] of twins) {
      const a = layerArena(be, s);
      const st = await taskSeconds(
        {
          fwd: () => be.denseForward(a.z, a.z, a.x, a.w, a.b, s.B, s.IN, s.OUT, 0, a.scratch),
          dW: () => be.denseBackward(NONE, a.dw, a.db, a.dz, a.x, a.zp, a.w, s.B, s.IN, s.OUT, 0, a.scratch),
          dWdX: () => be.denseBackward(a.dx, a.dw, a.db, a.dz, a.x, a.zp, a.w, s.B, s.IN, s.OUT, 1, a.scratch),
        },
        { time: 150, warmupTime: 50 },
      );
      fig.gflops.fwd[name] = g(st.fwd);
      fig.gflops.dW[name] = g(st.dW);
      fig.gflops.dWdX[name] = g(st.dWdX, 2 * flops);
      log(`  gemm ${s.name} ${name}: fwd ${fig.gflops.fwd[name].toFixed(2)} dW ${fig.gflops.dW[name].toFixed(2)} dW+dX ${fig.gflops.dWdX[name].toFixed(2)} GFLOP/s`);
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
