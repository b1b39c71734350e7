// simdnet evaluate: accuracy, loss, per-class precision/recall and the confusion matrix on a labelled set.
import { allOf } from "../data/dataset.js";
import { argmaxRows, confusionMatrix, perClassMetrics, type ClassMetrics } from "../model/metrics.js";
import { checkInputSize, inferenceNetwork, loadImages, loadTableFor, readModelFile } from "./model-data.js";
import { rawTargets, untransformTargets } from "../data/table.js";
import { regressionMetrics, type RegressionMetrics } from "../data/regression-metrics.js";
import { parseCommand, type OptionRow } from "./options.js";
import type { ModelFile } from "../model/format.js";

export const EVALUATE_OPTIONS: OptionRow[] = [
  { name: "model", type: "string", value: "FILE", help: "a .simdnet model written by simdnet train" },
  { name: "data", type: "string", value: "PATH", help: "a labelled Kaggle CSV, or an MNIST IDX folder (its t10k test set)" },
  { name: "json", type: "boolean", help: "print one JSON object" },
  { name: "help", type: "boolean", help: "show this help" },
];

export interface EvaluationReport {
  data: string;
  count: number;
  accuracy: number;
  loss: number;
  classes: ClassMetrics[];
  /** confusion[true][predicted] */
  confusion: number[][];
  /** A table model: the class names (index = class). */
  classNames?: string[];
}

/** A regression model's report: RMSE, MAE and R² in the targets' units (per target, and over all). */
export interface RegressionReport extends RegressionMetrics {
  data: string;
  task: "regression";
  /** Mean squared error of the standardised targets (the training loss). */
  loss: number;
}

export function formatRegression(r: RegressionReport): string {
  const lines = [`${r.data}: ${r.count} rows`, `RMSE ${r.rmse.toPrecision(5)}  MAE ${r.mae.toPrecision(5)}  R² ${r.r2.toFixed(4)}  (loss ${r.loss.toFixed(4)})`];
  if (r.targets.length > 1) {
    lines.push("", "target        RMSE         MAE       R²");
    for (const t of r.targets) lines.push(`${t.name.padEnd(10)} ${t.rmse.toPrecision(5).padStart(9)} ${t.mae.toPrecision(5).padStart(11)}  ${t.r2.toFixed(4).padStart(7)}`);
  }
  return lines.join("\n");
}

const pct = (v: number | null) => (v === null ? "    -" : `${(100 * v).toFixed(2)}%`.padStart(7));

export function formatEvaluation(r: EvaluationReport): string {
  const name = (i: number) => (r.classNames ? r.classNames[i] : String(i));
  const nw = Math.max(5, ...r.classes.map((c) => name(c.label).length));
  const lines = [`${r.data}: ${r.count} ${r.classNames ? "rows" : "images"}`, `accuracy ${(100 * r.accuracy).toFixed(2)}%  loss ${r.loss.toFixed(4)}`, "", "class".padStart(nw) + "  precision  recall  support"];
  for (const c of r.classes) lines.push(`${name(c.label).padStart(nw)}  ${pct(c.precision).padStart(9)}  ${pct(c.recall).padStart(6)}  ${String(c.support).padStart(7)}`);
  const w = Math.max(4, ...r.confusion.flat().map((v) => String(v).length + 1), ...r.confusion.map((_, p) => name(p).length + 1));
  const lw = Math.max(4, nw);
  lines.push("", "confusion matrix (rows: true label, columns: predicted)");
  lines.push(" ".repeat(lw + 1) + r.confusion.map((_, p) => name(p).padStart(w)).join(""));
  r.confusion.forEach((row, t) => lines.push(name(t).padStart(lw) + " " + row.map((v) => String(v).padStart(w)).join("")));
  return lines.join("\n");
}

export async function evaluateCommand(argv: string[]): Promise<number> {
  const values = parseCommand(EVALUATE_OPTIONS, argv, "Usage: simdnet evaluate --model FILE --data PATH [--json]\n\nScores a model on labelled data.");
  if (values === null) return 0;
  const modelPath = values.model as string | undefined;
  const model = readModelFile(modelPath);
  if (model.meta) return evaluateTable(model, values.data as string | undefined, Boolean(values.json));
  const data = await loadImages(values.data as string | undefined, true);
  checkInputSize(model, data, modelPath!);
  const net = inferenceNetwork(model);
  const { loss, accuracy } = net.evaluate(allOf(data));
  const predicted = argmaxRows(net.predictProbs(data.images, data.count), model.spec.outputSize);
  const confusion = confusionMatrix(predicted, data.labels!, model.spec.outputSize);
  const report: EvaluationReport = { data: data.source, count: data.count, accuracy, loss, classes: perClassMetrics(confusion), confusion };
  console.log(values.json ? JSON.stringify(report) : formatEvaluation(report));
  return 0;
}

/** A model trained on a table: its rows preprocessed with the model's statistics, names for classes, metrics in the targets' units. */
async function evaluateTable(model: ModelFile, path: string | undefined, json: boolean): Promise<number> {
  const meta = model.meta!;
  const { data, table } = await loadTableFor(meta, path, true);
  const net = inferenceNetwork(model);
  const { loss } = net.evaluate(allOf(data));
  const outputs = net.predictProbs(data.features ?? data.images, data.count);
  if (meta.task === "regression") {
    const m = regressionMetrics(untransformTargets(meta, outputs), rawTargets(table), meta.targets!.names);
    const report: RegressionReport = { data: data.source, task: "regression", loss, ...m };
    console.log(json ? JSON.stringify(report) : formatRegression(report));
    return 0;
  }
  const C = model.spec.outputSize;
  const predicted = argmaxRows(outputs, C);
  const confusion = confusionMatrix(predicted, data.labels!, C);
  const accuracy = predicted.reduce((s, p, i) => s + (p === data.labels![i] ? 1 : 0), 0) / data.count;
  const report: EvaluationReport = { data: data.source, count: data.count, accuracy, loss, classes: perClassMetrics(confusion), confusion, classNames: meta.classNames };
  console.log(json ? JSON.stringify(report) : formatEvaluation(report));
  return 0;
}
