// The WebAssembly backend: instantiates the embedded SIMD kernels directly (no loader), owns the
// one linear memory, and turns slot offsets into byte addresses. Only numbers cross into wasm.
import { NONE, dropoutParams, type Backend } from "./types.js";
import { KERNELS_WASM_BASE64, KERNELS_THREADS_WASM_BASE64, KERNELS_FMA_WASM_BASE64, KERNELS_THREADS_FMA_WASM_BASE64 } from "./kernels.generated.js";

interface KernelExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  dense_forward(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void;
  dense_forward_u8(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void;
  dense_backward(dzPrev: number, dw: number, db: number, dz: number, x: number, zPrev: number, w: number, B: number, IN: number, OUT: number, actPrev: number, scratch: number): void;
  dense_backward_u8(dw: number, db: number, dz: number, x: number, B: number, IN: number, OUT: number, scratch: number): void;
  dense_forward_naive: KernelExports["dense_forward"];
  dense_forward_u8_naive: KernelExports["dense_forward_u8"];
  dense_backward_naive: KernelExports["dense_backward"];
  dense_backward_u8_naive: KernelExports["dense_backward_u8"];
  softmax_xent(dlogits: number, probs: number, logits: number, labels: number, B: number, C: number, gradScale: number): number;
  count_correct(logits: number, labels: number, B: number, C: number): number;
  sgd_step(p: number, g: number, n: number, lr: number): void;
  sgd_momentum_step(p: number, g: number, v: number, n: number, lr: number, momentum: number, nesterov: number, wd: number): void;
  adam_step(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, wd: number, decoupled: number): void;
  sum_squares(x: number, n: number): number;
  scale_inplace(x: number, n: number, s: number): void;
  dropout_forward(a: number, mask: number, n: number, threshold: number, keepScale: number, seed: number): void;
  dropout_backward(g: number, mask: number, n: number): void;
  fill_zero(p: number, n: number): void;
  mse_loss(dout: number, out: number, target: number, B: number, D: number, gradScale: number): number;
  mse_loss_naive: KernelExports["mse_loss"];
  // pooling, batch norm, activation backward, uint8 cast (assembly/pool.ts, norm.ts, activations.ts, cast.ts)
  max_pool_forward(y: number, argmax: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void;
  max_pool_backward(dx: number, dy: number, argmax: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void;
  avg_pool_forward(y: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void;
  avg_pool_backward(dx: number, dy: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void;
  batch_norm_forward(a: number, z: number, x: number, gamma: number, beta: number, mean: number, invStd: number, runMean: number, runVar: number, N: number, C: number, training: number, momentum: number, eps: number, act: number, scratch: number, scratchBytes: number): void;
  batch_norm_backward(dx: number, dgamma: number, dbeta: number, dz: number, x: number, gamma: number, mean: number, invStd: number, N: number, C: number, scratch: number, scratchBytes: number): void;
  activation_backward(dz: number, z: number, n: number, act: number): void;
  cast_u8(dst: number, src: number, n: number, scale: number): void;
  gather_rows_u8(dst: number, src: number, rows: number, count: number, D: number): number;
  max_pool_forward_naive: KernelExports["max_pool_forward"];
  max_pool_backward_naive: KernelExports["max_pool_backward"];
  avg_pool_forward_naive: KernelExports["avg_pool_forward"];
  avg_pool_backward_naive: KernelExports["avg_pool_backward"];
  batch_norm_forward_naive: KernelExports["batch_norm_forward"];
  batch_norm_backward_naive: KernelExports["batch_norm_backward"];
  activation_backward_naive: KernelExports["activation_backward"];
  cast_u8_naive: KernelExports["cast_u8"];
  conv_forward(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number, scratch: number): void;
  conv_forward_u8: KernelExports["conv_forward"];
  conv_backward_filter(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, scratch: number): void;
  conv_backward_filter_u8: KernelExports["conv_backward_filter"];
  conv_filter_small_combine(dw: number, db: number, scratch0: number, C: number, F: number, K: number, S: number, OH: number, OW: number): void;
  conv_backward_data(dx: number, dz: number, w: number, zPrev: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, actPrev: number, scratch: number): void;
  conv_forward_naive: KernelExports["conv_forward"];
  conv_forward_u8_naive: KernelExports["conv_forward"];
  conv_backward_filter_naive: KernelExports["conv_backward_filter"];
  conv_backward_filter_u8_naive: KernelExports["conv_backward_filter"];
  conv_backward_data_naive: KernelExports["conv_backward_data"];
}

/** The pooling / batch-norm / elementwise kernels one WasmBackend calls: the fast ones or their naive twins. */
type CnnKernels = Pick<KernelExports, "max_pool_forward" | "max_pool_backward" | "avg_pool_forward" | "avg_pool_backward" | "batch_norm_forward" | "batch_norm_backward" | "activation_backward" | "cast_u8">;

function cnnKernels(k: KernelExports, naive: boolean): CnnKernels {
  return naive
    ? {
        max_pool_forward: k.max_pool_forward_naive,
        max_pool_backward: k.max_pool_backward_naive,
        avg_pool_forward: k.avg_pool_forward_naive,
        avg_pool_backward: k.avg_pool_backward_naive,
        batch_norm_forward: k.batch_norm_forward_naive,
        batch_norm_backward: k.batch_norm_backward_naive,
        activation_backward: k.activation_backward_naive,
        cast_u8: k.cast_u8_naive,
      }
    : k;
}

/** The four builds of assembly/ (asconfig.json): own or imported shared memory, plain or relaxed-SIMD FMA. */
export type KernelBuild = "plain" | "threads" | "fma" | "threads-fma";

const BUILDS: Record<KernelBuild, string> = {
  plain: KERNELS_WASM_BASE64,
  threads: KERNELS_THREADS_WASM_BASE64,
  fma: KERNELS_FMA_WASM_BASE64,
  "threads-fma": KERNELS_THREADS_FMA_WASM_BASE64,
};
const compiled = new Map<KernelBuild, WebAssembly.Module>();

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === "function") {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  throw new Error("no base64 decoder available");
}

/** The bytes of one build (for WebAssembly.validate). */
export function kernelBytes(build: KernelBuild = "plain"): Uint8Array<ArrayBuffer> {
  return decodeBase64(BUILDS[build]);
}

/** A compiled kernel module (compiled once per process and build; cheap to instantiate again). */
export function kernelModule(build: KernelBuild = "plain"): WebAssembly.Module {
  let m = compiled.get(build);
  if (!m) {
    optimizeUpFront();
    if (build === "fma" || build === "threads-fma") enableRelaxedSimd();
    m = new WebAssembly.Module(kernelBytes(build));
    compiled.set(build, m);
  }
  return m;
}

/** Sets a V8 flag once per process, in Node only (a browser has no flags); it applies to modules compiled after it. */
const flagsSet = new Set<string>();
function setV8FlagOnce(flag: string): void {
  if (flagsSet.has(flag)) return;
  flagsSet.add(flag);
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== "function") return;
  const v8 = proc.getBuiltinModule("node:v8") as { setFlagsFromString(flag: string): void } | undefined;
  v8?.setFlagsFromString(flag);
}

/**
 * Node: compile the kernels with V8's optimising tier (TurboFan) up front instead of starting in
 * its baseline tier (Liftoff) and tiering up hot functions in background threads. With every core
 * busy training (the calling thread and the spinning workers) those background compiles barely
 * ran, so a thread could run baseline code, about half as fast, for minutes: a second thread added
 * 1.0–1.4× on the conv kernels instead of 1.9–2.0× (BENCHMARKS.md). Compiling the kernels this
 * way takes a few ms once. Browsers keep their own tiering.
 */
const optimizeUpFront = () => setV8FlagOnce("--no-wasm-dynamic-tiering");

/** Node 20's V8 compiles relaxed SIMD only behind a flag, which must be set before compiling. */
const enableRelaxedSimd = () => setV8FlagOnce("--experimental-wasm-relaxed-simd");

let fmaOk: boolean | undefined;
/** Whether this engine runs the relaxed-SIMD (FMA) build: feature detection by WebAssembly.validate. */
export function fmaSupported(): boolean {
  if (fmaOk === undefined) {
    enableRelaxedSimd();
    try {
      fmaOk = WebAssembly.validate(kernelBytes("fma"));
    } catch {
      fmaOk = false;
    }
  }
  return fmaOk;
}

export interface WasmBackendOptions {
  /** "fast" (default): register-blocked SIMD kernels; "naive": their scalar reference twins. */
  kernels?: "fast" | "naive";
  /** The relaxed-SIMD build (fused multiply-add in the GEMM and conv loops); check fmaSupported() first. */
  fma?: boolean;
  /** Instantiate the shared-memory build over this memory (the calling thread of a thread pool). */
  sharedMemory?: WebAssembly.Memory;
  /** Kernel scratch blocks below slot 0, one per thread (default 1). */
  scratchBlocks?: number;
  /** Bytes of data tables gatherRows may keep in this memory, in all (default 1 GiB). */
  hostedBytes?: number;
}

const PAGE = 65536;
/**
 * Bytes kept between the module's static data and slot 0 for kernels whose interface has no scratch
 * argument: batch norm's per-channel f64 sums (36 bytes a channel; wider layers go in groups). Slot
 * offsets do not see it. One block per instance: threads sharing one memory will need a block each
 * (or the kernel a [begin, end) of channels and offsets by channel).
 */
export const KERNEL_SCRATCH_BYTES = 65536;

/** Data tables kept in a backend's memory for gatherRows: at most this many bytes in all (default). */
const HOSTED_BYTES = 1 << 30;
/** gatherRows takes batches of up to this many rows (its row list), and of this many bytes at least. */
const GATHER_ROWS_MAX = 65536;
const GATHER_MIN_BYTES = 4096;

export class WasmBackend implements Backend {
  readonly name = "wasm" as const;
  readonly variant: string;
  protected readonly k: KernelExports;
  protected readonly base: number; // byte address of slot 0
  protected readonly kernelScratch: number; // byte address of KERNEL_SCRATCH_BYTES below slot 0
  private buffer: ArrayBuffer | SharedArrayBuffer;
  private f: Float32Array;
  private readonly fwd: KernelExports["dense_forward"];
  private readonly fwdU8: KernelExports["dense_forward_u8"];
  private readonly bwd: KernelExports["dense_backward"];
  private readonly bwdU8: KernelExports["dense_backward_u8"];
  private readonly cnn: CnnKernels;
  private readonly conv: Pick<KernelExports, "conv_forward" | "conv_forward_u8" | "conv_backward_filter" | "conv_backward_filter_u8" | "conv_backward_data">;

  constructor(options: WasmBackendOptions = {}) {
    const shared = options.sharedMemory;
    const build: KernelBuild = shared ? (options.fma ? "threads-fma" : "threads") : options.fma ? "fma" : "plain";
    const instance = new WebAssembly.Instance(kernelModule(build), shared ? { env: { memory: shared } } : {});
    this.k = instance.exports as unknown as KernelExports;
    this.kernelScratch = Math.ceil(this.k.heap_base() / 64) * 64;
    this.base = this.kernelScratch + KERNEL_SCRATCH_BYTES * (options.scratchBlocks ?? 1);
    const short = this.base - this.k.memory.buffer.byteLength;
    if (short > 0) this.k.memory.grow(Math.ceil(short / PAGE));
    const naive = options.kernels === "naive";
    this.variant = naive ? "wasm-naive" : options.fma ? "wasm-simd-fma" : "wasm-simd";
    this.fwd = naive ? this.k.dense_forward_naive : this.k.dense_forward;
    this.fwdU8 = naive ? this.k.dense_forward_u8_naive : this.k.dense_forward_u8;
    this.bwd = naive ? this.k.dense_backward_naive : this.k.dense_backward;
    this.bwdU8 = naive ? this.k.dense_backward_u8_naive : this.k.dense_backward_u8;
    const k = this.k;
    this.conv = naive
      ? { conv_forward: k.conv_forward_naive, conv_forward_u8: k.conv_forward_u8_naive, conv_backward_filter: k.conv_backward_filter_naive, conv_backward_filter_u8: k.conv_backward_filter_u8_naive, conv_backward_data: k.conv_backward_data_naive }
      : { conv_forward: k.conv_forward, conv_forward_u8: k.conv_forward_u8, conv_backward_filter: k.conv_backward_filter, conv_backward_filter_u8: k.conv_backward_filter_u8, conv_backward_data: k.conv_backward_data };
    this.buffer = this.k.memory.buffer;
    this.f = new Float32Array(this.buffer, this.base);
    this.cnn = cnnKernels(this.k, naive);
    this.hostedBytes = options.hostedBytes ?? HOSTED_BYTES;
  }

  allocate(slots: number): void {
    const need = this.base + slots * 4;
    if (need > this.hostStart) this.dropTables(); // the arena takes the memory the tables held
    const have = this.k.memory.buffer.byteLength;
    if (need > have) this.k.memory.grow(Math.ceil((need - have) / PAGE));
    this.arenaEnd = Math.max(this.arenaEnd, need);
    this.refresh();
  }

  // ---- data tables kept in this memory, past the arena, for gatherRows ----
  private arenaEnd = 0;
  private readonly hostedBytes: number;
  private tables = new WeakMap<Uint8Array, number>(); // table → byte address of its copy
  private hostStart = Infinity; // first byte of the row list, then the tables (Infinity: none)
  private hostEnd = 0; // first byte past the last table
  private rowList: Uint32Array | null = null; // view of the row list at hostStart
  private refused = new WeakSet<Uint8Array>(); // tables past hostedBytes: copied by the caller
  private memoryFull = false; // the memory could not grow: stop trying

  private dropTables(): void {
    this.tables = new WeakMap();
    this.rowList = null;
    this.hostStart = Infinity;
    this.hostEnd = 0;
  }

  /** Byte address of this memory's copy of `table`, made now if it fits (hostedBytes in all); -1 if not. */
  private hostedTable(table: Uint8Array): number {
    const at = this.tables.get(table);
    if (at !== undefined) return at;
    if (this.memoryFull || this.refused.has(table)) return -1;
    // the first table goes past the arena, behind the row list; later ones after the last table
    const first = this.hostStart === Infinity;
    const start = first ? Math.ceil(Math.max(this.arenaEnd, this.k.memory.buffer.byteLength) / 64) * 64 : this.hostEnd;
    const addr = first ? start + GATHER_ROWS_MAX * 4 : start;
    const end = addr + Math.ceil(table.byteLength / 64) * 64;
    if (end - (first ? start : this.hostStart) > this.hostedBytes) {
      this.refused.add(table);
      return -1;
    }
    const have = this.k.memory.buffer.byteLength;
    try {
      if (end > have) this.k.memory.grow(Math.ceil((end - have) / PAGE));
    } catch {
      this.memoryFull = true; // no more memory to be had: batches are copied by the caller
      return -1;
    }
    this.refresh();
    new Uint8Array(this.buffer, addr, table.byteLength).set(table);
    if (first) {
      this.hostStart = start;
      this.rowList = new Uint32Array(this.buffer, start, GATHER_ROWS_MAX);
    }
    this.hostEnd = end;
    this.tables.set(table, addr);
    return addr;
  }

  gatherRows(dst: number, table: Uint8Array, D: number, rows: Uint32Array, start: number, count: number): boolean {
    if (count > GATHER_ROWS_MAX || count * D < GATHER_MIN_BYTES) return false;
    const src = this.hostedTable(table);
    if (src < 0) return false;
    this.refresh();
    const list = this.rowList!;
    for (let r = 0; r < count; r++) list[r] = rows[start + r];
    this.gatherHosted(this.ptr(dst), src, this.hostStart, count, D);
    return true;
  }

  /** The gather itself (byte addresses); the threaded backend splits it. */
  protected gatherHosted(dst: number, src: number, rowList: number, count: number, D: number): void {
    this.k.gather_rows_u8(dst, src, rowList, count, D);
  }

  // A grown memory detaches old views: rebuild them whenever the buffer changed.
  private refresh(): void {
    if (this.buffer !== this.k.memory.buffer) {
      this.buffer = this.k.memory.buffer;
      this.f = new Float32Array(this.buffer, this.base);
      if (this.rowList) this.rowList = new Uint32Array(this.buffer, this.hostStart, GATHER_ROWS_MAX);
    }
  }

  floats(): Float32Array {
    this.refresh();
    return this.f;
  }
  bytes(slot: number, length: number): Uint8Array {
    this.refresh();
    return new Uint8Array(this.buffer, this.base + slot * 4, length);
  }
  ints(slot: number, length: number): Int32Array {
    this.refresh();
    return new Int32Array(this.buffer, this.base + slot * 4, length);
  }

  protected ptr(slot: number): number {
    return slot === NONE ? 0 : this.base + slot * 4;
  }

  denseForward(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void {
    this.fwd(this.ptr(a), this.ptr(z), this.ptr(x), this.ptr(w), this.ptr(b), B, IN, OUT, act, this.ptr(scratch));
  }
  denseForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void {
    this.fwdU8(this.ptr(a), this.ptr(z), this.ptr(x), this.ptr(w), this.ptr(b), B, IN, OUT, act, this.ptr(scratch));
  }
  denseBackward(dzPrev: number, dw: number, db: number, dz: number, x: number, zPrev: number, w: number, B: number, IN: number, OUT: number, actPrev: number, scratch: number): void {
    this.bwd(this.ptr(dzPrev), this.ptr(dw), this.ptr(db), this.ptr(dz), this.ptr(x), this.ptr(zPrev), this.ptr(w), B, IN, OUT, actPrev, this.ptr(scratch));
  }
  denseBackwardU8(dw: number, db: number, dz: number, x: number, B: number, IN: number, OUT: number, scratch: number): void {
    this.bwdU8(this.ptr(dw), this.ptr(db), this.ptr(dz), this.ptr(x), B, IN, OUT, this.ptr(scratch));
  }
  softmaxXent(dlogits: number, probs: number, logits: number, labels: number, B: number, C: number, gradScale: number): number {
    return this.k.softmax_xent(this.ptr(dlogits), this.ptr(probs), this.ptr(logits), this.ptr(labels), B, C, gradScale);
  }
  countCorrect(logits: number, labels: number, B: number, C: number): number {
    return this.k.count_correct(this.ptr(logits), this.ptr(labels), B, C);
  }
  sgdStep(p: number, g: number, n: number, lr: number): void {
    this.k.sgd_step(this.ptr(p), this.ptr(g), n, lr);
  }
  sgdMomentumStep(p: number, g: number, v: number, n: number, lr: number, momentum: number, nesterov: boolean, weightDecay: number): void {
    this.k.sgd_momentum_step(this.ptr(p), this.ptr(g), this.ptr(v), n, lr, momentum, nesterov ? 1 : 0, weightDecay);
  }
  adamStep(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, weightDecay: number, decoupled: boolean): void {
    this.k.adam_step(this.ptr(p), this.ptr(g), this.ptr(m), this.ptr(v), n, lr, beta1, beta2, eps, bc1, bc2, weightDecay, decoupled ? 1 : 0);
  }
  sumSquares(x: number, n: number): number {
    return this.k.sum_squares(this.ptr(x), n);
  }
  scale(x: number, n: number, s: number): void {
    this.k.scale_inplace(this.ptr(x), n, s);
  }
  convForward(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number, scratch: number): void {
    this.conv.conv_forward(this.ptr(a), this.ptr(z), this.ptr(x), this.ptr(w), this.ptr(b), B, H, W, C, F, K, S, padT, padL, OH, OW, act, this.ptr(scratch));
  }
  convForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number, scratch: number): void {
    this.conv.conv_forward_u8(this.ptr(a), this.ptr(z), this.ptr(x), this.ptr(w), this.ptr(b), B, H, W, C, F, K, S, padT, padL, OH, OW, act, this.ptr(scratch));
  }
  convBackwardFilter(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, scratch: number): void {
    this.conv.conv_backward_filter(this.ptr(dw), this.ptr(db), this.ptr(dz), this.ptr(x), B, H, W, C, F, K, S, padT, padL, OH, OW, this.ptr(scratch));
  }
  convBackwardFilterU8(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, scratch: number): void {
    this.conv.conv_backward_filter_u8(this.ptr(dw), this.ptr(db), this.ptr(dz), this.ptr(x), B, H, W, C, F, K, S, padT, padL, OH, OW, this.ptr(scratch));
  }
  convBackwardData(dx: number, dz: number, w: number, zPrev: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, actPrev: number, scratch: number): void {
    this.conv.conv_backward_data(this.ptr(dx), this.ptr(dz), this.ptr(w), this.ptr(zPrev), B, H, W, C, F, K, S, padT, padL, OH, OW, actPrev, this.ptr(scratch));
  }
  dropoutForward(a: number, mask: number, n: number, p: number, seed: number): void {
    const { threshold, keepScale } = dropoutParams(p);
    this.k.dropout_forward(this.ptr(a), this.ptr(mask), n, threshold, keepScale, seed);
  }
  dropoutBackward(g: number, mask: number, n: number): void {
    this.k.dropout_backward(this.ptr(g), this.ptr(mask), n);
  }
  zero(p: number, n: number): void {
    this.k.fill_zero(this.ptr(p), n);
  }

  // ---- pooling, batch norm, activation backward, uint8 cast ----
  maxPoolForward(y: number, argmax: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    this.cnn.max_pool_forward(this.ptr(y), this.ptr(argmax), this.ptr(x), B, H, W, C, PH, PW, SH, SW, OH, OW);
  }
  maxPoolBackward(dx: number, dy: number, argmax: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void {
    this.cnn.max_pool_backward(this.ptr(dx), this.ptr(dy), this.ptr(argmax), B, H, W, C, OH, OW);
  }
  avgPoolForward(y: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    this.cnn.avg_pool_forward(this.ptr(y), this.ptr(x), B, H, W, C, PH, PW, SH, SW, OH, OW);
  }
  avgPoolBackward(dx: number, dy: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    this.cnn.avg_pool_backward(this.ptr(dx), this.ptr(dy), B, H, W, C, PH, PW, SH, SW, OH, OW);
  }
  batchNormForward(a: number, z: number, x: number, gamma: number, beta: number, mean: number, invStd: number, runMean: number, runVar: number, N: number, C: number, training: number, momentum: number, eps: number, act: number): void {
    this.cnn.batch_norm_forward(this.ptr(a), this.ptr(z), this.ptr(x), this.ptr(gamma), this.ptr(beta), this.ptr(mean), this.ptr(invStd), this.ptr(runMean), this.ptr(runVar), N, C, training ? 1 : 0, momentum, eps, act, this.kernelScratch, KERNEL_SCRATCH_BYTES);
  }
  batchNormBackward(dx: number, dgamma: number, dbeta: number, dz: number, x: number, gamma: number, mean: number, invStd: number, N: number, C: number): void {
    this.cnn.batch_norm_backward(this.ptr(dx), this.ptr(dgamma), this.ptr(dbeta), this.ptr(dz), this.ptr(x), this.ptr(gamma), this.ptr(mean), this.ptr(invStd), N, C, this.kernelScratch, KERNEL_SCRATCH_BYTES);
  }
  activationBackward(dz: number, z: number, n: number, act: number): void {
    this.cnn.activation_backward(this.ptr(dz), this.ptr(z), n, act);
  }
  castU8(dst: number, src: number, n: number, scale: number): void {
    this.cnn.cast_u8(this.ptr(dst), this.ptr(src), n, scale);
  }
  mseLoss(dout: number, out: number, target: number, B: number, D: number, gradScale: number): number {
    const f = this.variant === "wasm-naive" ? this.k.mse_loss_naive : this.k.mse_loss;
    return f(this.ptr(dout), this.ptr(out), this.ptr(target), B, D, gradScale);
  }
}
