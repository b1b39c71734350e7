// The denominator of every "fraction of probe": the best f32x4 mul+add throughput any of several
// probe shapes reaches (assembly/probe.ts), and the hardware's 128-bit limit where it can be
// derived. The best is a maximum, not a median: a probe cannot run faster than the machine, so
// its fastest run is the closest to the limit, and another job on a shared machine only makes
// runs slower. The peak is re-measured beside each group of kernels (PeakTracker.remeasure) and
// the run's best over all of them is the denominator.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { kernelBytes, kernelModule } from "../src/backend/wasm.js";
import { quick } from "./common.js";

/** Probe exports and their FLOPs per iteration (see assembly/probe.ts). */
export const PROBES = {
  gemm4x8: { fn: "peak_probe", flopsPerIter: 64, what: "8 accumulators, the GEMM's 4×8 tile, operands loaded" },
  tile2x16: { fn: "peak_probe_2x16", flopsPerIter: 64, what: "8 accumulators, a 2×16 tile, operands loaded" },
  regs10: { fn: "peak_probe_regs", flopsPerIter: 80, what: "10 accumulators, multipliers in registers" },
  split12: { fn: "peak_probe_split", flopsPerIter: 48, what: "6 add chains + 6 mul chains, no mul→add dependency" },
} as const;
export type ProbeName = keyof typeof PROBES;

type ProbeFn = (iters: number, block: number) => number;

interface ProbeInstance {
  probes: Record<ProbeName, ProbeFn>;
  clock: (iters: number, b: number) => number;
  block: number;
}

let instance: ProbeInstance | undefined;
function probeInstance(): ProbeInstance {
  if (instance) return instance;
  const inst = new WebAssembly.Instance(kernelModule(), {});
  const ex = inst.exports as Record<string, unknown>;
  const memory = ex.memory as WebAssembly.Memory;
  const block = memory.buffer.byteLength; // a fresh page past everything else
  memory.grow(1);
  new Float32Array(memory.buffer, block, 256).fill(1e-3);
  const probes = Object.fromEntries(Object.entries(PROBES).map(([k, p]) => [k, ex[p.fn] as ProbeFn])) as Record<ProbeName, ProbeFn>;
  instance = { probes, clock: ex.clock_probe as ProbeInstance["clock"], block };
  return instance;
}

/** GFLOP/s of each probe shape: the best of `runs` timed runs after a warm-up (leaves Liftoff). */
export function measureProbes(runs = quick ? 3 : 7): Record<ProbeName, number> {
  const { probes, block } = probeInstance();
  const iters = 4e6;
  const out = {} as Record<ProbeName, number>;
  for (const name of Object.keys(PROBES) as ProbeName[]) probes[name](iters, block);
  for (const name of Object.keys(PROBES) as ProbeName[]) out[name] = 0;
  // interleave the shapes, so a burst of load from another job does not hit one shape only
  for (let r = 0; r < runs; r++) {
    for (const name of Object.keys(PROBES) as ProbeName[]) {
      const t0 = performance.now();
      probes[name](iters, block);
      const s = (performance.now() - t0) / 1000;
      out[name] = Math.max(out[name], (iters * PROBES[name].flopsPerIter) / s / 1e9);
    }
  }
  return out;
}

/**
 * The running clock, measured: a chain of dependent one-cycle integer ops (clock_probe) retires
 * one op per cycle, so ops/s is cycles/s. Best of a few runs, in GHz. A lower bound when another
 * job shares the core; in a VM it sees the clock the guest really gets (turbo included), which
 * /proc/cpuinfo's "cpu MHz" often does not (it reports the nominal or TSC frequency).
 */
export function measureClockGHz(runs = 5): number {
  const { clock } = probeInstance();
  const iters = 2e7;
  clock(iters, 3);
  let best = 0;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    clock(iters, 3);
    best = Math.max(best, (8 * iters) / ((performance.now() - t0) / 1000) / 1e9);
  }
  return best;
}

export interface PeakSample {
  at: string;
  probes: Record<ProbeName, number>;
  clockGHz: number;
}

/** Keeps every probe (and clock) measurement of the run; the denominator is the best over all of them. */
export class PeakTracker {
  readonly samples: PeakSample[] = [];
  remeasure(at: string): number {
    const probes = measureProbes();
    this.samples.push({ at, probes, clockGHz: measureClockGHz(3) });
    return Math.max(...Object.values(probes));
  }
  /** Fastest clock seen (another job only makes the clock probe slower). */
  get clockGHz(): number {
    return Math.max(0, ...this.samples.map((s) => s.clockGHz));
  }
  /** Best GFLOP/s over every shape and every re-measurement. */
  get best(): number {
    return Math.max(0, ...this.samples.flatMap((s) => Object.values(s.probes)));
  }
  /** The shape that reached the best figure. */
  get bestProbe(): ProbeName | null {
    let best: ProbeName | null = null, v = 0;
    for (const s of this.samples) for (const [k, g] of Object.entries(s.probes)) if (g > v) [best, v] = [k as ProbeName, g];
    return best;
  }
  /** Best GFLOP/s of each shape over the run. */
  get perProbe(): Record<ProbeName, number> {
    const out = {} as Record<ProbeName, number>;
    for (const k of Object.keys(PROBES) as ProbeName[]) out[k] = Math.max(0, ...this.samples.map((s) => s.probes[k]));
    return out;
  }
}

// ---- the hardware's 128-bit limit -------------------------------------------------------------

export interface HardwareLimit {
  /** GFLOP/s = 4 f32 lanes × f32x4 mul/add ops per cycle × clock, or null when it cannot be derived. */
  gflops: number | null;
  /** The same with the nominal clock from /proc/cpuinfo or lscpu, when that is known. */
  gflopsNominalClock: number | null;
  opsPerCycle: number | null;
  clockGHz: number | null;
  nominalClockGHz: number | null;
  cpu: string;
  /** How it was derived, or why it could not be. */
  how: string;
}

interface CpuId {
  vendor: string;
  family: number;
  model: number;
  name: string;
  mhz: number | null;
  mhzFrom: string;
}

function cpuId(): CpuId | null {
  let text: string;
  try {
    text = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return null;
  }
  const field = (k: string) => text.match(new RegExp(`^${k}\\s*:\\s*(.*)$`, "m"))?.[1]?.trim();
  const vendor = field("vendor_id"), family = Number(field("cpu family")), model = Number(field("model"));
  if (!vendor || !Number.isFinite(family) || !Number.isFinite(model)) return null;
  let mhz: number | null = Number(field("cpu MHz")) || null;
  let mhzFrom = "/proc/cpuinfo's cpu MHz";
  try {
    // lscpu's "CPU max MHz" is the rated turbo where the kernel knows it (it is absent in most VMs)
    const max = Number(execFileSync("lscpu", { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).match(/^CPU max MHz:\s*([\d.]+)/m)?.[1]);
    if (max > 0) [mhz, mhzFrom] = [max, "lscpu's CPU max MHz"];
  } catch {
    // no lscpu: keep /proc/cpuinfo's figure
  }
  return { vendor, family, model, name: field("model name") ?? "unknown", mhz, mhzFrom };
}

/**
 * f32x4 mul or add instructions a core can start per cycle (at 128 bits, no FMA), from published
 * port layouts; null for CPUs not in the table.
 *   AMD Zen 1–5 (families 0x17, 0x19, 0x1A): two FP multiply pipes and two FP add pipes → 4.
 *   Intel Golden Cove / Raptor Cove cores (Sapphire/Emerald/Granite Rapids, Alder/Raptor Lake):
 *     mul/FMA on ports 0 and 1, add on ports 0, 1 and 5 (the fast adders), three vector FP
 *     ports → 3.
 *   Intel Skylake through Ice Lake / Tiger Lake: mul and add share ports 0 and 1 → 2.
 */
function opsPerCycle(id: CpuId): { ops: number; core: string } | null {
  if (id.vendor === "AuthenticAMD" && [0x17, 0x19, 0x1a].includes(id.family)) {
    const m = id.model;
    const zen4 = (m >= 0x10 && m <= 0x1f) || (m >= 0x60 && m <= 0x7f) || (m >= 0xa0 && m <= 0xaf);
    const core = id.family === 0x17 ? "Zen 1/2" : id.family === 0x1a ? "Zen 5" : zen4 ? "Zen 4" : "Zen 3";
    return { ops: 4, core };
  }
  if (id.vendor === "GenuineIntel" && id.family === 6) {
    const goldenCove = [0x8f, 0xcf, 0xad, 0xae, 0x97, 0x9a, 0xb7, 0xba, 0xbf, 0xaa, 0xac, 0xc5, 0xc6];
    const skylakeToIceLake = [0x4e, 0x5e, 0x55, 0x8e, 0x9e, 0xa5, 0xa6, 0x66, 0x6a, 0x6c, 0x7d, 0x7e, 0x8c, 0x8d, 0xa7];
    if (goldenCove.includes(id.model)) return { ops: 3, core: "Golden Cove class" };
    if (skylakeToIceLake.includes(id.model)) return { ops: 2, core: "Skylake–Ice Lake class" };
  }
  return null;
}

/** The 128-bit limit = 4 lanes × ops per cycle × clock (measured clock; nominal clock beside it). */
export function hardwareLimit(measuredClockGHz: number): HardwareLimit {
  const id = cpuId();
  if (!id) return { gflops: null, gflopsNominalClock: null, opsPerCycle: null, clockGHz: measuredClockGHz, nominalClockGHz: null, cpu: "unknown", how: "cannot derive: no /proc/cpuinfo (not Linux)" };
  const nominal = id.mhz ? id.mhz / 1000 : null;
  const cpu = `${id.name} (${id.vendor} family 0x${id.family.toString(16)} model 0x${id.model.toString(16)})`;
  const o = opsPerCycle(id);
  if (!o)
    return { gflops: null, gflopsNominalClock: null, opsPerCycle: null, clockGHz: measuredClockGHz, nominalClockGHz: nominal, cpu, how: `cannot derive: ${cpu} is not in the port table of bench/peak.ts` };
  const gflops = 4 * o.ops * measuredClockGHz;
  const gflopsNominalClock = nominal ? 4 * o.ops * nominal : null;
  const how =
    `4 f32 lanes × ${o.ops} f32x4 mul/add per cycle (${o.core}: from the vendor's port layout, by /proc/cpuinfo family/model) × ` +
    `${measuredClockGHz.toFixed(2)} GHz measured (a chain of dependent one-cycle integer ops)` +
    (nominal ? `; with the nominal ${nominal.toFixed(2)} GHz of ${id.mhzFrom}: ${gflopsNominalClock!.toFixed(1)} GFLOP/s` : "");
  return { gflops, gflopsNominalClock, opsPerCycle: o.ops, clockGHz: measuredClockGHz, nominalClockGHz: nominal, cpu, how };
}

// ---- how much of two cores two threads get ----------------------------------------------------

/**
 * Two SIMD-bound threads against one: two workers that run the GEMM-tile probe for a while on
 * request. `measure()` times one alone, then both at once, and returns the ratio of the work done
 * (2.0: two free cores). A scalar dependency chain reads 2.0 even when the two vCPUs share one
 * physical core's vector units (its speed is latency, not throughput); this probe does not: on this
 * VM it swings between ~1.2 and ~2.0 within seconds, and a threaded figure from a minute when it
 * reads 1.2 measures the host, not the code.
 */
export class SimdCapacity {
  private constructor(private readonly workers: import("node:worker_threads").Worker[]) {}

  static async start(): Promise<SimdCapacity> {
    const { Worker } = await import("node:worker_threads");
    const code = `const { parentPort, workerData } = require("node:worker_threads");
require("node:v8").setFlagsFromString("--no-wasm-dynamic-tiering");
const ex = new WebAssembly.Instance(new WebAssembly.Module(workerData), {}).exports;
const block = ex.memory.buffer.byteLength; ex.memory.grow(1);
new Float32Array(ex.memory.buffer, block, 256).fill(1e-3);
ex.peak_probe(4e6, block);
parentPort.on("message", (ms) => { const t0 = performance.now(); let it = 0; while (performance.now() - t0 < ms) { ex.peak_probe(2e5, block); it += 2e5; } parentPort.postMessage((it * 64) / ((performance.now() - t0) / 1000) / 1e9); });
parentPort.postMessage(0);`;
    const bytes = kernelBytes();
    const workers = [0, 1].map(() => new Worker(code, { eval: true, workerData: bytes }));
    await Promise.all(workers.map((w) => new Promise((r) => w.once("message", r))));
    for (const w of workers) w.unref();
    return new SimdCapacity(workers);
  }

  private run(w: import("node:worker_threads").Worker, ms: number): Promise<number> {
    return new Promise((resolve) => {
      w.once("message", resolve);
      w.postMessage(ms);
    });
  }

  /** Two busy SIMD threads over one (GFLOP/s summed over GFLOP/s alone), over `ms` each. */
  async measure(ms = 60): Promise<number> {
    const one = await this.run(this.workers[0], ms);
    const two = await Promise.all(this.workers.map((w) => this.run(w, ms)));
    return (two[0] + two[1]) / one;
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
  }
}
