// simdnet export: a .simdnet model as a TensorFlow.js Layers model (model.json + weights.bin) or an
// ONNX file (opset 13).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SimdnetError } from "../errors.js";
import { writeFileAtomic } from "../fsutil.js";
import { TFJS_WEIGHTS_FILE, toTfjsLayers, type TfjsModelJson } from "../export/tfjs.js";
import { foldTableMeta } from "../export/fold.js";
import type { DataMeta } from "../data/table.js";
import { ONNX_OPSET, toOnnx } from "../export/onnx.js";
import { readModelFile } from "./model-data.js";
import { parseCommand, type OptionRow } from "./options.js";

export const EXPORT_OPTIONS: OptionRow[] = [
  { name: "model", type: "string", value: "FILE", help: "a .simdnet model file" },
  { name: "format", type: "string", value: "NAME", default: "tfjs", help: "tfjs: TensorFlow.js Layers (a folder); onnx: one .onnx file (opset 13)" },
  { name: "out", type: "string", value: "PATH", help: "tfjs: folder for model.json and weights.bin (created if missing); onnx: the .onnx file" },
  { name: "logits", type: "boolean", help: "onnx: end at the logits (output \"logits\") instead of the Softmax probabilities" },
  { name: "help", type: "boolean", help: "show this help" },
];

const USAGE = `Usage: simdnet export --model FILE [--format tfjs|onnx] --out PATH

Writes a TensorFlow.js Layers model (tf.loadLayersModel) or an ONNX model (ONNX Runtime, opset ${ONNX_OPSET}).
Both take float pixels in [0, 1]: pass pixels / 255. The ONNX input "input" is [N, features] for
MLPs and [N, H, W, C] (channels last) for image models; the output is "probabilities" [N, classes].`;

export async function exportCommand(argv: string[]): Promise<number> {
  const values = parseCommand(EXPORT_OPTIONS, argv, USAGE);
  if (values === null) return 0;
  const format = (values.format as string | undefined) ?? "tfjs";
  if (format !== "tfjs" && format !== "onnx") throw new SimdnetError(`unknown export format "${format}"; expected tfjs or onnx`, { field: "--format" });
  if (values.logits && format !== "onnx") throw new SimdnetError("--logits is an option of --format onnx", { field: "--logits" });
  const out = values.out as string | undefined;
  if (!out) throw new SimdnetError(`missing --out ${format === "onnx" ? "FILE" : "DIR"}`);
  const modelPath = values.model as string | undefined;
  const model = readModelFile(modelPath);
  const { spec, state, meta } = model;
  // a table model: its scaling and target units folded into the weights (src/export/fold.ts); class names in the metadata
  const params = meta ? foldTableMeta(spec, model.params, meta) : model.params;
  if (format === "onnx") {
    const logits = Boolean(values.logits) || meta?.task === "regression"; // a regression's outputs are values, not classes
    const bytes = toOnnx({ ...model, params }, { output: logits ? "logits" : "probabilities" });
    writeFileAtomic(out, bytes);
    const image = spec.layers !== undefined && spec.inputShape !== undefined;
    console.log(`simdnet: ONNX model (opset ${ONNX_OPSET}, ${bytes.length.toLocaleString("en-US")} bytes) written to ${out} (input "input" ${image ? "[N, H, W, C]: pixels / 255" : meta ? "[N, features]: raw feature values" : "[N, features]: pixels / 255"}; output "${logits ? "logits" : "probabilities"}")`);
    return 0;
  }
  const { modelJson, weights } = toTfjsLayers(spec, params, state);
  if (meta) (modelJson as TfjsModelJson & { userDefinedMetadata?: unknown }).userDefinedMetadata = tableMetadata(meta);
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new SimdnetError(`cannot create folder: ${(e as Error).message}`, { file: out, field: "--out" });
  }
  // weights first: a model.json never points at missing weights
  writeFileAtomic(join(out, TFJS_WEIGHTS_FILE), weights);
  writeFileAtomic(join(out, "model.json"), JSON.stringify(modelJson, null, 1) + "\n");
  const input = !meta ? "pixels / 255" : meta.inputKind === "f32" ? `raw values of ${meta.features.length} features (${meta.features.slice(0, 4).join(", ")}${meta.features.length > 4 ? ", …" : ""}); scaling included` : `pixels / ${meta.pixelMax ?? 255}`;
  const output = meta?.task === "regression" ? `; output: ${meta.targets!.names.join(", ")} in their own units` : meta?.classNames ? `; output: probabilities of ${meta.classNames.length} classes (names in userDefinedMetadata)` : "";
  console.log(`simdnet: TensorFlow.js model written to ${join(out, "model.json")} and ${TFJS_WEIGHTS_FILE} (input: ${input}${output})`);
  return 0;
}

/** What a TF.js user needs to read a table model's outputs (model.json userDefinedMetadata). */
export function tableMetadata(meta: DataMeta): Record<string, unknown> {
  return { simdnet: { task: meta.task, features: meta.features, ...(meta.classNames ? { classNames: meta.classNames } : {}), ...(meta.targets ? { targets: meta.targets.names } : {}), ...(meta.pixelMax ? { pixelMax: meta.pixelMax } : {}) } };
}
