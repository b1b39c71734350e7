// simdnet info: what a model file says about itself (layers, params, training config, metrics).
import { layerSizes } from "../model/spec.js";
import { readModelFile } from "./model-data.js";
import { parseCommand, type OptionRow } from "./options.js";

export const INFO_OPTIONS: OptionRow[] = [
  { name: "model", type: "string", value: "FILE", help: "a .simdnet model file" },
  { name: "json", type: "boolean", help: "print the header as one JSON object" },
  { name: "help", type: "boolean", help: "show this help" },
];

function describe(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === "object") return Object.entries(v as Record<string, unknown>).map(([k, x]) => `${k}=${describe(x)}`).join(" ");
  return String(v);
}

export async function infoCommand(argv: string[]): Promise<number> {
  const values = parseCommand(INFO_OPTIONS, argv, "Usage: simdnet info --model FILE [--json]\n\nPrints a model's header.");
  if (values === null) return 0;
  const { spec, header } = readModelFile(values.model as string | undefined);
  if (values.json) {
    console.log(JSON.stringify(header));
    return 0;
  }
  const lines = [
    `model      ${values.model}`,
    `format     ${header.format} v${header.version}`,
    `layers     ${layerSizes(spec).join("-")}`,
    `activation ${spec.activation} (hidden), softmax (output)`,
    `params     ${header.paramCount.toLocaleString("en-US")}`,
    `created    ${header.createdAt ?? "-"}`,
  ];
  if (header.training) {
    lines.push("training");
    for (const [k, v] of Object.entries(header.training)) lines.push(`  ${k.padEnd(14)}${describe(v)}`);
  }
  if (header.metrics) {
    lines.push("metrics");
    for (const [k, v] of Object.entries(header.metrics)) lines.push(`  ${k.padEnd(14)}${describe(v)}`);
  }
  console.log(lines.join("\n"));
  return 0;
}
