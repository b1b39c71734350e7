// simdnet predict: a Kaggle submission (ImageId,Label; ids from 1 in row order; LF endings).
import { writeFileAtomic } from "../fsutil.js";
import { argmaxRows } from "../model/metrics.js";
import { checkInputSize, inferenceNetwork, loadImages, readModelFile } from "./model-data.js";
import { parseCommand, type OptionRow } from "./options.js";
import { THREAD_OPTIONS, parseThreads } from "./threads.js";
import { openBackend } from "../backend/index.js";

export const PREDICT_OPTIONS: OptionRow[] = [
  { name: "model", type: "string", value: "FILE", help: "a .simdnet model written by simdnet train" },
  { name: "data", type: "string", value: "PATH", help: "Kaggle test.csv (a labelled CSV works too; labels are ignored), or an MNIST IDX folder (its t10k images)" },
  { name: "out", type: "string", value: "FILE", default: "submission.csv", help: "where to write the submission (atomically)" },
  ...THREAD_OPTIONS,
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
  const data = await loadImages(values.data as string | undefined, false);
  checkInputSize(model, data, modelPath!);
  const backend = await openBackend({ threads: parseThreads(values.threads), fma: Boolean(values.fma), notice: (m) => console.error(`simdnet: ${m}`) });
  const net = inferenceNetwork(model, 256, backend);
  const classes = argmaxRows(net.predictProbs(data.images, data.count), model.spec.outputSize);
  backend.close?.();
  const out = (values.out as string | undefined) ?? "submission.csv";
  writeFileAtomic(out, submissionCsv(classes));
  console.log(`simdnet: ${data.count} predictions written to ${out}`);
  return 0;
}
