// The shared control block of a thread pool and the loop every worker runs (Node worker_threads
// and browser Web Workers alike). One SharedArrayBuffer, separate from the wasm memory:
//   int32 GEN      bumped by the calling thread for each call (the call's arguments are written first)
//   int32 NEXT     (GEN mod 2¹⁵) << 16 | the next unclaimed chunk of the current call
//   int32 FINISHED chunks of the current call finished
//   int32 CHUNKS   chunks of the current call
//   int32 SLEEPERS workers parked in Atomics.wait on GEN (the caller notifies only when > 0)
//   int32 MAIN_SLEEP the caller is parked in Atomics.wait on FINISHED
//   int32 ERROR    0, or 2 + the index of the first thread that failed (message at MSG)
//   f64 ARGS[]     the call: op code, then its arguments (src/backend/parallel.ts)
// Each hot word sits on its own cache line. Every thread, the caller included, claims chunks with
// a compare-exchange on NEXT until none are left, so a worker the OS has descheduled (a busy
// machine) delays a call by at most the chunk it holds, never by its absence: the caller then
// runs the chunks itself. Results do not depend on who runs a chunk (parallel.ts). A worker spins
// briefly on GEN (a spin round trip is ~1.5 µs, a wake from Atomics.wait 15–26 µs), then parks;
// nothing is allocated per call.
import { OP, fault, runPart, type PartKernels } from "./parallel.js";

export const CTRL = { GEN: 0, NEXT: 16, FINISHED: 32, CHUNKS: 48, SLEEPERS: 64, MAIN_SLEEP: 80, ERROR: 96, MSG_LEN: 112 } as const;
export const MAX_THREADS = 256;
const ARGS_BYTES = 128 * 4;
export const ARGS_COUNT = 64;
const MSG_BYTES = ARGS_BYTES + ARGS_COUNT * 8;
const MSG_MAX = 2048;
export const CONTROL_BYTES = MSG_BYTES + MSG_MAX;

/** Spin this long (ms) before parking in Atomics.wait. */
export const SPIN_MS = 0.1;
const MISSES_TO_PARK = 8;

/** What a worker is started with (structured-cloneable: the module and both shared buffers are shared, not copied). */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  index: number;
  threads: number;
}

export interface ControlViews {
  i32: Int32Array;
  args: Float64Array;
}

export function controlViews(control: SharedArrayBuffer): ControlViews {
  return { i32: new Int32Array(control, 0, ARGS_BYTES / 4), args: new Float64Array(control, ARGS_BYTES, ARGS_COUNT) };
}

/** Records the first failure (worker `index`, or -1 for the caller) and wakes the caller. */
export function reportFailure(control: SharedArrayBuffer, index: number, message: string): void {
  const i32 = new Int32Array(control, 0, ARGS_BYTES / 4);
  // claim the message slot first (keep the first failure), write it, then publish ERROR: a caller
  // that sees ERROR always reads a complete message (publishing ERROR first let it read an empty one)
  if (Atomics.compareExchange(i32, CTRL.MSG_LEN, 0, -1) !== 0) return;
  const bytes = new TextEncoder().encode(message).subarray(0, MSG_MAX);
  new Uint8Array(control, MSG_BYTES, MSG_MAX).set(bytes);
  Atomics.store(i32, CTRL.MSG_LEN, bytes.length + 1);
  Atomics.store(i32, CTRL.ERROR, index + 2);
  Atomics.notify(i32, CTRL.FINISHED); // the caller checks ERROR while it waits
}

/** The failure recorded in the control block, or null. */
export function readFailure(control: SharedArrayBuffer): { index: number; message: string } | null {
  const i32 = new Int32Array(control, 0, ARGS_BYTES / 4);
  const e = Atomics.load(i32, CTRL.ERROR);
  if (e === 0) return null;
  const n = Atomics.load(i32, CTRL.MSG_LEN) - 1; // complete once ERROR is set (see reportFailure)
  const copy = new Uint8Array(n);
  copy.set(new Uint8Array(control, MSG_BYTES, n)); // TextDecoder refuses shared views
  return { index: e - 2, message: new TextDecoder().decode(copy) };
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): PartKernels {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as PartKernels;
}

const now = () => performance.now();

/** A worker's life: waits for calls, runs its part, until EXIT (or a failure, which it reports). */
export function workerLoop(init: WorkerInit): void {
  const { index: t, threads: T, control } = init;
  const { i32, args } = controlViews(control);
  let k: PartKernels;
  try {
    k = instantiateKernels(init.module, init.memory);
  } catch (e) {
    reportFailure(control, t, `could not instantiate the kernels: ${String(e)}`);
    return;
  }
  let seen = 0; // the pool's first call is GEN 1, which may be posted before this line runs
  // calls in a row this thread got no chunk of (the caller took them all: this thread is rarely on
  // a core, e.g. a busy machine): past MISSES_TO_PARK it parks at once instead of spinning, so its
  // spinning stops taking CPU from the caller; one chunk run and it spins again
  let misses = 0;
  for (;;) {
    let g = Atomics.load(i32, CTRL.GEN);
    if (g === seen) {
      const until = now() + (misses < MISSES_TO_PARK ? SPIN_MS : 0);
      let n = 0;
      while ((g = Atomics.load(i32, CTRL.GEN)) === seen) {
        if ((++n & 255) === 0 && now() > until) {
          Atomics.add(i32, CTRL.SLEEPERS, 1);
          Atomics.wait(i32, CTRL.GEN, seen);
          Atomics.sub(i32, CTRL.SLEEPERS, 1);
        }
      }
    }
    seen = g;
    const op = args[0];
    if (op === OP.EXIT) return;
    try {
      if (op === OP.FAULT) fault(args, t);
      else {
        const ran = runChunks(k, i32, args, g, t);
        misses = ran ? 0 : misses + 1;
        if (ran && Atomics.load(i32, CTRL.MAIN_SLEEP) !== 0) Atomics.notify(i32, CTRL.FINISHED);
      }
    } catch (e) {
      reportFailure(control, t, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      return;
    }
  }
}

/** Claims and runs chunks of call `gen` until none are left; true if this thread ran any. */
export function runChunks(k: PartKernels, i32: Int32Array, args: Float64Array, gen: number, t: number): boolean {
  const tag = (gen & 0x7fff) << 16;
  const n = Atomics.load(i32, CTRL.CHUNKS);
  let ran = false;
  for (;;) {
    const v = Atomics.load(i32, CTRL.NEXT);
    if ((v & ~0xffff) !== tag || (v & 0xffff) >= n) return ran; // another call's, or all claimed
    if (Atomics.compareExchange(i32, CTRL.NEXT, v, v + 1) !== v) continue;
    runPart(k, args, v & 0xffff, n, t);
    Atomics.add(i32, CTRL.FINISHED, 1);
    ran = true;
  }
}
