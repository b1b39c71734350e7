// Shared bench helpers: real MNIST batches, medians, output.
import { loadMnistDir, type MnistSets } from "../src/data/files.js";

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
