// What predict, evaluate, info and export share: reading a model file and the images to run it on.
import { readFileSync } from "node:fs";
import { SimdnetError } from "../errors.js";
import { decodeModel, type ModelFile } from "../model/format.js";
import { Network } from "../model/network.js";
import { WasmBackend } from "../backend/wasm.js";
import type { Dataset } from "../data/dataset.js";
import { MNIST_FILES, findMnistFile, isDirectory, loadCsvFile, readIdxFile } from "../data/files.js";
import { idxToDataset } from "../data/idx.js";
import { loadTableFile } from "../data/files.js";
import { applyPreprocessing, type DataMeta, type Table } from "../data/table.js";

export function readModelFile(path: string | undefined): ModelFile {
  if (!path) throw new SimdnetError("missing --model FILE (a .simdnet file written by simdnet train)");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SimdnetError(code === "ENOENT" ? "no such model file" : `cannot read model file: ${(e as Error).message}`, { file: path, field: "--model" });
  }
  return decodeModel(bytes, path);
}

/** Inference only: an arena sized for `batch` rows, no optimizer state, the model's weights and state. */
export function inferenceNetwork(model: ModelFile, batch = 256): Network {
  const net = new Network(model.spec, new WasmBackend(), batch);
  net.setParams(model.params);
  net.setState(model.state);
  return net;
}

/**
 * Images to run a model on: a Kaggle CSV (with or without labels), or an MNIST IDX folder, whose
 * t10k test set is used (labels optional unless needLabels).
 */
export async function loadImages(path: string | undefined, needLabels: boolean): Promise<Dataset> {
  if (!path) throw new SimdnetError("missing --data PATH (a Kaggle CSV or an MNIST IDX folder)");
  if (isDirectory(path)) {
    const imgFile = findMnistFile(path, MNIST_FILES.testImages);
    if (!imgFile) throw new SimdnetError(`missing ${MNIST_FILES.testImages} (or .gz)`, { file: path, field: "--data" });
    const lblFile = findMnistFile(path, MNIST_FILES.testLabels);
    if (!lblFile && needLabels) throw new SimdnetError(`missing ${MNIST_FILES.testLabels} (or .gz): evaluation needs labels`, { file: path, field: "--data" });
    return idxToDataset(readIdxFile(imgFile), lblFile ? readIdxFile(lblFile) : null, imgFile, lblFile ?? undefined);
  }
  const data = await loadCsvFile(path, needLabels ? { requireLabels: true } : {});
  return data;
}

export function checkInputSize(model: ModelFile, data: Dataset, modelPath: string): void {
  if (data.inputSize !== model.spec.inputSize)
    throw new SimdnetError(`the model takes ${model.spec.inputSize} pixels per image, the data has ${data.inputSize} (${data.source})`, { file: modelPath, field: "inputSize" });
}

/** Rows to run a table model on (a CSV with the model's feature columns; the label columns when needLabels), preprocessed with the model's statistics. */
export async function loadTableFor(meta: DataMeta, path: string | undefined, needLabels: boolean): Promise<{ data: Dataset; table: Table }> {
  if (!path) throw new SimdnetError("missing --data FILE (a CSV with the model's feature columns)");
  if (isDirectory(path)) throw new SimdnetError(`this model was trained on a table (${meta.features.length} features): give a CSV file, not a folder`, { file: path, field: "--data" });
  const table = await loadTableFile(path, { label: meta.label, expect: { features: meta.features, label: meta.label }, labelOptional: !needLabels, missing: meta.missing ? "mean" : "error", missingHint: "the model was trained on complete rows: fill the cell, or train with --missing mean" });
  return { data: applyPreprocessing(meta, table), table };
}
