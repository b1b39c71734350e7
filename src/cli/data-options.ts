// simdnet train on any labelled CSV: the option rows (one block, appended to train's), the data
// and task config built from them, the defaults for tables, and the model spec fitted to the data.
import { SimdnetError } from "../errors.js";
import type { TableConfig } from "../data/resolve.js";
import { applyPreprocessing, MISSING_POLICIES, outputCount, rawTargets, subsetRows, untransformTargets, type DataMeta, type MissingPolicy, type NormalizeKind, type Table } from "../data/table.js";
import { regressionMetrics, type RegressionMetrics } from "../data/regression-metrics.js";
import type { Network } from "../model/network.js";
import type { Subset } from "../data/dataset.js";
import { isKaggleDigitsFile, isDirectory } from "../data/files.js";
import { existsSync } from "node:fs";
import type { ModelSpec, Task } from "../model/spec.js";
import { numberOption, type OptionRow } from "./options.js";

export const TABLE_OPTIONS: OptionRow[] = [
  { name: "label", type: "string", value: "NAME[,NAME]", default: "label", help: "any labelled CSV: the target column (several, comma-separated: multi-output regression)" },
  { name: "features", type: "string", value: "A,B,...", help: "only these feature columns (default: every column but the label and --ignore)" },
  { name: "ignore", type: "string", value: "A,B,...", help: "columns to leave out (ids, names)" },
  { name: "normalize", type: "string", value: "KIND", help: "feature scaling from the training split: standard, minmax or none (default: standard for tables)" },
  { name: "task", type: "string", value: "KIND", default: "auto", help: "classification, regression, or auto (regression when the label is numeric with many distinct non-integer values; a notice says which)" },
  { name: "missing", type: "string", value: "POLICY", default: "error", help: "empty or non-numeric feature cells: error (naming file, line, column), mean (the training mean) or drop (skip the row)" },
  { name: "input-shape", type: "string", value: "HxWxC", help: "image rows of this shape (uint8 pixel path; default: pixel0..pixelN columns, square when N is)" },
  { name: "pixel-max", type: "string", value: "N", help: "largest pixel value of image rows (default: detected, 1, 16 or 255)" },
];

/** Defaults for tables (a preset and the options given override them): small batches, many epochs, early stopping. */
export const TABLE_DEFAULTS: Record<string, string> = {
  hidden: "64",
  epochs: "300",
  batch: "32",
  optimizer: "adam",
  lr: "0.003",
  schedule: "constant",
  "early-stop": "30",
  "val-split": "0.2",
};

const list = (v: unknown) => (typeof v === "string" ? v.split(",").map((s) => s.trim()).filter((s) => s !== "") : undefined);

/** Is --data a table (a CSV file that is not a Kaggle digit file, or any file with a table option)? */
export function isTableRun(values: Record<string, unknown>): boolean {
  const data = values.data;
  const forced = TABLE_OPTIONS.some((r) => values[r.name] !== undefined);
  if (typeof data !== "string" || !existsSync(data) || isDirectory(data)) {
    if (forced && (typeof data !== "string" || isDirectory(data))) throw new SimdnetError(`--${TABLE_OPTIONS.find((r) => values[r.name] !== undefined)!.name} is for a CSV table: give --data FILE.csv`, { field: "--data" });
    return false; // a missing file: loadTrainingData names it
  }
  return forced || !isKaggleDigitsFile(data);
}

/** The data and task config of a table run, from the option values. */
export function resolveTableConfig(values: Record<string, unknown>, valSplit: number, seed: number, notice: (m: string) => void): TableConfig {
  const normalize = (values.normalize as string | undefined) ?? "standard";
  if (!["standard", "minmax", "none"].includes(normalize)) throw new SimdnetError(`expected standard, minmax or none, got "${normalize}"`, { field: "--normalize" });
  const task = (values.task as string | undefined) ?? "auto";
  if (!["auto", "classification", "regression"].includes(task)) throw new SimdnetError(`expected classification, regression or auto, got "${task}"`, { field: "--task" });
  const missing = (values.missing as string | undefined) ?? "error";
  if (!(MISSING_POLICIES as string[]).includes(missing)) throw new SimdnetError(`expected error, mean or drop, got "${missing}"`, { field: "--missing" });
  let inputShape: number[] | undefined;
  if (typeof values["input-shape"] === "string") {
    const parts = values["input-shape"].toLowerCase().split("x").map(Number);
    if (parts.length !== 3 || !parts.every((v) => Number.isInteger(v) && v > 0)) throw new SimdnetError(`expected HxWxC (e.g. 8x8x1), got "${values["input-shape"]}"`, { field: "--input-shape" });
    inputShape = parts;
  }
  const pixelMax = values["pixel-max"] === undefined ? undefined : numberOption(values["pixel-max"] as string, "pixel-max", (v) => v > 0, "a positive number");
  const label = list(values.label) ?? ["label"];
  if (label.length === 0) throw new SimdnetError("expected a column name", { field: "--label" });
  return {
    options: { label, features: list(values.features), ignore: list(values.ignore), missing: missing as MissingPolicy, inputShape, pixels: pixelMax !== undefined || inputShape !== undefined },
    prep: { normalize: normalize as NormalizeKind, task: task as Task | "auto", pixelMax, notice },
    force: TABLE_OPTIONS.some((r) => values[r.name] !== undefined),
    valSplit,
    seed,
  };
}

/** The model spec for the data: its input width (or image shape), output units, input kind and task. */
export function tableSpec(spec: ModelSpec, meta: DataMeta): ModelSpec {
  const out: ModelSpec = { ...spec, inputSize: meta.features.length, outputSize: outputCount(meta) };
  delete out.inputShape;
  delete out.inputKind;
  delete out.task;
  if (meta.inputKind === "f32") out.inputKind = "f32";
  if (meta.task === "regression") out.task = "regression";
  if (spec.layers) {
    if (!meta.inputShape || meta.inputShape.length !== 3) {
      if (spec.layers.some((c) => c.type !== "dense" && c.type !== "dropout" && c.type !== "batchNormalization"))
        throw new SimdnetError(`convolution and pooling layers need image rows: these ${meta.features.length} features are a flat vector (give --input-shape HxWxC for images)`, { field: "--layers" });
    } else out.inputShape = [...meta.inputShape];
  }
  return out;
}

export interface TableResults {
  task: Task;
  classNames: string[] | null;
  /** Regression: RMSE, MAE and R² in the targets' units on the validation rows (the training rows when there are none). */
  regression: RegressionMetrics | null;
  valRmse: number | null;
  valMae: number | null;
  valR2: number | null;
}

/** What a table run reports at the end: regression metrics in the targets' own units. */
export function tableResults(net: Network, meta: DataMeta, table: Table, val: Subset | null, info: (m: string) => void): TableResults {
  const r: TableResults = { task: meta.task, classNames: meta.classNames ?? null, regression: null, valRmse: null, valMae: null, valR2: null };
  if (meta.task !== "regression") return r;
  const rows = val && val.indices.length ? val.indices : Uint32Array.from({ length: table.count }, (_, i) => i);
  const part = subsetRows(table, rows);
  const ds = applyPreprocessing(meta, part);
  const out = untransformTargets(meta, net.predictProbs(ds.features ?? ds.images, ds.count));
  const m = regressionMetrics(out, rawTargets(part), meta.targets!.names);
  info(`${val && val.indices.length ? "validation" : "training"} rows (${m.count}): RMSE ${m.rmse.toPrecision(4)}  MAE ${m.mae.toPrecision(4)}  R² ${m.r2.toFixed(4)}` + (m.targets.length > 1 ? "  (" + m.targets.map((t) => `${t.name}: R² ${t.r2.toFixed(4)}`).join(", ") + ")" : ""));
  return { ...r, regression: m, valRmse: m.rmse, valMae: m.mae, valR2: m.r2 };
}
