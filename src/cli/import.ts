// simdnet import: an ONNX model (PyTorch's torch.onnx.export, Keras exporters, simdnet's own export)
// as a .simdnet model file that predicts, evaluates, exports and fine-tunes like one trained here.
import { readFileSync } from "node:fs";
import { SimdnetError } from "../errors.js";
import { writeFileAtomic } from "../fsutil.js";
import { importOnnx, ONNX_IMPORT_OPSETS } from "../export/onnx-import.js";
import { encodeModel } from "../model/format.js";
import { formatSummary, modelSummary } from "../model/summary.js";
import { helpText, parseOptions, type OptionRow } from "./options.js";

export const IMPORT_OPTIONS: OptionRow[] = [
  { name: "out", type: "string", value: "FILE", help: "the .simdnet model file to write" },
  { name: "help", type: "boolean", help: "show this help" },
];

const USAGE = `Usage: simdnet import MODEL.onnx --out FILE

Reads an ONNX model whose graph is a chain of Gemm / MatMul+Add, Conv, MaxPool, AveragePool,
GlobalAveragePool, BatchNormalization, Relu, LeakyRelu (0.01), Tanh, Sigmoid, GELU (tanh form),
Flatten / Reshape, Dropout and a final Softmax (opsets ${ONNX_IMPORT_OPSETS.min}–${ONNX_IMPORT_OPSETS.max}), converts its layouts to simdnet's
(NCHW → channels last, OIHW → HWIO, transB) and writes a .simdnet model. Anything else is refused,
naming the operator or attribute. The model takes what the ONNX model took: pixels / 255 (simdnet
feeds uint8 pixels / 255), images channels last.`;

export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(IMPORT_OPTIONS, argv);
  if (values.help) {
    console.log(helpText(USAGE, IMPORT_OPTIONS));
    return 0;
  }
  if (positionals.length !== 1) throw new SimdnetError(positionals.length ? `expected one ONNX file, got ${positionals.length} arguments (see --help)` : "missing the ONNX file: simdnet import MODEL.onnx --out FILE");
  const file = positionals[0];
  const out = values.out as string | undefined;
  if (!out) throw new SimdnetError("missing --out FILE (the .simdnet model to write)");
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SimdnetError(code === "ENOENT" ? "no such ONNX file" : `cannot read ONNX file: ${(e as Error).message}`, { file });
  }
  const r = importOnnx(bytes, file);
  const extra = { createdAt: new Date().toISOString(), imported: { format: "onnx", producer: r.producer || null, opset: r.opset, output: r.output, notes: r.notes } };
  writeFileAtomic(out, encodeModel(r.spec, r.params, extra, r.state));
  console.log(formatSummary(modelSummary(r.spec)));
  for (const n of r.notes) console.log(`note: ${n}`);
  console.log(`simdnet: imported ${file} (${r.producer || "unknown producer"}, opset ${r.opset}${r.output === "logits" ? ", logits output: simdnet adds its softmax" : ""}) → ${out}`);
  return 0;
}
