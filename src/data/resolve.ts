// Finds the training data: --data (a Kaggle CSV or a folder of MNIST IDX files), else the folder in
// env SIMDNET_MNIST_DIR, else ./data/mnist.
import { existsSync } from "node:fs";
import { SimdnetError } from "../errors.js";
import type { Dataset } from "./dataset.js";
import { hasMnistFiles, isDirectory, loadCsvFile, loadMnistDir } from "./files.js";

export interface TrainingData {
  kind: "idx" | "csv";
  path: string;
  train: Dataset;
  /** The t10k set for IDX; null for a CSV (Kaggle's test.csv has no labels). */
  test: Dataset | null;
}

export const NO_DATA_HELP =
  "no training data found. Provide one of:\n" +
  "  --data path/to/train.csv       a Kaggle digit-recognizer CSV (label,pixel0..pixel783)\n" +
  "  --data path/to/mnist-folder     a folder with the four MNIST IDX files (raw or .gz):\n" +
  "                                  train-images-idx3-ubyte, train-labels-idx1-ubyte,\n" +
  "                                  t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte\n" +
  "  SIMDNET_MNIST_DIR=folder        the same folder through the environment\n" +
  "  ./data/mnist                    the default folder, if it holds those files";

export function defaultDataPath(): string | null {
  const env = process.env.SIMDNET_MNIST_DIR;
  if (env && hasMnistFiles(env)) return env;
  if (hasMnistFiles("data/mnist")) return "data/mnist";
  return null;
}

export async function loadTrainingData(dataPath: string | undefined): Promise<TrainingData> {
  const path = dataPath ?? defaultDataPath();
  if (path === null) throw new SimdnetError(NO_DATA_HELP);
  if (!existsSync(path)) throw new SimdnetError(`no such file or folder`, { file: path, field: "--data" });
  if (isDirectory(path)) {
    const { train, test } = loadMnistDir(path);
    return { kind: "idx", path, train, test };
  }
  const train = await loadCsvFile(path, { requireLabels: true });
  return { kind: "csv", path, train, test: null };
}
