// simdnet export: a .simdnet model as a TensorFlow.js Layers model (model.json + weights.bin).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SimdnetError } from "../errors.js";
import { writeFileAtomic } from "../fsutil.js";
import { TFJS_WEIGHTS_FILE, toTfjsLayers } from "../export/tfjs.js";
import { readModelFile } from "./model-data.js";
import { parseCommand, type OptionRow } from "./options.js";

export const EXPORT_OPTIONS: OptionRow[] = [
  { name: "model", type: "string", value: "FILE", help: "a .simdnet model file" },
  { name: "format", type: "string", value: "NAME", default: "tfjs", help: "tfjs: the TensorFlow.js Layers format (the one format so far)" },
  { name: "out", type: "string", value: "DIR", help: "folder for model.json and weights.bin (created if missing)" },
  { name: "help", type: "boolean", help: "show this help" },
];

export async function exportCommand(argv: string[]): Promise<number> {
  const values = parseCommand(
    EXPORT_OPTIONS,
    argv,
    "Usage: simdnet export --model FILE [--format tfjs] --out DIR\n\nWrites a TensorFlow.js Layers model (tf.loadLayersModel). It takes float pixels in [0, 1]: pass pixels / 255.",
  );
  if (values === null) return 0;
  const format = (values.format as string | undefined) ?? "tfjs";
  if (format !== "tfjs") throw new SimdnetError(`unknown export format "${format}"; expected tfjs`, { field: "--format" });
  const out = values.out as string | undefined;
  if (!out) throw new SimdnetError("missing --out DIR");
  const modelPath = values.model as string | undefined;
  const { spec, params, state } = readModelFile(modelPath);
  const { modelJson, weights } = toTfjsLayers(spec, params, state);
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new SimdnetError(`cannot create folder: ${(e as Error).message}`, { file: out, field: "--out" });
  }
  // weights first: a model.json never points at missing weights
  writeFileAtomic(join(out, TFJS_WEIGHTS_FILE), weights);
  writeFileAtomic(join(out, "model.json"), JSON.stringify(modelJson, null, 1) + "\n");
  console.log(`simdnet: TensorFlow.js model written to ${join(out, "model.json")} and ${TFJS_WEIGHTS_FILE} (input: pixels / 255)`);
  return 0;
}
