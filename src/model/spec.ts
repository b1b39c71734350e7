// The model description: a stack of layers from the input to class logits. An MLP can be given
// by its hidden widths alone (`hidden`); any other stack by `layers` (src/layers/).
import { SimdnetError } from "../errors.js";
import type { LayerConfig } from "../layers/layer.js";

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
  /** Input values per sample (784 for MNIST); the product of inputShape when that is given. */
  inputSize: number;
  /** [H, W, C] of image inputs (channels last); absent: a flat vector of inputSize. */
  inputShape?: number[];
  /** Hidden dense widths, first to last, when `layers` is absent; may be empty (softmax regression). */
  hidden: number[];
  /** The hidden stack (the output dense layer is added after it); when given, `hidden` is []. */
  layers?: LayerConfig[];
  /** Number of classes. */
  outputSize: number;
  /** Activation of every hidden layer. */
  activation: Activation;
  /** "u8" (absent): raw 0..255 pixels, scaled by 1/255 inside the first layer; "f32": float features (tabular data, normalised before loading). */
  inputKind?: InputKind;
  /** "classification" (absent): softmax cross-entropy over outputSize classes; "regression": outputSize linear outputs, mean squared error. */
  task?: Task;
}

export type InputKind = "u8" | "f32";
export type Task = "classification" | "regression";
export const isRegression = (spec: ModelSpec) => spec.task === "regression";
export const hasFloatInput = (spec: ModelSpec) => spec.inputKind === "f32";

/** Widths of an MLP's layers, input to output (dense-only models). */
export function layerSizes(spec: ModelSpec): number[] {
  return [spec.inputSize, ...spec.hidden, spec.outputSize];
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
