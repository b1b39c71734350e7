// simdnet export: a .simdnet model as a TensorFlow.js Layers model (model.json + weights.bin).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { SimdnetError } from "../errors.js";
import { writeFileAtomic } from "../fsutil.js";
import { TFJS_WEIGHTS_FILE, toTfjsLayers } from "../export/tfjs.js";
import { readModelFile } from "./model-data.js";
import { helpText, parseOptions, type OptionRow } from "./options.js";

export const EXPORT_OPTIONS: OptionRow[] = [
  { name: "model", type: "string", value: "FILE", help: "a .simdnet model file" },
  { name: "out", type: "string", value: "DIR", help: "folder for model.json and weights.bin (created if missing)" },
  { name: "help", type: "boolean", help: "show this help" },
];

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(EXPORT_OPTIONS, argv);
  if (values.help) {
    console.log(
      helpText(
        "Usage: simdnet export --model FILE --out DIR\n\nWrites a TensorFlow.js Layers model (tf.loadLayersModel). It takes float pixels in [0, 1]: pass pixels / 255.",
        EXPORT_OPTIONS,
      ),
    );
    return 0;
  }
  if (positionals.length) throw new SimdnetError(`unexpected argument "${positionals[0]}" (see --help)`);
  const out = values.out as string | undefined;
  if (!out) throw new SimdnetError("missing --out DIR");
  const modelPath = values.model as string | undefined;
  const { spec, params } = readModelFile(modelPath);
  let exported: ReturnType<typeof toTfjsLayers>;
  try {
    exported = toTfjsLayers(spec, params);
  } catch (e) {
    if (e instanceof SimdnetError) throw new SimdnetError(e.message.replace(/^field activation: /, ""), { file: modelPath, field: "activation" });
    throw e;
  }
  const { modelJson, weights } = exported;
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
