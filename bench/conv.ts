// Conv kernel throughput through the Backend interface (src/backend/types.ts: convForward,
// convBackwardFilter, convBackwardData), each kernel timed on its own. The suite's headline conv
// figure is the K net's second conv (B = 64, 13×13×32 → 3×3×64 valid, 11×11×64 out), whose three
// kernels are most of a K training step; convPeakFraction is that row's kernels over the probe timed
// beside them (pairedConvFractions, below).
// Backends whose conv kernels are not there yet are reported as missing, not as zero.
import type { Backend } from "../src/backend/types.js";
import { convScratchSlots } from "../src/model/arena.js";
import { Rng } from "../src/rng.js";
import { log, median, quick, taskSeconds, timeMedian } from "./common.js";
import { measureProbes } from "./peak.js";
import { convFlops, type ConvShape } from "./cnn.js";

export interface ConvFigures {
  shape: string;
  /** GFLOP/s, 2·B·OH·OW·F·K·K·C per kernel; a backend without conv kernels is absent. */
  gflops: { fwd: Record<string, number>; dW: Record<string, number>; dX: Record<string, number> };
  missing: Record<string, string>;
}

export const convLabel = (s: ConvShape) => `${s.B}×${s.H}×${s.W}×${s.C} → ${s.K}×${s.K}×${s.F}${s.S > 1 ? ` s${s.S}` : ""}${s.padT || s.padL ? " same" : ""} (${s.OH}×${s.OW} out)`;

function convArena(be: Backend, s: ConvShape) {
  let at = 0;
  const take = (n: number) => {
    const p = at;
    at += Math.ceil(n / 16) * 16;
    return p;
  };
  const inN = s.B * s.H * s.W * s.C, outN = s.B * s.OH * s.OW * s.F, wN = s.K * s.K * s.C * s.F;
  const r = { x: take(inN), zp: take(inN), dx: take(inN), w: take(wN), dw: take(wN), b: take(s.F), db: take(s.F), z: take(outN), dz: take(outN), scratch: take(convScratchSlots(s.B, s.H, s.W, s.C, s.F, s.K, s.S, s.OH, s.OW)) };
  be.allocate(at + 16);
  const rng = new Rng(inN + wN);
  const f = be.floats();
  for (let i = 0; i < at; i++) f[i] = rng.normal() * 0.1;
  return r;
}

export async function convBench(shapes: (ConvShape & { name: string })[], backends: [string, () => Backend][]): Promise<ConvFigures[]> {
  const out: ConvFigures[] = [];
  for (const s of shapes) {
    const fig: ConvFigures = { shape: `${s.name} ${convLabel(s)}`, gflops: { fwd: {}, dW: {}, dX: {} }, missing: {} };
    const flops = convFlops(s);
    for (const [name, make] of backends) {
      const be = make();
      if (typeof (be as Partial<Backend>).convForward !== "function") {
        fig.missing[name] = "no conv kernels in this backend yet";
        log(`  conv ${fig.shape} ${name}: not measured (no conv kernels in this backend yet)`);
        continue;
      }
      const a = convArena(be, s);
      const slow = name !== "wasm";
      try {
        const sec = await taskSeconds(
          {
            fwd: () => be.convForward(a.z, a.z, a.x, a.w, a.b, s.B, s.H, s.W, s.C, s.F, s.K, s.S, s.padT, s.padL, s.OH, s.OW, 1, a.scratch),
            dW: () => be.convBackwardFilter(a.dw, a.db, a.dz, a.x, s.B, s.H, s.W, s.C, s.F, s.K, s.S, s.padT, s.padL, s.OH, s.OW, a.scratch),
            dX: () => be.convBackwardData(a.dx, a.dz, a.w, a.zp, s.B, s.H, s.W, s.C, s.F, s.K, s.S, s.padT, s.padL, s.OH, s.OW, 1, a.scratch),
          },
          slow ? { time: 150, warmupTime: 50, iterations: 2 } : { time: quick ? 200 : 800, warmupTime: 200 },
        );
        for (const k of ["fwd", "dW", "dX"] as const) fig.gflops[k][name] = flops / sec[k] / 1e9;
        log(`  conv ${fig.shape} ${name}: fwd ${fig.gflops.fwd[name].toFixed(2)} dW ${fig.gflops.dW[name].toFixed(2)} dX ${fig.gflops.dX[name].toFixed(2)} GFLOP/s`);
      } catch (e) {
        fig.missing[name] = (e as Error).message.split("\n")[0];
        log(`  conv ${fig.shape} ${name}: failed: ${fig.missing[name]}`);
      }
    }
    out.push(fig);
  }
  return out;
}

/** One probe figure: the best of three runs of each probe shape (see peak.ts), GFLOP/s; one run each read up to 20% low. */
function probeNow(): number {
  return Math.max(...Object.values(measureProbes(3)));
}

/** Median seconds per call of fn over about `ms` milliseconds (at least 5 calls; timeMedian after one sizing call). */
function medianSeconds(fn: () => void, ms: number): number {
  const t0 = performance.now();
  fn();
  const one = Math.max(performance.now() - t0, 1e-3);
  return timeMedian(fn, Math.max(5, Math.ceil(ms / one)), 1);
}

export interface PairedFractions {
  /** Median over rounds of (kernel GFLOP/s) / (the probe measured just before and after it, the larger). */
  fwd: number;
  dW: number;
  dX: number;
  rounds: { probe: number; fwd: number; dW: number; dX: number }[];
}

/**
 * Each conv kernel's fraction of the probe measured beside it. On a shared machine the speed a
 * process gets drifts by tens of percent over a minute (other guests, clock boost), so a kernel
 * timed during a slow stretch over the best probe of the whole run reads low for reasons that are
 * not the kernel's. Here every round times the probe (best shape), then each kernel (median call),
 * then the probe again, and divides each kernel by the larger of the probes around it; the figure
 * is the median over rounds. The denominator is still a maximum, so the fraction cannot flatter.
 */
export function pairedConvFractions(s: ConvShape, be: Backend, rounds = quick ? 5 : 9, ms = quick ? 120 : 250): PairedFractions {
  const a = convArena(be, s);
  const flops = convFlops(s);
  const kernels = {
    fwd: () => be.convForward(a.z, a.z, a.x, a.w, a.b, s.B, s.H, s.W, s.C, s.F, s.K, s.S, s.padT, s.padL, s.OH, s.OW, 1, a.scratch),
    dW: () => be.convBackwardFilter(a.dw, a.db, a.dz, a.x, s.B, s.H, s.W, s.C, s.F, s.K, s.S, s.padT, s.padL, s.OH, s.OW, a.scratch),
    dX: () => be.convBackwardData(a.dx, a.dz, a.w, a.zp, s.B, s.H, s.W, s.C, s.F, s.K, s.S, s.padT, s.padL, s.OH, s.OW, 1, a.scratch),
  };
  const out: PairedFractions["rounds"] = [];
  let before = probeNow();
  for (let r = 0; r < rounds; r++) {
    const g = {} as Record<keyof typeof kernels, number>;
    for (const k of Object.keys(kernels) as (keyof typeof kernels)[]) g[k] = flops / medianSeconds(kernels[k], ms) / 1e9;
    const after = probeNow();
    const p = Math.max(before, after);
    out.push({ probe: p, fwd: g.fwd / p, dW: g.dW / p, dX: g.dX / p });
    before = after;
  }
  return { fwd: median(out.map((o) => o.fwd)), dW: median(out.map((o) => o.dW)), dX: median(out.map((o) => o.dX)), rounds: out };
}
