// simdnet predict: a Kaggle submission (ImageId,Label; ids from 1 in row order; LF endings).
import { writeFileAtomic } from "../fsutil.js";
import { SimdnetError } from "../errors.js";
import { argmaxRows } from "../model/metrics.js";
import { checkInputSize, inferenceNetwork, loadImages, loadTableFor, readModelFile } from "./model-data.js";
import { untransformTargets, type DataMeta } from "../data/table.js";
import { parseCommand, type OptionRow } from "./options.js";

export const PREDICT_OPTIONS: OptionRow[] = [
  { name: "model", type: "string", value: "FILE", help: "a .simdnet model written by simdnet train" },
  { name: "data", type: "string", value: "PATH", help: "Kaggle test.csv (a labelled CSV works too; labels are ignored), or an MNIST IDX folder (its t10k images)" },
  { name: "out", type: "string", value: "FILE", default: "submission.csv", help: "where to write the submission (atomically)" },
  { name: "probs", type: "boolean", help: "a model trained on a table: add one column per class with its probability" },
  { name: "help", type: "boolean", help: "show this help" },
];

/** The submission text: header, then one "id,label" line per image, ids from 1. */
export function submissionCsv(classes: Uint8Array): string {
  const lines = ["ImageId,Label"];
  for (let i = 0; i < classes.length; i++) lines.push(`${i + 1},${classes[i]}`);
  return lines.join("\n") + "\n";
}

export async function predictCommand(argv: string[]): Promise<number> {
  const values = parseCommand(PREDICT_OPTIONS, argv, "Usage: simdnet predict --model FILE --data PATH [--out FILE]\n\nWrites Kaggle's submission format: ImageId,Label.");
  if (values === null) return 0;
  const modelPath = values.model as string | undefined;
  const model = readModelFile(modelPath);
  const out = (values.out as string | undefined) ?? "submission.csv";
  if (model.meta) {
    // a table model: row,label with class names (--probs: a column per class), or row,<targets> for regression
    const { data } = await loadTableFor(model.meta, values.data as string | undefined, false);
    const outputs = inferenceNetwork(model).predictProbs(data.features ?? data.images, data.count);
    writeFileAtomic(out, tablePredictionsCsv(model.meta, outputs, data.count, Boolean(values.probs)));
    console.log(`simdnet: ${data.count} predictions written to ${out}`);
    return 0;
  }
  if (values.probs) throw new SimdnetError("--probs is for models trained on a table (row,label,<class>... columns); digit models write Kaggle's ImageId,Label", { field: "--probs" });
  const data = await loadImages(values.data as string | undefined, false);
  checkInputSize(model, data, modelPath!);
  const net = inferenceNetwork(model);
  const classes = argmaxRows(net.predictProbs(data.images, data.count), model.spec.outputSize);
  writeFileAtomic(out, submissionCsv(classes));
  console.log(`simdnet: ${data.count} predictions written to ${out}`);
  return 0;
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Predictions of a table model: row,label (class names; probs adds one column per class), or row,<target names> (regression, the targets' units). Rows from 1, in file order. */
export function tablePredictionsCsv(meta: DataMeta, outputs: Float32Array, n: number, probs: boolean): string {
  const num = (v: number) => String(Number(v.toPrecision(7)));
  if (meta.task === "regression") {
    const names = meta.targets!.names;
    const T = names.length;
    const values = untransformTargets(meta, outputs);
    const lines = [["row", ...names].map(csvCell).join(",")];
    for (let i = 0; i < n; i++) lines.push([String(i + 1), ...Array.from(values.subarray(i * T, i * T + T), num)].join(","));
    return lines.join("\n") + "\n";
  }
  const names = meta.classNames!;
  const C = names.length;
  const classes = argmaxRows(outputs, C);
  const lines = [["row", "label", ...(probs ? names : [])].map(csvCell).join(",")];
  for (let i = 0; i < n; i++) lines.push([String(i + 1), csvCell(names[classes[i]]), ...(probs ? Array.from(outputs.subarray(i * C, i * C + C), num) : [])].join(","));
  return lines.join("\n") + "\n";
}
