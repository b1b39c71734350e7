// Picked files → data sets, in the browser (the worker): MNIST IDX files (raw or .gz) or a Kaggle
// digit-recognizer CSV. Which file is which comes from its contents (IDX dimensions, CSV label
// column) and, for train vs test, from its name ("t10k"/"test" = test). Web APIs only.
import { SimdnetError } from "../src/errors.js";
import { parseIdx, idxToDataset, type IdxArray } from "../src/data/idx.js";
import { parseDigitsCsv } from "../src/data/csv.js";
import { splitTrainVal, type Dataset } from "../src/data/dataset.js";
import { applyPreprocessing, csvHeader, fitPreprocessing, isKaggleDigitsHeader, outputCount, parseTable, toTableSet, type DataMeta, type TableSet } from "../src/data/table.js";
import type { Backend } from "../src/backend/types.js";
import { Network } from "../src/model/network.js";
import type { ModelSpec } from "../src/model/spec.js";
import { createOptimizer } from "../src/train/optimizers.js";
import { LrSchedule } from "../src/train/schedules.js";
import { specFor, type PreparedRun, type TrainSettings } from "./training.js";

export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

export interface LoadedData {
  /** null when only test files were picked (enough to test a loaded model). */
  train: Dataset | null;
  test: Dataset | null;
  /** A one-line description for the page. */
  description: string;
  /** Any other labelled CSV (a table): trained through prepareTableRun. */
  table?: TableSet;
}

/** Gunzips (DecompressionStream) when the bytes start with the gzip magic. */
export async function gunzipIfNeeded(file: NamedBytes): Promise<Uint8Array> {
  const b = file.bytes;
  if (b.length < 2 || b[0] !== 0x1f || b[1] !== 0x8b) return b;
  try {
    const stream = new Blob([b as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new SimdnetError(`corrupt or truncated gzip data: ${(e as Error).message}`, { file: file.name, field: "gzip" });
  }
}

const isTestName = (name: string) => /t10k|test/i.test(name);

export async function datasetsFromFiles(files: NamedBytes[]): Promise<LoadedData> {
  if (files.length === 0) throw new SimdnetError("no files picked");
  const idx: Record<"train" | "test", { images?: [IdxArray, string]; labels?: [IdxArray, string] }> = { train: {}, test: {} };
  const csv: Dataset[] = [];
  for (const f of files) {
    const bytes = await gunzipIfNeeded(f);
    if (/\.csv(\.gz)?$/i.test(f.name)) {
      const text = new TextDecoder().decode(bytes);
      if (!isKaggleDigitsHeader(text.slice(0, text.indexOf("\n") + 1 || text.length))) {
        // any other labelled CSV: the label is the column named "label", else the last column
        if (files.length > 1) throw new SimdnetError("pick one table CSV on its own", { file: f.name });
        const names = csvHeader(text, f.name);
        const table = toTableSet(parseTable(text, f.name, { label: names.includes("label") ? "label" : names[names.length - 1] }));
        const what = table.task === "regression" ? `regression of ${table.labelNames.join(", ")}` : `${table.classNames!.length} classes (${table.classNames!.slice(0, 5).join(", ")}${table.classNames!.length > 5 ? ", …" : ""})`;
        return { train: null, test: null, table, description: `${table.count.toLocaleString("en-US")} rows × ${table.inputSize} features from ${f.name}: ${what}` };
      }
      const d = parseDigitsCsv(bytes, f.name);
      if (!d.labels) throw new SimdnetError("this CSV has no label column (Kaggle's test.csv?); training needs train.csv", { file: f.name, line: 1, field: "label" });
      csv.push(d);
      continue;
    }
    const arr = parseIdx(bytes, f.name);
    const slot = idx[isTestName(f.name) ? "test" : "train"];
    if (arr.dims.length === 3) slot.images = [arr, f.name];
    else if (arr.dims.length === 1) slot.labels = [arr, f.name];
    else throw new SimdnetError(`an IDX file with ${arr.dims.length} dimensions is neither images (3) nor labels (1)`, { file: f.name, byteOffset: 3, field: "dimensions" });
  }
  if (csv.length > 0) {
    if (csv.length > 1 || idx.train.images || idx.test.images) throw new SimdnetError("pick either one Kaggle CSV or MNIST IDX files, not both");
    const d = csv[0];
    return { train: d, test: null, description: `${d.count.toLocaleString("en-US")} labelled images from ${d.source}` };
  }
  const pair = (role: "train" | "test"): Dataset | null => {
    const { images, labels } = idx[role];
    if (!images && !labels) return null;
    if (!images) throw new SimdnetError(`labels without images: also pick the matching ${role === "test" ? "t10k" : "train"}-images file`, { file: labels![1] });
    if (!labels) throw new SimdnetError(`images without labels: also pick the matching ${role === "test" ? "t10k" : "train"}-labels file`, { file: images[1] });
    return idxToDataset(images[0], labels[0], images[1], labels[1]);
  };
  const train = pair("train");
  const test = pair("test");
  if (!train && !test) throw new SimdnetError("no images: pick train-images-idx3-ubyte and train-labels-idx1-ubyte (.gz is fine), or a Kaggle train.csv");
  if (train && test && test.inputSize !== train.inputSize)
    throw new SimdnetError(`test images are ${test.inputSize} pixels but training images are ${train.inputSize}`, { file: test.source, field: "dimensions" });
  const n = (d: Dataset) => d.count.toLocaleString("en-US");
  const parts = [train && `${n(train)} training images`, test && `${n(test)} test images`].filter(Boolean);
  return { train, test, description: `${parts.join(" + ")} (MNIST IDX)` };
}

/**
 * prepareRun for a table: the split first, then scaling, classes and targets fitted on its training
 * rows only, every row preprocessed with them, and the model sized for the table (its features in,
 * its classes or targets out).
 */
export function prepareTableRun(backend: Backend, table: TableSet, s: TrainSettings): PreparedRun & { meta: DataMeta } {
  const { train: trainRows } = splitTrainVal({ count: table.count } as Dataset, s.valSplit, s.seed);
  const meta = fitPreprocessing(table, trainRows.indices, { normalize: table.normalize, task: table.task });
  const data = applyPreprocessing(meta, table);
  // a layer stack only on image rows (square pixels); float features train the MLP of the hidden widths
  const spec: ModelSpec = { ...specFor({ ...s, layers: meta.inputKind === "u8" ? s.layers : undefined }, table.inputSize), outputSize: outputCount(meta) };
  if (meta.inputKind === "f32") spec.inputKind = "f32";
  if (meta.task === "regression") spec.task = "regression";
  const { train, val } = splitTrainVal(data, s.valSplit, s.seed);
  const batchSize = Math.min(s.batchSize, train.indices.length);
  const optimizer = createOptimizer({ name: s.optimizer, momentum: 0.9, nesterov: false, weightDecay: s.weightDecay ?? 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const net = new Network(spec, backend, batchSize, optimizer.stateSlots);
  net.init(s.seed, "he");
  const schedule = new LrSchedule({ name: "cosine", lr: s.lr, epochs: s.epochs, warmupEpochs: s.warmup ?? 0, gamma: 0.1, stepSize: 5, minLr: 0, patience: 2 });
  return { spec, net, train, val, meta, options: { epochs: s.epochs, batchSize, schedule, seed: s.seed, optimizer } };
}
