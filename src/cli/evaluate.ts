// simdnet evaluate: accuracy, loss, per-class precision/recall and the confusion matrix on a labelled set.
import { allOf } from "../data/dataset.js";
import { argmaxRows, confusionMatrix, perClassMetrics, type ClassMetrics } from "../model/metrics.js";
import { checkInputSize, inferenceNetwork, loadImages, readModelFile } from "./model-data.js";
import { parseCommand, type OptionRow } from "./options.js";
import { THREAD_OPTIONS, parseThreads } from "./threads.js";
import { openBackend } from "../backend/index.js";

export const EVALUATE_OPTIONS: OptionRow[] = [
  { name: "model", type: "string", value: "FILE", help: "a .simdnet model written by simdnet train" },
  { name: "data", type: "string", value: "PATH", help: "a labelled Kaggle CSV, or an MNIST IDX folder (its t10k test set)" },
  { name: "json", type: "boolean", help: "print one JSON object" },
  ...THREAD_OPTIONS,
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
}

const pct = (v: number | null) => (v === null ? "    -" : `${(100 * v).toFixed(2)}%`.padStart(7));

export function formatEvaluation(r: EvaluationReport): string {
  const lines = [`${r.data}: ${r.count} images`, `accuracy ${(100 * r.accuracy).toFixed(2)}%  loss ${r.loss.toFixed(4)}`, "", "class  precision  recall  support"];
  for (const c of r.classes) lines.push(`${String(c.label).padStart(5)}  ${pct(c.precision).padStart(9)}  ${pct(c.recall).padStart(6)}  ${String(c.support).padStart(7)}`);
  const w = Math.max(4, ...r.confusion.flat().map((v) => String(v).length + 1));
  lines.push("", "confusion matrix (rows: true label, columns: predicted)");
  lines.push("     " + r.confusion.map((_, p) => String(p).padStart(w)).join(""));
  r.confusion.forEach((row, t) => lines.push(String(t).padStart(4) + " " + row.map((v) => String(v).padStart(w)).join("")));
  return lines.join("\n");
}

export async function evaluateCommand(argv: string[]): Promise<number> {
  const values = parseCommand(EVALUATE_OPTIONS, argv, "Usage: simdnet evaluate --model FILE --data PATH [--json]\n\nScores a model on labelled data.");
  if (values === null) return 0;
  const modelPath = values.model as string | undefined;
  const model = readModelFile(modelPath);
  const data = await loadImages(values.data as string | undefined, true);
  checkInputSize(model, data, modelPath!);
  const backend = await openBackend({ threads: parseThreads(values.threads), fma: Boolean(values.fma), notice: (m) => console.error(`simdnet: ${m}`) });
  const net = inferenceNetwork(model, 256, backend);
  const { loss, accuracy } = net.evaluate(allOf(data));
  const predicted = argmaxRows(net.predictProbs(data.images, data.count), model.spec.outputSize);
  backend.close?.();
  const confusion = confusionMatrix(predicted, data.labels!, model.spec.outputSize);
  const report: EvaluationReport = { data: data.source, count: data.count, accuracy, loss, classes: perClassMetrics(confusion), confusion };
  console.log(values.json ? JSON.stringify(report) : formatEvaluation(report));
  return 0;
}
