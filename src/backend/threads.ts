// Multi-threaded wasm training: one compiled module, one shared WebAssembly.Memory (the
// shared-memory build imports it), instantiated in every worker; the calling thread works too.
// Each heavy Backend call writes its arguments into a shared control block, wakes the workers
// (they spin briefly, then park), runs its own part and waits for theirs: one barrier per call.
// How a call is split (and why the result is bit-identical for any thread count) is in
// parallel.ts; the control block and the worker loop in worker-loop.ts.
// Faults: a worker that throws or exits records it in the control block, which the waiting
// caller checks while it spins or parks, so training ends with an error instead of a hang.
import { SimdnetError } from "../errors.js";
import { dropoutParams, NONE } from "./types.js";
import { KERNEL_SCRATCH_BYTES, WasmBackend, kernelModule } from "./wasm.js";
import { OP, SUM_SQ_BLOCK, type PartKernels } from "./parallel.js";
import { CONTROL_BYTES, CTRL, MAX_THREADS, SPIN_MS, controlViews, readFailure, reportFailure, runChunks, type WorkerInit } from "./worker-loop.js";

/** A started worker, whatever runs it. */
export interface ThreadHandle {
  /** Resolves once the worker runs its loop; rejects if it fails to start. */
  ready: Promise<void>;
  terminate(): void;
}

/** Starts worker `init.index` (Node: worker_threads; browser: a Web Worker running web/thread-worker.ts). */
export type ThreadSpawner = (init: WorkerInit, onFailure: (message: string) => void) => ThreadHandle;

/** Pages of the shared memory: the module's static data fits in the initial size; 4 GiB at most. */
const INITIAL_PAGES = 64;
const MAXIMUM_PAGES = 65536;
/** A worker that has not even picked a call up after this long is taken for dead. */
const STALL_MS = 30_000;

type NodeProcess = { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown; execArgv?: string[] };
const nodeProcess = (): NodeProcess | undefined => {
  const p = (globalThis as { process?: NodeProcess }).process;
  return p?.versions?.node ? p : undefined;
};

/** Cores available to this process: os.availableParallelism() in Node; in a browser hardwareConcurrency when cross-origin isolated, else 1. */
export function defaultThreads(): number {
  const proc = nodeProcess();
  if (proc) {
    const os = proc.getBuiltinModule?.("node:os") as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
    return Math.max(1, os?.availableParallelism?.() ?? os?.cpus().length ?? 1);
  }
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  return g.crossOriginIsolated ? Math.max(1, g.navigator?.hardwareConcurrency ?? 1) : 1;
}

/** Whether this environment can share a wasm memory between threads at all. */
export function threadsAvailable(): boolean {
  if (typeof SharedArrayBuffer === "undefined" || typeof Atomics === "undefined") return false;
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (!nodeProcess() && g.crossOriginIsolated === false) return false;
  return true;
}

/** Node's spawner: worker_threads running thread-worker.ts/.js (the .ts source under tsx or vitest). */
export function nodeSpawner(): ThreadSpawner | null {
  const proc = nodeProcess();
  const wt = proc?.getBuiltinModule?.("node:worker_threads") as typeof import("node:worker_threads") | undefined;
  if (!wt) return null;
  const source = import.meta.url.endsWith(".ts");
  const entry = new URL(source ? "./thread-worker.ts" : "./thread-worker.js", import.meta.url);
  return (init, onFailure) => {
    let worker: import("node:worker_threads").Worker;
    if (source) worker = new wt.Worker(sourceWorkerCode(proc!, entry), { eval: true, workerData: init });
    else worker = new wt.Worker(entry, { workerData: init });
    worker.unref(); // an idle pool never keeps the process alive
    let started = false;
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", () => {
        started = true;
        resolve();
      });
      worker.once("error", (e) => {
        onFailure(`${e.name}: ${e.message}`);
        if (!started) reject(e);
      });
      worker.once("exit", (code) => {
        onFailure(`the thread exited (code ${code})`);
        if (!started) reject(new Error(`training thread ${init.index} exited (code ${code}) before it started`));
      });
    });
    return { ready, terminate: () => void worker.terminate() };
  };
}

let sourceCode: string | undefined;
/**
 * Running from the TypeScript sources (tests, tsx): the worker entry bundled to one CommonJS
 * script with the project's esbuild (a few ms, once per process; a TS loader inside each worker
 * costs a second per thread).
 */
function sourceWorkerCode(proc: NodeProcess, entry: URL): string {
  if (sourceCode === undefined) {
    const { createRequire } = proc.getBuiltinModule!("node:module") as typeof import("node:module");
    const { fileURLToPath } = proc.getBuiltinModule!("node:url") as typeof import("node:url");
    const esbuild = createRequire(import.meta.url)("esbuild") as { buildSync(o: object): { outputFiles: { text: string }[] } };
    sourceCode = esbuild.buildSync({ entryPoints: [fileURLToPath(entry)], bundle: true, format: "cjs", platform: "node", target: "node20", write: false }).outputFiles[0].text;
  }
  return sourceCode;
}

/**
 * A browser spawner over a factory of module Web Workers running web/thread-worker.ts (the page
 * writes `() => new Worker(new URL("./thread-worker.ts", import.meta.url), { type: "module" })`
 * so that the bundler sees and bundles the worker script).
 */
export function webSpawner(create: () => Worker): ThreadSpawner {
  return (init, onFailure) => {
    const worker = create();
    let started = false;
    const ready = new Promise<void>((resolve, reject) => {
      worker.addEventListener("message", () => {
        started = true;
        resolve();
      }, { once: true });
      worker.addEventListener("error", (e) => {
        const msg = e.message || "the thread failed";
        onFailure(msg);
        if (!started) reject(new Error(msg));
      });
    });
    worker.postMessage(init);
    return { ready, terminate: () => worker.terminate() };
  };
}

const livePools = new Set<ThreadPool>();
/** A backend dropped without close() still stops its workers once it is collected. */
const reaper = new FinalizationRegistry<ThreadPool>((pool) => pool.close());

/** Closes every thread pool of this process (the CLI calls it when a command ends). */
export function closeAllThreads(): void {
  for (const p of [...livePools]) p.close();
}

/** Workers plus the control block: one call at a time, from the thread that created it. */
export class ThreadPool {
  readonly threads: number;
  private readonly control: SharedArrayBuffer;
  private readonly i32: Int32Array;
  /** The current call: op code then arguments (written before each run()). */
  readonly args: Float64Array;
  private readonly handles: ThreadHandle[] = [];
  private gen = 0;
  private closed = false;
  private failure: Error | null = null;
  private canWait = true;

  private constructor(threads: number, private readonly k: PartKernels) {
    this.threads = threads;
    this.control = new SharedArrayBuffer(CONTROL_BYTES);
    ({ i32: this.i32, args: this.args } = controlViews(this.control));
  }

  /** Starts threads − 1 workers and waits until all run. */
  static async start(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, k: PartKernels, spawn: ThreadSpawner): Promise<ThreadPool> {
    if (!(Number.isInteger(threads) && threads >= 2 && threads <= MAX_THREADS)) throw new RangeError(`threads ${threads}`);
    const pool = new ThreadPool(threads, k);
    livePools.add(pool);
    try {
      for (let t = 1; t < threads; t++) {
        const init: WorkerInit = { module, memory, control: pool.control, index: t, threads };
        pool.handles.push(spawn(init, (message) => {
          if (!pool.closed) reportFailure(pool.control, t, message);
        }));
      }
      await Promise.all(pool.handles.map((h) => h.ready));
    } catch (e) {
      pool.close();
      throw e;
    }
    return pool;
  }

  /** Runs the call in `args`: cut into one chunk per thread, claimed by whichever threads come (this one too); returns when all are done. */
  run(): void {
    this.check();
    const c = this.i32;
    const g = (this.gen = (this.gen + 1) | 0);
    const n = this.threads;
    Atomics.store(c, CTRL.FINISHED, 0);
    Atomics.store(c, CTRL.CHUNKS, n);
    Atomics.store(c, CTRL.NEXT, (g & 0x7fff) << 16);
    Atomics.store(c, CTRL.GEN, g);
    if (Atomics.load(c, CTRL.SLEEPERS) > 0) Atomics.notify(c, CTRL.GEN);
    let own: unknown = null;
    try {
      runChunks(this.k, c, this.args, g, 0);
    } catch (e) {
      own = e;
    }
    this.waitFinished(n);
    if (own) throw own;
  }

  private waitFinished(target: number): void {
    const c = this.i32;
    if (Atomics.load(c, CTRL.FINISHED) === target) return;
    const t0 = performance.now();
    let n = 0;
    while (Atomics.load(c, CTRL.FINISHED) !== target) {
      if (Atomics.load(c, CTRL.ERROR) !== 0) this.check();
      if ((++n & 255) !== 0) continue;
      const now = performance.now();
      if (now - t0 < SPIN_MS) continue;
      if (this.canWait) {
        Atomics.store(c, CTRL.MAIN_SLEEP, 1);
        const v = Atomics.load(c, CTRL.FINISHED);
        try {
          if (v !== target) Atomics.wait(c, CTRL.FINISHED, v, 50);
        } catch {
          this.canWait = false; // a browser's main thread may not wait: keep spinning
        }
        Atomics.store(c, CTRL.MAIN_SLEEP, 0);
      }
      if (now - t0 > STALL_MS) reportFailure(this.control, -1, `a thread holding part of a call stopped responding (nothing for ${Math.round(STALL_MS / 1000)} s)`);
    }
    if (Atomics.load(c, CTRL.ERROR) !== 0) this.check();
  }

  /** Throws (and shuts the pool down) once any worker failed; a failed pool stays failed. */
  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error("the thread pool is closed");
    const f = readFailure(this.control);
    if (!f) return;
    this.failure = new SimdnetError(
      `${f.index < 0 ? "a training thread" : `training thread ${f.index} of ${this.threads}`} failed: ${f.message}. Training stopped; --threads 1 runs on the calling thread alone`,
      { field: "--threads" },
    );
    this.close();
    throw this.failure;
  }

  /** Stops the workers (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    livePools.delete(this);
    this.args[0] = OP.EXIT;
    Atomics.store(this.i32, CTRL.GEN, (this.gen = (this.gen + 1) | 0));
    Atomics.notify(this.i32, CTRL.GEN);
    for (const h of this.handles) h.terminate();
  }

  /** Tests: makes worker `index` throw (mode 0) or exit its thread (mode 1); returns once the pool has failed (throws). */
  injectFault(index: number, mode: 0 | 1): void {
    this.check();
    this.args[0] = OP.FAULT;
    this.args[1] = index;
    this.args[2] = mode;
    const c = this.i32;
    Atomics.store(c, CTRL.CHUNKS, 0);
    Atomics.store(c, CTRL.GEN, (this.gen = (this.gen + 1) | 0));
    Atomics.notify(c, CTRL.GEN);
    const t0 = performance.now();
    while (Atomics.load(c, CTRL.ERROR) === 0 && performance.now() - t0 < 10_000) Atomics.wait(c, CTRL.FINISHED, Atomics.load(c, CTRL.FINISHED), 20);
    this.check();
  }
}

export interface ThreadedBackendOptions {
  threads: number;
  fma?: boolean;
  /** How to start workers; default: Node's worker_threads. */
  spawn?: ThreadSpawner;
  /** Tests: split every call, however small (the thresholds only save barrier time; results never depend on them). */
  splitAll?: boolean;
}

/**
 * Below this many multiply-adds (≈ 10 µs of one core) or elements, a call runs on the calling
 * thread alone: a barrier costs a few µs even when every thread is on a core.
 */
let MIN_WORK = 1 << 18;
let MIN_ELEMENTS = 1 << 15;

/**
 * The wasm backend over one shared memory and a pool of workers. Heavy kernels (dense forward and
 * backward, optimizers, zeroing, scaling, dropout) are split across the threads; small calls and
 * the loss run on the calling thread. Same results as WasmBackend, bit for bit.
 */
export class ThreadedBackend extends WasmBackend {
  readonly threads: number;
  private a!: Float64Array;
  private stride = 0; // scratch bytes per thread

  private pool!: ThreadPool;

  private constructor(memory: WebAssembly.Memory, threads: number, fma: boolean) {
    super({ sharedMemory: memory, fma, scratchBlocks: threads });
    this.threads = threads;
    (this as { variant: string }).variant = `${this.variant} (${threads} threads)`;
  }

  /** Starts the workers (threads − 1 of them) and returns the backend once all run. */
  static async create(options: ThreadedBackendOptions): Promise<ThreadedBackend> {
    const spawn = options.spawn ?? nodeSpawner();
    if (!spawn) throw new Error("no way to start threads here");
    const module = kernelModule(options.fma ? "threads-fma" : "threads");
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAXIMUM_PAGES, shared: true });
    if (options.splitAll) MIN_WORK = MIN_ELEMENTS = 0;
    const be = new ThreadedBackend(memory, options.threads, options.fma ?? false);
    be.pool = await ThreadPool.start(options.threads, module, memory, be.k as unknown as PartKernels, spawn);
    be.a = be.pool.args;
    reaper.register(be, be.pool); // a backend dropped without close() still stops its workers
    return be;
  }

  /** Per-thread kernel scratch: thread t uses the layout's scratch slot + t·stride (src/model/arena.ts). */
  setThreadScratch(strideSlots: number): void {
    this.stride = strideSlots * 4;
  }

  close(): void {
    this.pool.close();
  }

  injectFault(index: number, mode: 0 | 1): void {
    this.pool.injectFault(index, mode);
  }

  private p(slot: number): number {
    return this.ptr(slot);
  }

  override denseForward(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void {
    if (B * IN * OUT < MIN_WORK || (MIN_WORK > 0 && B < 8)) return super.denseForward(a, z, x, w, b, B, IN, OUT, act, scratch);
    this.dense(OP.DENSE_FWD, a, z, x, w, b, B, IN, OUT, act, scratch);
  }
  override denseForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void {
    if (B * IN * OUT < MIN_WORK || (MIN_WORK > 0 && B < 8)) return super.denseForwardU8(a, z, x, w, b, B, IN, OUT, act, scratch);
    this.dense(OP.DENSE_FWD_U8, a, z, x, w, b, B, IN, OUT, act, scratch);
  }
  private dense(op: number, a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void {
    const v = this.a;
    v[0] = op; v[1] = this.p(a); v[2] = this.p(z); v[3] = this.p(x); v[4] = this.p(w); v[5] = this.p(b);
    v[6] = B; v[7] = IN; v[8] = OUT; v[9] = act; v[10] = this.p(scratch); v[11] = this.stride;
    this.pool.run();
  }
  override denseBackward(dzPrev: number, dw: number, db: number, dz: number, x: number, zPrev: number, w: number, B: number, IN: number, OUT: number, actPrev: number, scratch: number): void {
    if (B * IN * OUT < MIN_WORK) return super.denseBackward(dzPrev, dw, db, dz, x, zPrev, w, B, IN, OUT, actPrev, scratch);
    const v = this.a;
    v[0] = OP.DENSE_BWD; v[1] = dzPrev === NONE ? 0 : this.p(dzPrev); v[2] = this.p(dw); v[3] = this.p(db); v[4] = this.p(dz); v[5] = this.p(x);
    v[6] = this.p(zPrev); v[7] = this.p(w); v[8] = B; v[9] = IN; v[10] = OUT; v[11] = actPrev; v[12] = this.p(scratch); v[13] = this.stride;
    this.pool.run();
  }
  override denseBackwardU8(dw: number, db: number, dz: number, x: number, B: number, IN: number, OUT: number, scratch: number): void {
    if (B * IN * OUT < MIN_WORK) return super.denseBackwardU8(dw, db, dz, x, B, IN, OUT, scratch);
    const v = this.a;
    v[0] = OP.DENSE_BWD_U8; v[1] = this.p(dw); v[2] = this.p(db); v[3] = this.p(dz); v[4] = this.p(x);
    v[5] = B; v[6] = IN; v[7] = OUT; v[8] = this.p(scratch); v[9] = this.stride;
    this.pool.run();
  }
  override sgdStep(p: number, g: number, n: number, lr: number): void {
    if (n < MIN_ELEMENTS) return super.sgdStep(p, g, n, lr);
    const v = this.a;
    v[0] = OP.SGD; v[1] = this.p(p); v[2] = this.p(g); v[3] = n; v[4] = lr;
    this.pool.run();
  }
  override sgdMomentumStep(p: number, g: number, vel: number, n: number, lr: number, momentum: number, nesterov: boolean, weightDecay: number): void {
    if (n < MIN_ELEMENTS) return super.sgdMomentumStep(p, g, vel, n, lr, momentum, nesterov, weightDecay);
    const v = this.a;
    v[0] = OP.SGD_MOM; v[1] = this.p(p); v[2] = this.p(g); v[3] = this.p(vel); v[4] = n; v[5] = lr; v[6] = momentum; v[7] = nesterov ? 1 : 0; v[8] = weightDecay;
    this.pool.run();
  }
  override adamStep(p: number, g: number, m: number, vv: number, n: number, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, weightDecay: number, decoupled: boolean): void {
    if (n < MIN_ELEMENTS) return super.adamStep(p, g, m, vv, n, lr, beta1, beta2, eps, bc1, bc2, weightDecay, decoupled);
    const v = this.a;
    v[0] = OP.ADAM; v[1] = this.p(p); v[2] = this.p(g); v[3] = this.p(m); v[4] = this.p(vv); v[5] = n; v[6] = lr; v[7] = beta1; v[8] = beta2;
    v[9] = eps; v[10] = bc1; v[11] = bc2; v[12] = weightDecay; v[13] = decoupled ? 1 : 0;
    this.pool.run();
  }
  private sumBlocks: Float64Array | null = null; // the per-block partials of sumSquares, in the kernel scratch
  override sumSquares(x: number, n: number): number {
    const blocks = Math.ceil(n / SUM_SQ_BLOCK);
    if (n < MIN_ELEMENTS || blocks * 8 > KERNEL_SCRATCH_BYTES) return super.sumSquares(x, n);
    const v = this.a;
    v[0] = OP.SUM_SQ; v[1] = this.kernelScratch; v[2] = this.p(x); v[3] = n;
    this.pool.run();
    const buffer = this.k.memory.buffer;
    if (this.sumBlocks?.buffer !== buffer) this.sumBlocks = new Float64Array(buffer, this.kernelScratch, KERNEL_SCRATCH_BYTES / 8);
    let total = 0;
    for (let b = 0; b < blocks; b++) total += this.sumBlocks[b];
    return total;
  }
  override zero(p: number, n: number): void {
    if (n < MIN_ELEMENTS) return super.zero(p, n);
    const v = this.a;
    v[0] = OP.ZERO; v[1] = this.p(p); v[2] = n;
    this.pool.run();
  }
  override scale(x: number, n: number, s: number): void {
    if (n < MIN_ELEMENTS) return super.scale(x, n, s);
    const v = this.a;
    v[0] = OP.SCALE; v[1] = this.p(x); v[2] = n; v[3] = s;
    this.pool.run();
  }
  override dropoutForward(a: number, mask: number, n: number, p: number, seed: number): void {
    if (n < MIN_ELEMENTS) return super.dropoutForward(a, mask, n, p, seed);
    const { threshold, keepScale } = dropoutParams(p);
    const v = this.a;
    v[0] = OP.DROP_FWD; v[1] = this.p(a); v[2] = this.p(mask); v[3] = n; v[4] = threshold; v[5] = keepScale; v[6] = seed >>> 0;
    this.pool.run();
  }
  override dropoutBackward(g: number, mask: number, n: number): void {
    if (n < MIN_ELEMENTS) return super.dropoutBackward(g, mask, n);
    const v = this.a;
    v[0] = OP.DROP_BWD; v[1] = this.p(g); v[2] = this.p(mask); v[3] = n;
    this.pool.run();
  }

  // ---- convolution: forward and data gradient by whole images, filter gradient by rows (or column blocks) of dW ----
  private convCall(op: number, n: number, p1: number, p2: number, p3: number, p4: number, p5: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, last: number | null, scratch: number): void {
    const v = this.a;
    v[0] = op;
    v[1] = p1; v[2] = p2; v[3] = p3; v[4] = p4; v[5] = p5;
    let i = 1 + n;
    v[i++] = B; v[i++] = H; v[i++] = W; v[i++] = C; v[i++] = F; v[i++] = K; v[i++] = S; v[i++] = padT; v[i++] = padL; v[i++] = OH; v[i++] = OW;
    if (last !== null) v[i++] = last;
    v[i++] = this.p(scratch); v[i++] = this.stride;
    this.pool.run();
  }
  private small(B: number, OH: number, OW: number, F: number, KKC: number): boolean {
    return B * OH * OW * F * KKC < MIN_WORK;
  }
  override convForward(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number, scratch: number): void {
    if ((MIN_WORK > 0 && B < 2) || this.small(B, OH, OW, F, K * K * C)) return super.convForward(a, z, x, w, b, B, H, W, C, F, K, S, padT, padL, OH, OW, act, scratch);
    this.convCall(OP.CONV_FWD, 5, this.p(a), this.p(z), this.p(x), this.p(w), this.p(b), B, H, W, C, F, K, S, padT, padL, OH, OW, act, scratch);
  }
  override convForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number, scratch: number): void {
    if ((MIN_WORK > 0 && B < 2) || this.small(B, OH, OW, F, K * K * C)) return super.convForwardU8(a, z, x, w, b, B, H, W, C, F, K, S, padT, padL, OH, OW, act, scratch);
    this.convCall(OP.CONV_FWD_U8, 5, this.p(a), this.p(z), this.p(x), this.p(w), this.p(b), B, H, W, C, F, K, S, padT, padL, OH, OW, act, scratch);
  }
  override convBackwardFilter(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, scratch: number): void {
    if (this.small(B, OH, OW, F, K * K * C)) return super.convBackwardFilter(dw, db, dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch);
    this.convCall(OP.CONV_BWD_FILTER, 4, this.p(dw), this.p(db), this.p(dz), this.p(x), 0, B, H, W, C, F, K, S, padT, padL, OH, OW, null, scratch);
    if (C < 4) this.combineFilterBlocks(dw, db, C, F, K, S, OH, OW, scratch);
  }
  /** C < 4: the blocks' partial filter gradients, added to dw and db in block order (parallel.ts). */
  private combineFilterBlocks(dw: number, db: number, C: number, F: number, K: number, S: number, OH: number, OW: number, scratch: number): void {
    this.k.conv_filter_small_combine(this.p(dw), this.p(db), this.p(scratch), C, F, K, S, OH, OW);
  }
  override convBackwardFilterU8(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, scratch: number): void {
    if (this.small(B, OH, OW, F, K * K * C)) return super.convBackwardFilterU8(dw, db, dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch);
    this.convCall(OP.CONV_BWD_FILTER_U8, 4, this.p(dw), this.p(db), this.p(dz), this.p(x), 0, B, H, W, C, F, K, S, padT, padL, OH, OW, null, scratch);
    if (C < 4) this.combineFilterBlocks(dw, db, C, F, K, S, OH, OW, scratch);
  }
  override convBackwardData(dx: number, dz: number, w: number, zPrev: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, actPrev: number, scratch: number): void {
    if ((MIN_WORK > 0 && B < 2) || this.small(B, OH, OW, F, K * K * C)) return super.convBackwardData(dx, dz, w, zPrev, B, H, W, C, F, K, S, padT, padL, OH, OW, actPrev, scratch);
    this.convCall(OP.CONV_BWD_DATA, 4, this.p(dx), this.p(dz), this.p(w), zPrev === NONE ? 0 : this.p(zPrev), 0, B, H, W, C, F, K, S, padT, padL, OH, OW, actPrev, scratch);
  }

  // ---- pooling by whole images, batch norm by channels, elementwise by ranges ----
  private pooling(op: number, p1: number, p2: number, p3: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    const v = this.a;
    v[0] = op; v[1] = p1; v[2] = p2; v[3] = p3; v[4] = B; v[5] = H; v[6] = W; v[7] = C; v[8] = PH; v[9] = PW; v[10] = SH; v[11] = SW; v[12] = OH; v[13] = OW;
    this.pool.run();
  }
  override maxPoolForward(y: number, argmax: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    if ((MIN_ELEMENTS > 0 && B < 2) || B * H * W * C < MIN_ELEMENTS) return super.maxPoolForward(y, argmax, x, B, H, W, C, PH, PW, SH, SW, OH, OW);
    this.pooling(OP.MAX_POOL_FWD, this.p(y), this.p(argmax), this.p(x), B, H, W, C, PH, PW, SH, SW, OH, OW);
  }
  override maxPoolBackward(dx: number, dy: number, argmax: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void {
    if ((MIN_ELEMENTS > 0 && B < 2) || B * H * W * C < MIN_ELEMENTS) return super.maxPoolBackward(dx, dy, argmax, B, H, W, C, OH, OW);
    this.pooling(OP.MAX_POOL_BWD, this.p(dx), this.p(dy), this.p(argmax), B, H, W, C, 0, 0, 0, 0, OH, OW);
  }
  override avgPoolForward(y: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    if ((MIN_ELEMENTS > 0 && B < 2) || B * H * W * C < MIN_ELEMENTS) return super.avgPoolForward(y, x, B, H, W, C, PH, PW, SH, SW, OH, OW);
    this.pooling(OP.AVG_POOL_FWD, this.p(y), 0, this.p(x), B, H, W, C, PH, PW, SH, SW, OH, OW);
  }
  override avgPoolBackward(dx: number, dy: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    if ((MIN_ELEMENTS > 0 && B < 2) || B * H * W * C < MIN_ELEMENTS) return super.avgPoolBackward(dx, dy, B, H, W, C, PH, PW, SH, SW, OH, OW);
    this.pooling(OP.AVG_POOL_BWD, this.p(dx), this.p(dy), 0, B, H, W, C, PH, PW, SH, SW, OH, OW);
  }
  override batchNormForward(a: number, z: number, x: number, gamma: number, beta: number, mean: number, invStd: number, runMean: number, runVar: number, N: number, C: number, training: number, momentum: number, eps: number, act: number): void {
    if ((MIN_ELEMENTS > 0 && C < 8) || N * C < MIN_ELEMENTS) return super.batchNormForward(a, z, x, gamma, beta, mean, invStd, runMean, runVar, N, C, training, momentum, eps, act);
    const v = this.a;
    v[0] = OP.BN_FWD; v[1] = this.p(a); v[2] = this.p(z); v[3] = this.p(x); v[4] = this.p(gamma); v[5] = this.p(beta); v[6] = this.p(mean); v[7] = this.p(invStd);
    v[8] = this.p(runMean); v[9] = this.p(runVar); v[10] = N; v[11] = C; v[12] = training ? 1 : 0; v[13] = momentum; v[14] = eps; v[15] = act;
    v[16] = this.kernelScratch; v[17] = KERNEL_SCRATCH_BYTES;
    this.pool.run();
  }
  override batchNormBackward(dx: number, dgamma: number, dbeta: number, dz: number, x: number, gamma: number, mean: number, invStd: number, N: number, C: number): void {
    if ((MIN_ELEMENTS > 0 && C < 8) || N * C < MIN_ELEMENTS) return super.batchNormBackward(dx, dgamma, dbeta, dz, x, gamma, mean, invStd, N, C);
    const v = this.a;
    v[0] = OP.BN_BWD; v[1] = dx === NONE ? 0 : this.p(dx); v[2] = this.p(dgamma); v[3] = this.p(dbeta); v[4] = this.p(dz); v[5] = this.p(x); v[6] = this.p(gamma);
    v[7] = this.p(mean); v[8] = this.p(invStd); v[9] = N; v[10] = C; v[11] = this.kernelScratch; v[12] = KERNEL_SCRATCH_BYTES;
    this.pool.run();
  }
  override activationBackward(dz: number, z: number, n: number, act: number): void {
    if (n < MIN_ELEMENTS) return super.activationBackward(dz, z, n, act);
    const v = this.a;
    v[0] = OP.ACT_BWD; v[1] = this.p(dz); v[2] = this.p(z); v[3] = n; v[4] = act;
    this.pool.run();
  }
  protected override gatherHosted(dst: number, src: number, rowList: number, count: number, D: number): void {
    if (count * D < MIN_ELEMENTS || (MIN_ELEMENTS > 0 && count < 8)) return super.gatherHosted(dst, src, rowList, count, D);
    const v = this.a;
    v[0] = OP.GATHER; v[1] = dst; v[2] = src; v[3] = rowList; v[4] = count; v[5] = D;
    this.pool.run();
  }
  override castU8(dst: number, src: number, n: number, scale: number): void {
    if (n < MIN_ELEMENTS) return super.castU8(dst, src, n, scale);
    const v = this.a;
    v[0] = OP.CAST_U8; v[1] = this.p(dst); v[2] = this.p(src); v[3] = n; v[4] = scale;
    this.pool.run();
  }
}
