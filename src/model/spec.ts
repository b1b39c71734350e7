// The model description: an MLP from input pixels through hidden layers to class logits.
import { SimdnetError } from "../errors.js";

/** Activation codes, shared with assembly/activations.ts (part of the wasm ABI). */
export const ACTIVATION_CODES = {
  none: 0,
  relu: 1,
  "leaky-relu": 2,
  tanh: 3,
  sigmoid: 4,
  gelu: 5,
} as const;
export type Activation = keyof typeof ACTIVATION_CODES;
export const HIDDEN_ACTIVATIONS = Object.keys(ACTIVATION_CODES).filter((a) => a !== "none") as Activation[];

export interface ModelSpec {
  /** Pixels per sample (784 for MNIST). */
  inputSize: number;
  /** Hidden layer widths, first to last; may be empty (softmax regression). */
  hidden: number[];
  /** Number of classes. */
  outputSize: number;
  /** Activation of every hidden layer. */
  activation: Activation;
}

export function layerSizes(spec: ModelSpec): number[] {
  return [spec.inputSize, ...spec.hidden, spec.outputSize];
}

/** Parameter count: Σ (in·out + out) over layers. */
export function paramCount(spec: ModelSpec): number {
  const s = layerSizes(spec);
  let n = 0;
  for (let l = 0; l + 1 < s.length; l++) n += s[l] * s[l + 1] + s[l + 1];
  return n;
}

/** Parses "--hidden 256,128" (or "" / "none" for no hidden layer). */
export function parseHidden(text: string, field = "--hidden"): number[] {
  const t = text.trim();
  if (t === "" || t === "none") return [];
  return t.split(",").map((part) => {
    const v = Number(part.trim());
    if (!Number.isInteger(v) || v < 1 || v > 65536)
      throw new SimdnetError(`expected comma-separated layer widths (integers 1..65536), got "${text}"`, { field });
    return v;
  });
}

export function checkActivation(name: string, field = "--activation"): Activation {
  if (!(HIDDEN_ACTIVATIONS as string[]).includes(name))
    throw new SimdnetError(`unknown activation "${name}"; expected one of ${HIDDEN_ACTIVATIONS.join(", ")}`, { field });
  return name as Activation;
}
