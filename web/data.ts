// Picked files → data sets, in the browser (the worker): MNIST IDX files (raw or .gz) or a Kaggle
// digit-recognizer CSV. Which file is which comes from its contents (IDX dimensions, CSV label
// column) and, for train vs test, from its name ("t10k"/"test" = test). Web APIs only.
import { SimdnetError } from "../src/errors.js";
import { parseIdx, idxToDataset, type IdxArray } from "../src/data/idx.js";
import { parseDigitsCsv } from "../src/data/csv.js";
import type { Dataset } from "../src/data/dataset.js";

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
