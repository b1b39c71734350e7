// The conv kernels alone (a short run): `npx tsx bench/conv.ts [--quick] [--json] [--no-naive]`.
import { convBench, CONV_SHAPES, peakGflops } from "./kernels.js";
import { json, log } from "./common.js";

log("peak probe…");
const peak = peakGflops();
log(`  peak f32x4 mul+add: ${peak.toFixed(2)} GFLOP/s`);
log("conv kernels…");
const conv = convBench(CONV_SHAPES, peak, !process.argv.includes("--no-naive"));
if (json) console.log(JSON.stringify({ peakGflops: peak, conv }));
else {
  console.log(`\nPeak f32x4 mul+add: ${peak.toFixed(2)} GFLOP/s (one core)`);
  console.table(
    conv.flatMap((c) =>
      (["fwd", "bwdFilter", "bwdData"] as const).map((k) => ({ shape: c.shape, op: k, wasm: c.gflops[k].wasm.toFixed(2), "of probe": c.ofProbe[k].toFixed(2), "wasm (CPU time)": c.cpuGflops[k].toFixed(2), "of probe (CPU time)": c.ofProbeCpu[k].toFixed(2), wasmNaive: c.gflops[k].wasmNaive?.toFixed(2) ?? "-" })),
    ),
  );
}
