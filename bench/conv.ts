// Conv kernel throughput through the Backend interface (src/backend/types.ts: convForward,
// convBackwardFilter, convBackwardData), each kernel timed on its own. The suite's headline conv
// figure is the K net's second conv (B = 64, 13×13×32 → 3×3×64 valid, 11×11×64 out), whose three
// kernels are most of a K training step; convPeakFraction is that row's wasm GFLOP/s over the probe.
// Backends whose conv kernels are not there yet are reported as missing, not as zero.
import type { Backend } from "../src/backend/types.js";
import { convScratchSlots } from "../src/model/arena.js";
import { Rng } from "../src/rng.js";
import { log, quick, taskSeconds } from "./common.js";
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
