// --threads and --fma, shared by train, evaluate and predict.
import { SimdnetError } from "../errors.js";
import type { OptionRow } from "./options.js";

export const THREAD_OPTIONS: OptionRow[] = [
  { name: "threads", type: "string", value: "N", help: "threads to run on (default: the cores available; 1: the calling thread only). Same results for any N" },
  { name: "fma", type: "boolean", help: "use the relaxed-SIMD fused multiply-add kernels where the engine has them (results differ from the default build in the last bits)" },
];

/** The --threads value: an integer in [1, 256], or undefined for the default. */
export function parseThreads(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (typeof value !== "string" || !/^\d+$/.test(value.trim()) || !(v >= 1 && v <= 256))
    throw new SimdnetError(`expected an integer from 1 to 256, got "${String(value)}"`, { field: "--threads" });
  return v;
}
