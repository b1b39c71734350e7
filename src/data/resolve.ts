// Finds the training data: --data (a Kaggle CSV or a folder of MNIST IDX files), else the folder in
// env SIMDNET_MNIST_DIR, else ./data/mnist, else MNIST downloaded into the cache (download.ts).
import { existsSync } from "node:fs";
import { SimdnetError } from "../errors.js";
import type { Dataset } from "./dataset.js";
import { hasMnistFiles, isDirectory, loadCsvFile, loadMnistDir } from "./files.js";
import { downloadMnist } from "./download.js";

export interface TrainingData {
  kind: "idx" | "csv";
  path: string;
  train: Dataset;
  /** The t10k set for IDX; null for a CSV (Kaggle's test.csv has no labels). */
  test: Dataset | null;
}

export function defaultDataPath(): string | null {
  const env = process.env.SIMDNET_MNIST_DIR;
  if (env && hasMnistFiles(env)) return env;
  if (hasMnistFiles("data/mnist")) return "data/mnist";
  return null;
}

export async function loadTrainingData(dataPath: string | undefined): Promise<TrainingData> {
  // no data given or found: the cached download, else download it (checksummed) into the cache
  const path = dataPath ?? defaultDataPath() ?? (await downloadMnist());
  if (!existsSync(path)) throw new SimdnetError(`no such file or folder`, { file: path, field: "--data" });
  if (isDirectory(path)) {
    const { train, test } = loadMnistDir(path);
    return { kind: "idx", path, train, test };
  }
  const train = await loadCsvFile(path, { requireLabels: true });
  return { kind: "csv", path, train, test: null };
}
