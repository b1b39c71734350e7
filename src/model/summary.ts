// A Keras-style model summary: every layer of the stack (the output dense included) with its output
// shape and parameter count. Counts follow Keras: a batch-norm layer's running mean and variance are
// non-trainable parameters, counted in its row and in the total.
import { layerName, shapeText } from "../layers/index.js";
import { computeLayout } from "./arena.js";
import type { ModelSpec } from "./spec.js";

export interface SummaryRow {
  /** The layer as the --layers grammar writes it ("conv 32 3 act=relu"). */
  name: string;
  /** The layer kind ("conv2d", "maxPooling2d", …). */
  type: string;
  /** Per-sample output shape: [H, W, C] or [D]. */
  outputShape: number[];
  /** Trainable and non-trainable parameters of this layer. */
  params: number;
}

export interface ModelSummary {
  /** Per-sample input shape. */
  inputShape: number[];
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainable: number;
}

export function modelSummary(spec: ModelSpec): ModelSummary {
  const layout = computeLayout(spec, 1);
  const rows = layout.layers.map((L) => {
    const stateSize = L.kind.state(L.config, L.input.shape, L.output.shape).reduce((s, b) => s + b.size, 0);
    return { name: layerName(L.config), type: L.type, outputShape: [...L.output.shape], params: L.paramCount + stateSize };
  });
  return {
    inputShape: [...(layout.layers[0]?.input.shape ?? [spec.inputSize])],
    rows,
    totalParams: layout.paramCount + layout.stateCount,
    trainableParams: layout.paramCount,
    nonTrainable: layout.stateCount,
  };
}

/** "(None, 13, 13, 32)": a batch shape as Keras prints it. */
export function kerasShape(shape: readonly number[]): string {
  return `(None, ${shape.join(", ")})`;
}

const count = (n: number) => n.toLocaleString("en-US");

/** float32 bytes as Keras prints them ("136.04 KB"; 1 KB = 1024 bytes). */
function bytesText(params: number): string {
  const b = params * 4;
  if (b < 1024) return `${b} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(2)} KB`;
  return `${(b / 1024 ** 2).toFixed(2)} MB`;
}

/** The summary as a Keras-style text table. */
export function formatSummary(s: ModelSummary): string {
  const cells = s.rows.map((r) => [`${r.name} (${r.type})`, kerasShape(r.outputShape), count(r.params)]);
  const head = ["Layer (type)", "Output Shape", "Param #"];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `${c[0].padEnd(w[0])}   ${c[1].padEnd(w[1])}   ${c[2].padStart(w[2])}`.trimEnd();
  const width = w[0] + w[1] + w[2] + 6;
  return [
    `Input: ${kerasShape(s.inputShape)}  (${shapeText(s.inputShape)} per sample)`,
    "━".repeat(width),
    line(head),
    "━".repeat(width),
    ...cells.map(line),
    "━".repeat(width),
    `Total params: ${count(s.totalParams)} (${bytesText(s.totalParams)})`,
    `Trainable params: ${count(s.trainableParams)} (${bytesText(s.trainableParams)})`,
    `Non-trainable params: ${count(s.nonTrainable)} (${bytesText(s.nonTrainable)})`,
  ].join("\n");
}
