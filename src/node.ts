// simdnet/node: the Node-only extras over the universal core — reading MNIST and CSV files,
// saving and loading models on disk (atomically).
import { readFileSync } from "node:fs";
import { SimdnetError } from "./errors.js";
import { loadCsvFile, loadMnistDir, type MnistSets } from "./data/files.js";
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

/** A Kaggle digit-recognizer CSV (with or without the label column), streamed from disk. */
export function loadCsv(path: string, options: CsvOptions = {}): Promise<Dataset> {
  return loadCsvFile(path, options);
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
