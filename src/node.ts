// simdnet/node: the Node-only extras over the universal core — reading MNIST and CSV files,
// saving and loading models on disk (atomically).
import { readFileSync } from "node:fs";
import { SimdnetError } from "./errors.js";
import { isKaggleDigitsFile, loadCsvFile, loadMnistDir, loadTableFile, type MnistSets } from "./data/files.js";
import { toTableSet, type TableSet, type TableSetOptions } from "./data/table.js";
import type { CsvOptions } from "./data/csv.js";
import type { Dataset } from "./data/dataset.js";
import { writeFileAtomic } from "./fsutil.js";
import { Model } from "./model/model.js";
import type { BackendName } from "./backend/types.js";

export type { MnistSets };

/** The MNIST train and t10k sets from a folder of the four IDX files (raw or .gz). */
export function loadMnist(dir: string): MnistSets {
  return loadMnistDir(dir);
}

/**
 * A CSV streamed from disk. A Kaggle digit-recognizer file (label?,pixel0..pixel783) with only
 * digit options gives a Dataset as before; any other labelled CSV, or any table option (label,
 * features, ignore, normalize, task, missing, inputShape, pixelMax), gives a TableSet for
 * Model.create({ data }), fit, evaluate and predictTable (statistics are computed by fit on its
 * training split).
 */
export function loadCsv(path: string, options: TableSetOptions): Promise<TableSet>;
export function loadCsv(path: string, options?: CsvOptions): Promise<Dataset | TableSet>;
export async function loadCsv(path: string, options: CsvOptions | TableSetOptions = {}): Promise<Dataset | TableSet> {
  const tableKeys = ["label", "features", "ignore", "normalize", "task", "missing", "inputShape", "pixelMax", "pixels"];
  const tableOptions = Object.keys(options).some((k) => tableKeys.includes(k));
  if (!tableOptions && isKaggleDigitsFile(path)) return loadCsvFile(path, options as CsvOptions);
  const o = options as TableSetOptions;
  return toTableSet(await loadTableFile(path, o), o);
}

/** Writes the model as a .simdnet file: temp file, fsync, rename. */
export function saveModel(model: Model, path: string): void {
  writeFileAtomic(path, model.toBytes());
}

export function loadModel(path: string, options: { backend?: BackendName } = {}): Model {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SimdnetError(`cannot read model file: ${(e as Error).message}`, { file: path });
  }
  return Model.fromBytes(bytes, { ...options, file: path });
}

export { downloadMnist, cacheDir, mnistMirror, MNIST_SHA256, DEFAULT_MNIST_MIRROR, type DownloadOptions, type DownloadProgress } from "./data/download.js";
