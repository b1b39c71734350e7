// Finds the training data: --data (a Kaggle CSV or a folder of MNIST IDX files), else the folder in
// env SIMDNET_MNIST_DIR, else ./data/mnist, else the download cache (downloading MNIST into it),
// else — the download failed (offline) — the MNIST sample shipped with simdnet, with a notice.
import { existsSync } from "node:fs";
import { SimdnetError } from "../errors.js";
import type { Dataset } from "./dataset.js";
import { join } from "node:path";
import { cacheDir, downloadMnist, mnistMirror, stderrProgress } from "./download.js";
import { hasMnistFiles, isDirectory, isKaggleDigitsFile, loadCsvFile, loadMnistDir, loadTableFile } from "./files.js";
import { splitTrainVal } from "./dataset.js";
import { applyPreprocessing, fitPreprocessing, type DataMeta, type PreprocessOptions, type Table, type TableOptions } from "./table.js";
import { SAMPLE_TEST_COUNT, SAMPLE_TRAIN_COUNT, sampleDir } from "./sample.js";

/** How to read a CSV that is not a Kaggle digit file (src/cli/data-options.ts builds it from the options). */
export interface TableConfig {
  options: TableOptions;
  prep: PreprocessOptions;
  /** Read even a Kaggle-shaped file as a table (a table option was given). */
  force: boolean;
  /** The split the training run will make: statistics come from its training rows only. */
  valSplit: number;
  seed: number;
}

export interface TrainingData {
  kind: "idx" | "csv" | "table";
  path: string;
  train: Dataset;
  /** The t10k set for IDX; null for a CSV (Kaggle's test.csv has no labels). */
  test: Dataset | null;
  /** True when this is the shipped MNIST sample (no data found, the download failed). */
  sample?: boolean;
  /** A table: what the model learns about its data (from the training split) and the parsed rows. */
  meta?: DataMeta;
  table?: Table;
}

const DATA_CHOICES =
  "Provide one of:\n" +
  "  --data path/to/train.csv       a Kaggle digit-recognizer CSV (label,pixel0..pixel783)\n" +
  "  --data path/to/mnist-folder     a folder with the four MNIST IDX files (raw or .gz):\n" +
  "                                  train-images-idx3-ubyte, train-labels-idx1-ubyte,\n" +
  "                                  t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte\n" +
  "  SIMDNET_MNIST_DIR=folder        the same folder through the environment\n" +
  "  ./data/mnist                    the default folder, if it holds those files";

export const NO_DATA_HELP = "no training data found. " + DATA_CHOICES;

export function defaultDataPath(): string | null {
  const env = process.env.SIMDNET_MNIST_DIR;
  if (env) {
    // the user said where the data is: a wrong folder is an error, not a reason to download
    if (hasMnistFiles(env)) return env;
    throw new SimdnetError(`SIMDNET_MNIST_DIR is set, but ${env} does not hold the four MNIST IDX files (raw or .gz). ${DATA_CHOICES}`, { field: "SIMDNET_MNIST_DIR" });
  }
  if (hasMnistFiles("data/mnist")) return "data/mnist";
  return null;
}

export async function loadTrainingData(dataPath: string | undefined, tableConfig?: TableConfig): Promise<TrainingData> {
  const path = dataPath ?? defaultDataPath() ?? (await downloadToCache());
  if (typeof path === "object") {
    const { train, test } = loadMnistDir(path.sample);
    return { kind: "idx", path: path.sample, train, test, sample: true };
  }
  if (!existsSync(path)) throw new SimdnetError(`no such file or folder`, { file: path, field: "--data" });
  if (isDirectory(path)) {
    const { train, test } = loadMnistDir(path);
    return { kind: "idx", path, train, test };
  }
  if (tableConfig && (tableConfig.force || !isKaggleDigitsFile(path))) return loadTableData(path, tableConfig);
  const train = await loadCsvFile(path, { requireLabels: true });
  return { kind: "csv", path, train, test: null };
}

/**
 * No data given or found: MNIST from the mirror into the cache (already there: nothing fetched).
 * If the download fails, the shipped sample's folder, after a notice on stderr.
 */
async function downloadToCache(): Promise<string | { sample: string }> {
  const dir = join(cacheDir(), "mnist");
  if (hasMnistFiles(dir)) return dir;
  const mirror = mnistMirror();
  process.stderr.write(`no training data given: downloading MNIST from ${mirror} into ${dir}\n`);
  try {
    return await downloadMnist({ dir, mirror, onProgress: stderrProgress() });
  } catch (e) {
    if (!(e instanceof SimdnetError)) throw e;
    const sample = sampleDir();
    if (sample) {
      process.stderr.write(sampleNotice(e.message, sample));
      return { sample };
    }
    throw new SimdnetError(
      `${e.message}\nThe MNIST download failed: SIMDNET_MNIST_MIRROR=URL picks another mirror, SIMDNET_CACHE=FOLDER another cache.\nOr use local files. ${DATA_CHOICES}`,
    );
  }
}

/** What `simdnet train` says when it falls back to the sample: why, what it is, how to get the full set. */
export function sampleNotice(reason: string, dir: string): string {
  const n = (v: number) => v.toLocaleString("en-US");
  return (
    `simdnet: the MNIST download failed (${reason.split("\n")[0]}).\n` +
    `Training on the MNIST sample shipped with simdnet instead: ${n(SAMPLE_TRAIN_COUNT)} training and ${n(SAMPLE_TEST_COUNT)} test digits ` +
    `(${dir}; MNIST by LeCun, Cortes and Burges, CC BY-SA 3.0). Accuracy on it is below what the full set gives.\n` +
    `For the full 60,000 + 10,000 digits: --data path/to/mnist-folder, or SIMDNET_MNIST_DIR=folder, ` +
    `or run once with a network connection so simdnet can download MNIST (SIMDNET_MNIST_MIRROR=URL picks another mirror).\n`
  );
}

/**
 * Any labelled CSV: parsed, split as the training run will split it (the same seed and fraction),
 * preprocessing fitted on the training rows only, then applied to every row.
 */
export async function loadTableData(path: string, c: TableConfig): Promise<TrainingData> {
  const table = await loadTableFile(path, c.options);
  const { train } = splitTrainVal({ count: table.count } as Dataset, c.valSplit, c.seed);
  const meta = fitPreprocessing(table, train.indices, c.prep);
  return { kind: "table", path, train: applyPreprocessing(meta, table), test: null, meta, table };
}
