// Shared bench helpers: real MNIST batches, medians, output.
import { loadMnistDir, type MnistSets } from "../src/data/files.js";
import type { Dataset } from "../src/data/dataset.js";

export const quick = process.argv.includes("--quick");
export const json = process.argv.includes("--json");

/** Progress goes to stderr so that `--json` leaves exactly one JSON object on stdout. */
export function log(message: string): void {
  process.stderr.write(message + "\n");
}

let mnist: MnistSets | undefined;
export function loadMnist(): MnistSets {
  const dir = process.env.SIMDNET_MNIST_DIR;
  if (!dir) throw new Error("set SIMDNET_MNIST_DIR to a folder with the MNIST IDX files");
  mnist ??= loadMnistDir(dir);
  return mnist;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs fn `reps` times after `warmup` runs; returns the median seconds per run. */
export function timeMedian(fn: () => void, reps: number, warmup = 2): number {
  for (let i = 0; i < warmup; i++) fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push((performance.now() - t0) / 1000);
  }
  return median(t);
}

export async function timeMedianAsync(fn: () => Promise<void>, reps: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    t.push((performance.now() - t0) / 1000);
  }
  return median(t);
}

/** p50 seconds of each named task (tinybench): the timing every kernel row uses. */
export async function taskSeconds(tasks: Record<string, () => void>, opts: { time: number; warmupTime: number; iterations?: number }): Promise<Record<string, number>> {
  const { Bench } = await import("tinybench");
  const bench = new Bench({ time: opts.time, warmupTime: opts.warmupTime, iterations: opts.iterations ?? 3 });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const out: Record<string, number> = {};
  for (const name of Object.keys(tasks)) {
    const r = bench.getTask(name)!.result as { latency?: { p50?: number } };
    if (r.latency?.p50 === undefined) throw new Error(`bench task ${name} did not complete`);
    out[name] = r.latency.p50 / 1000;
  }
  return out;
}

/**
 * A kernel instance of its own for timing exports directly (no backend in between, and exports the
 * backends do not expose on their own, such as dense_backward_dx). A bump allocator of byte
 * addresses; each region is followed by 64 bytes of padding (kernels may load a vector past the end).
 */
export class RawWasm {
  readonly k: Record<string, (...args: number[]) => number>;
  private readonly memory: WebAssembly.Memory;
  private top: number;
  constructor(module: WebAssembly.Module) {
    const ex = new WebAssembly.Instance(module, {}).exports as Record<string, unknown>;
    this.k = ex as RawWasm["k"];
    this.memory = ex.memory as WebAssembly.Memory;
    this.top = Math.ceil((ex.heap_base as () => number)() / 64) * 64;
  }
  has(name: string): boolean {
    return typeof this.k[name] === "function";
  }
  alloc(bytes: number): number {
    const p = this.top;
    this.top += Math.ceil(bytes / 64) * 64 + 64;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / 65536));
    return p;
  }
  f32(p: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, p, n);
  }
  u8(p: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, p, n);
  }
}

/** Bytes to MiB (2^20 bytes): every memory figure of the suite is in MiB. */
export const toMiB = (bytes: number) => bytes / 2 ** 20;

/** Which pixels a training benchmark feeds: real MNIST, or MNIST with every zero pixel set to 1
 *  ("dense": the same digits, but nothing for the first layer's zero-skipping to skip). */
export type Pixels = "mnist" | "dense";

let denseTrain: Dataset | undefined;
/** The MNIST training set, or its dense variant (a copy with every 0 pixel set to 1). */
export function trainSet(pixels: Pixels): Dataset {
  const { train } = loadMnist();
  if (pixels === "mnist") return train;
  if (!denseTrain) {
    const images = new Uint8Array(train.images); // a copy (Buffer#slice would be a view of MNIST itself)
    for (let i = 0; i < images.length; i++) if (images[i] === 0) images[i] = 1;
    denseTrain = { ...train, images, source: `${train.source} (every 0 pixel set to 1)` };
  }
  return denseTrain;
}

/** The first n training images of MNIST as one (n, 784) uint8 block; `dense` sets every zero pixel to 1. */
export function mnistPixels(n: number, dense: boolean): Uint8Array {
  return new Uint8Array(trainSet(dense ? "dense" : "mnist").images.subarray(0, n * 784));
}
