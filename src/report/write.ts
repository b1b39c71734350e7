// Node side of `simdnet train --report FILE`: check the folder up front (before a long run), then
// score the held-out set and write the HTML atomically.
import { accessSync, constants, statSync } from "node:fs";
import { dirname } from "node:path";
import { SimdnetError } from "../errors.js";
import { writeFileAtomic } from "../fsutil.js";
import { renderReport, scoreSubset, type ReportInput } from "./report.js";
import type { Network } from "../model/network.js";
import type { Subset } from "../data/dataset.js";

export function checkReportPath(path: string): void {
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a folder");
    accessSync(dir, constants.W_OK);
  } catch {
    throw new SimdnetError(`cannot write the report there: ${dir} is not a writable folder`, { file: path, field: "--report" });
  }
}

/** Scores `evalSet` (the test set, else the validation set) with the trained net and writes the report. */
export function writeTrainReport(path: string, net: Network, evalSet: { subset: Subset; name: string } | null, input: Omit<ReportInput, "scored" | "spec">): void {
  const scored = evalSet && evalSet.subset.indices.length > 0 && evalSet.subset.data.labels ? scoreSubset(net, evalSet.subset, evalSet.name) : null;
  writeFileAtomic(path, renderReport({ ...input, spec: net.spec, scored }));
}
