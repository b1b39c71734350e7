// simdnet info: what a model file says about itself (header fields, training config, metrics) and a
// Keras-style summary of its layers (output shapes, parameter counts).
import { shapeText } from "../layers/index.js";
import { layerSizes, type ModelSpec } from "../model/spec.js";
import { formatSummary, modelSummary } from "../model/summary.js";
import { readModelFile } from "./model-data.js";
import { parseCommand, type OptionRow } from "./options.js";

export const INFO_OPTIONS: OptionRow[] = [
  { name: "model", type: "string", value: "FILE", help: "a .simdnet model file" },
  { name: "json", type: "boolean", help: "print the header and the layer summary as one JSON object" },
  { name: "help", type: "boolean", help: "show this help" },
];

function describe(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (Array.isArray(v)) return v.map(describe).join(",");
  if (typeof v === "object") return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${describe(x)}`).join(" ");
  return String(v);
}

const isMlp = (spec: ModelSpec) => !spec.layers && !spec.inputShape;

/** "784-128-10" for an MLP; "28×28×1 → conv 32 3 act=relu → maxpool 2 → dense 10" for any other stack. */
function stackText(spec: ModelSpec, rows: { name: string }[]): string {
  return isMlp(spec) ? layerSizes(spec).join("-") : [shapeText(spec.inputShape ?? [spec.inputSize]), ...rows.map((r) => r.name)].join(" → ");
}

/** Header fields printed in their own lines (or left out: the summary shows them). */
const SHOWN = new Set(["format", "version", "input", "layers", "inputSize", "hidden", "outputSize", "activation", "paramCount", "stateCount", "weightsCrc32", "createdAt", "training", "metrics"]);

export async function infoCommand(argv: string[]): Promise<number> {
  const values = parseCommand(INFO_OPTIONS, argv, "Usage: simdnet info --model FILE [--json]\n\nPrints a model's header and a summary of its layers (output shape and parameters of each).");
  if (values === null) return 0;
  const { spec, header } = readModelFile(values.model as string | undefined);
  const summary = modelSummary(spec);
  if (values.json) {
    // the header as stored, the sizes as v1 headers gave them (MLPs), and the summary
    const sizes = isMlp(spec) ? { inputSize: spec.inputSize, hidden: spec.hidden } : { inputSize: spec.inputSize };
    console.log(JSON.stringify({ ...header, ...sizes, summary }));
    return 0;
  }
  const lines = [
    `model      ${values.model}`,
    `format     ${header.format} v${header.version}`,
    `layers     ${stackText(spec, summary.rows.map((r) => ({ name: r.name })))}`,
    `activation ${spec.activation} (hidden), ${spec.task === "regression" ? "linear (output, mean squared error)" : "softmax (output)"}`,
    `params     ${header.paramCount.toLocaleString("en-US")}${summary.nonTrainable ? ` trainable + ${summary.nonTrainable.toLocaleString("en-US")} non-trainable` : ""}`,
    `created    ${header.createdAt ?? "-"}`,
  ];
  for (const [k, v] of Object.entries(header)) if (!SHOWN.has(k)) lines.push(`${k.padEnd(10)} ${describe(v)}`);
  if (header.training) {
    lines.push("training");
    for (const [k, v] of Object.entries(header.training)) lines.push(`  ${k.padEnd(14)}${describe(v)}`);
  }
  if (header.metrics) {
    lines.push("metrics");
    for (const [k, v] of Object.entries(header.metrics)) lines.push(`  ${k.padEnd(14)}${describe(v)}`);
  }
  lines.push("", formatSummary(summary));
  console.log(lines.join("\n"));
  return 0;
}
