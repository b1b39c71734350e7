// The layer kinds by name, and the full stack of a model: its hidden layers (or the MLP's
// `hidden` widths) with defaults filled in, then the output dense layer (one unit per class).
import { SimdnetError } from "../errors.js";
import { ACTIVATION_CODES, type Activation, type ModelSpec } from "../model/spec.js";
import { batchNormalization } from "./batchnorm.js";
import { conv2d } from "./conv2d.js";
import { dense } from "./dense.js";
import { dropout } from "./dropout.js";
import { flatten } from "./flatten.js";
import type { LayerConfig, LayerKind, LayerType, Shape } from "./layer.js";
import { averagePooling2d, globalAveragePooling2d, maxPooling2d } from "./pool.js";

export * from "./layer.js";
export { convGeometry, convAxis } from "./conv2d.js";
export { poolGeometry } from "./pool.js";
export { BN_EPSILON, BN_MOMENTUM } from "./batchnorm.js";

export const LAYER_KINDS: Record<LayerType, LayerKind> = {
  dense,
  conv2d,
  maxPooling2d,
  averagePooling2d,
  globalAveragePooling2d,
  batchNormalization,
  dropout,
  flatten,
};

/** A layer in the CLI's --layers grammar ("conv 32 3 stride=2 padding=same act=relu"). */
export function layerName(c: LayerConfig): string {
  const act = (a: Activation | undefined) => (a && a !== "none" ? ` act=${a}` : "");
  switch (c.type) {
    case "dense":
      return `dense ${c.units}${act(c.activation)}`;
    case "conv2d":
      return `conv ${c.filters} ${c.kernelSize}${(c.strides ?? 1) !== 1 ? ` stride=${c.strides}` : ""}${c.padding === "same" ? " padding=same" : ""}${act(c.activation)}`;
    case "maxPooling2d":
    case "averagePooling2d":
      return `${c.type === "maxPooling2d" ? "maxpool" : "avgpool"} ${c.poolSize}${c.strides !== undefined && c.strides !== c.poolSize ? ` stride=${c.strides}` : ""}`;
    case "globalAveragePooling2d":
      return "gap";
    case "batchNormalization":
      return `batchnorm${act(c.activation)}`;
    case "dropout":
      return `dropout ${c.rate}`;
    case "flatten":
      return "flatten";
  }
}

/** The model's input shape: [H, W, C] when given, else flat [inputSize]. */
export function inputShapeOf(spec: ModelSpec): Shape {
  return spec.inputShape ?? [spec.inputSize];
}

/**
 * Every layer of the model, defaults filled in: spec.layers (or dense layers of spec.hidden,
 * each followed by dropout `dropoutRate` when > 0), then the output dense layer without
 * activation (its logits feed the softmax).
 */
export function fullStack(spec: ModelSpec, dropoutRate = 0): LayerConfig[] {
  const act = spec.activation;
  const hidden: LayerConfig[] = spec.layers
    ? spec.layers.map((c) => checkConfig(withDefaults(c, act)))
    : spec.hidden.map((units) => ({ type: "dense", units, activation: act }) as LayerConfig);
  const out: LayerConfig[] = [];
  for (const c of hidden) {
    out.push(c);
    if (dropoutRate > 0 && c.type === "dense") out.push({ type: "dropout", rate: dropoutRate });
  }
  out.push({ type: "dense", units: spec.outputSize, activation: "none" });
  return out;
}

function withDefaults(c: LayerConfig, act: Activation): LayerConfig {
  switch (c.type) {
    case "dense":
      return { type: "dense", units: c.units, activation: c.activation ?? act };
    case "conv2d":
      return { type: "conv2d", filters: c.filters, kernelSize: c.kernelSize, strides: c.strides ?? 1, padding: c.padding ?? "valid", activation: c.activation ?? act };
    case "maxPooling2d":
    case "averagePooling2d":
      return { type: c.type, poolSize: c.poolSize, strides: c.strides ?? c.poolSize };
    case "batchNormalization":
      return { type: "batchNormalization", activation: c.activation ?? "none" };
    case "dropout":
      return { type: "dropout", rate: c.rate };
    default:
      return { type: c.type } as LayerConfig;
  }
}

const posInt = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/** Checks one config's own numbers (shapes are checked against the input by each kind). */
export function checkConfig(c: LayerConfig): LayerConfig {
  const bad = (what: string) => {
    throw new SimdnetError(`layer "${layerName(c)}": ${what}`);
  };
  if (typeof c !== "object" || c === null || !Object.hasOwn(LAYER_KINDS, (c as { type: unknown }).type as string))
    throw new SimdnetError(`unknown layer type ${JSON.stringify((c as { type?: unknown } | null)?.type)}; expected one of ${Object.keys(LAYER_KINDS).join(", ")}`);
  const act = (c as { activation?: unknown }).activation;
  if (act !== undefined && !Object.hasOwn(ACTIVATION_CODES, act as string)) bad(`unknown activation ${JSON.stringify(act)}; expected one of ${Object.keys(ACTIVATION_CODES).join(", ")}`);
  switch (c.type) {
    case "dense":
      if (!posInt(c.units, 1, 1 << 24)) bad(`units must be a positive integer, got ${c.units}`);
      break;
    case "conv2d":
      if (!posInt(c.filters, 1, 1 << 16)) bad(`filters must be a positive integer, got ${c.filters}`);
      if (!posInt(c.kernelSize, 1, 7)) bad(`kernelSize must be an integer 1–7, got ${c.kernelSize}`);
      if (!posInt(c.strides, 1, 7)) bad(`strides must be an integer 1–7, got ${c.strides}`);
      if (c.padding !== "valid" && c.padding !== "same") bad(`padding must be valid or same, got ${c.padding}`);
      break;
    case "maxPooling2d":
    case "averagePooling2d":
      if (!posInt(c.poolSize, 1, 64)) bad(`poolSize must be a positive integer, got ${c.poolSize}`);
      if (!posInt(c.strides, 1, 64)) bad(`strides must be a positive integer, got ${c.strides}`);
      break;
    case "dropout":
      if (!(typeof c.rate === "number" && c.rate >= 0 && c.rate < 1)) bad(`rate must be in [0, 1), got ${c.rate}`);
      break;
  }
  return c;
}
