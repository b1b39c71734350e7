// The .simdnet model file (documented in README.md). Version 2, written:
//   bytes 0..7    magic "SIMDNET\n"
//   bytes 8..11   uint32 LE: H, the byte length of the JSON header (space-padded so 12+H ≡ 0 mod 4)
//   bytes 12..    the JSON header (UTF-8): format, version 2, the input shape, the hidden layer stack
//                 (every default filled in), outputSize, activation, paramCount, stateCount, CRC-32 of
//                 the float payload, training config and metrics (and any other fields, kept as they are)
//   then          paramCount float32 LE: the flat parameter block, layer by layer in stack order, each
//                 layer's blocks in order (dense: W (in,out) row-major, b; conv2d: W (K,K,C,F), b;
//                 batch norm: gamma, beta)
//   then          stateCount float32 LE: the non-trainable state (per batch-norm layer: runMean, runVar)
// Version 1 (still read): the header has inputSize and hidden widths instead of input/layers/stateCount,
// the payload is the parameters alone, weightsCrc32 covers them.
// Pure functions over bytes: Node and the browser share them.
import { SimdnetError } from "../errors.js";
import { checkConfig, fullStack, inputShapeOf, LAYER_KINDS, type LayerConfig } from "../layers/index.js";
import { ACTIVATION_CODES, HIDDEN_ACTIVATIONS, type Activation, type ModelSpec } from "./spec.js";
import { computeLayout, paramCount as countParams, type ArenaLayout } from "./arena.js";
import { readMetaHeader } from "../data/meta-header.js";
import type { DataMeta } from "../data/table.js";

export const MODEL_MAGIC = "SIMDNET\n";
export const MODEL_FORMAT_VERSION = 2;
/** Versions decodeModel reads. */
export const MODEL_FORMAT_VERSIONS = [1, 2];

export interface ModelHeader {
  format: "simdnet-model";
  version: number;
  /** v2: the input shape, [H, W, C] (channels last) or [inputSize]. */
  input?: number[];
  /** v2: the hidden stack, defaults filled in (the output dense layer is not listed). */
  layers?: LayerConfig[];
  /** v1: input values per sample. */
  inputSize?: number;
  /** v1: hidden dense widths. */
  hidden?: number[];
  outputSize: number;
  activation: Activation;
  paramCount: number;
  /** v2: non-trainable state floats after the parameters (batch-norm running statistics). */
  stateCount?: number;
  /** CRC-32 (IEEE) of the float payload (v1: the weights; v2: weights then state), 8 lowercase hex digits. */
  weightsCrc32: string;
  createdAt?: string;
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  /** Fields this version does not know are kept as they are. */
  [field: string]: unknown;
}

/** Optional header fields a writer may add (training, metrics, createdAt, and any further ones). */
export type ModelExtra = Pick<ModelHeader, "training" | "metrics" | "createdAt"> & Record<string, unknown>;

export interface ModelFile {
  spec: ModelSpec;
  params: Float32Array;
  /** Non-trainable state (stateCount floats; empty for v1 files and models without batch norm). */
  state: Float32Array;
  header: ModelHeader;
  /** The data description (task, class names, normalisation, targets) of a model trained on a table; absent for digit models. */
  meta?: DataMeta;
}

/** Header fields the encoder computes; `extra` cannot override them. */
const RESERVED = new Set(["format", "version", "input", "layers", "inputSize", "hidden", "outputSize", "activation", "paramCount", "stateCount", "weightsCrc32"]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const hex8 = (v: number) => v.toString(16).padStart(8, "0");

/** float32 LE bytes of the blocks, one after the other. */
export function floatBytes(...blocks: ArrayLike<number>[]): Uint8Array {
  const n = blocks.reduce((s, b) => s + b.length, 0);
  const out = new Uint8Array(n * 4);
  const dv = new DataView(out.buffer);
  let at = 0;
  for (const b of blocks) for (let i = 0; i < b.length; i++, at += 4) dv.setFloat32(at, b[i], true);
  return out;
}

/** The architecture part of a v2 header (model files and checkpoints): input, hidden stack, output. */
export interface ArchitectureHeader {
  input: number[];
  layers: LayerConfig[];
  outputSize: number;
  activation: Activation;
  paramCount: number;
  stateCount: number;
}

export function architectureHeader(spec: ModelSpec): ArchitectureHeader {
  const layout = computeLayout(spec, 1);
  return {
    input: [...inputShapeOf(spec)],
    layers: fullStack(spec).slice(0, -1),
    outputSize: spec.outputSize,
    activation: spec.activation,
    paramCount: layout.paramCount,
    stateCount: layout.stateCount,
  };
}

function checkFinite(values: Float32Array, what: string): void {
  for (let i = 0; i < values.length; i++)
    if (!Number.isFinite(values[i])) throw new SimdnetError(`refusing to save a model with a non-finite ${what} (${values[i]} at ${what === "weight" ? "parameter" : "state value"} ${i})`, { field: what === "weight" ? "weights" : "state" });
}

export function encodeModel(spec: ModelSpec, params: Float32Array, extra: ModelExtra = {}, state: Float32Array = new Float32Array(0)): Uint8Array {
  const arch = architectureHeader(spec);
  if (params.length !== arch.paramCount) throw new RangeError(`model has ${arch.paramCount} parameters, got ${params.length}`);
  if (state.length !== arch.stateCount) throw new RangeError(`model has ${arch.stateCount} state values, got ${state.length}`);
  checkFinite(params, "weight");
  checkFinite(state, "state");
  const payload = floatBytes(params, state);
  const header: ModelHeader = { format: "simdnet-model", version: MODEL_FORMAT_VERSION, ...arch, weightsCrc32: hex8(crc32(payload)) };
  for (const [k, v] of Object.entries(extra)) if (!RESERVED.has(k) && v !== undefined) header[k] = v;
  return encodeFramed(MODEL_MAGIC, header, payload);
}

/**
 * The framing shared by model files and checkpoints: 8 bytes of magic, a uint32 LE header length H,
 * H bytes of JSON space-padded so the payload starts 4-byte aligned, then the payload.
 */
export function encodeFramed(magic: string, header: object, payload: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const H = Math.ceil((12 + json.length) / 4) * 4 - 12;
  const out = new Uint8Array(12 + H + payload.length);
  out.set(new TextEncoder().encode(magic), 0);
  new DataView(out.buffer).setUint32(8, H, true);
  out.fill(32, 12, 12 + H);
  out.set(json, 12);
  out.set(payload, 12 + H);
  return out;
}

export type Fail = (message: string, field: string, byteOffset: number) => SimdnetError;

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 1 << 24;
const ACTIVATIONS = Object.keys(ACTIVATION_CODES);
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** One stored layer config, rebuilt from the fields its type knows (others are ignored) and checked. */
function readLayer(raw: unknown, i: number, fail: Fail): LayerConfig {
  const field = `layers[${i}]`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw fail(`layer ${i + 1} must be an object, got ${JSON.stringify(raw)}`, field, 12);
  const r = raw as Record<string, unknown>;
  if (typeof r.type !== "string" || !own(LAYER_KINDS, r.type))
    throw fail(`layer ${i + 1}: unknown layer type ${JSON.stringify(r.type)}; expected one of ${Object.keys(LAYER_KINDS).join(", ")}`, `${field}.type`, 12);
  const act = (key = "activation") => {
    if (!(typeof r[key] === "string" && ACTIVATIONS.includes(r[key] as string)))
      throw fail(`layer ${i + 1} (${r.type}): activation must be one of ${ACTIVATIONS.join(", ")}, got ${JSON.stringify(r[key])}`, `${field}.activation`, 12);
    return r[key] as Activation;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const n = (key: string) => r[key] as any;
  let c: LayerConfig;
  switch (r.type) {
    case "dense":
      c = { type: "dense", units: n("units"), activation: act() };
      break;
    case "conv2d":
      c = { type: "conv2d", filters: n("filters"), kernelSize: n("kernelSize"), strides: n("strides"), padding: n("padding"), activation: act() };
      break;
    case "maxPooling2d":
    case "averagePooling2d":
      c = { type: r.type, poolSize: n("poolSize"), strides: n("strides") };
      break;
    case "batchNormalization":
      c = { type: "batchNormalization", activation: act() };
      break;
    case "dropout":
      c = { type: "dropout", rate: n("rate") };
      break;
    default:
      c = { type: r.type } as LayerConfig;
  }
  try {
    return checkConfig(c);
  } catch (e) {
    if (e instanceof SimdnetError) throw fail(`layer ${i + 1}: ${e.message}`, field, 12);
    throw e;
  }
}

/**
 * Reads and checks the architecture of a v2 header (model file or checkpoint). An MLP (a flat input
 * and only dense layers with the model's activation) reads back as `hidden` widths, as v1 files and
 * --hidden give it; any other stack as `inputShape` and `layers`.
 */
export function readArchitecture(h: Record<string, unknown>, fail: Fail): { spec: ModelSpec; layout: ArenaLayout } {
  const input = h.input;
  if (!Array.isArray(input) || (input.length !== 1 && input.length !== 3) || !input.every(posInt) || input.reduce((a: number, b: number) => a * b, 1) > 1 << 24)
    throw fail(`input must be [size] or [height, width, channels] of positive integers (at most 2^24 values), got ${JSON.stringify(input)}`, "input", 12);
  if (!posInt(h.outputSize)) throw fail(`outputSize must be a positive integer, got ${JSON.stringify(h.outputSize)}`, "outputSize", 12);
  if (!(HIDDEN_ACTIVATIONS as string[]).includes(h.activation as string)) throw fail(`unknown activation ${JSON.stringify(h.activation)}`, "activation", 12);
  const activation = h.activation as Activation;
  if (!Array.isArray(h.layers) || h.layers.length > 4096) throw fail(`layers must be an array of layer configs, got ${JSON.stringify(h.layers)?.slice(0, 80)}`, "layers", 12);
  const layers = h.layers.map((raw, i) => readLayer(raw, i, fail));
  const inputSize = (input as number[]).reduce((a, b) => a * b, 1);
  const mlp = input.length === 1 && layers.every((c) => c.type === "dense" && c.activation === activation);
  const spec: ModelSpec = mlp
    ? { inputSize, hidden: layers.map((c) => (c as { units: number }).units), outputSize: h.outputSize as number, activation }
    : { inputSize, ...(input.length === 3 ? { inputShape: input as number[] } : {}), hidden: [], layers, outputSize: h.outputSize as number, activation };
  let layout: ArenaLayout;
  try {
    layout = computeLayout(spec, 1);
  } catch (e) {
    if (e instanceof SimdnetError) throw fail(`impossible layer stack: ${e.message}`, "layers", 12);
    throw e;
  }
  if (h.paramCount !== layout.paramCount) throw fail(`paramCount ${JSON.stringify(h.paramCount)} does not match the layers (${layout.paramCount})`, "paramCount", 12);
  if (h.stateCount !== layout.stateCount) throw fail(`stateCount ${JSON.stringify(h.stateCount)} does not match the layers (${layout.stateCount})`, "stateCount", 12);
  return { spec, layout };
}

/** Reads `count` finite float32 LE at `at`; variances (batch-norm runVar) must also be ≥ 0. */
export function readFloats(dv: DataView, at: number, count: number, field: string, fail: Fail, nonFinite: (v: number, i: number) => string, nonNegative?: (i: number) => boolean): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = dv.getFloat32(at + i * 4, true);
    if (!Number.isFinite(v)) throw fail(nonFinite(v, i), field, at + i * 4);
    if (v < 0 && nonNegative?.(i)) throw fail(`negative running variance ${v} at state index ${i}`, field, at + i * 4);
    out[i] = v;
  }
  return out;
}

/** Which state indices hold variances (must be ≥ 0). */
export function varianceMask(layout: ArenaLayout): (i: number) => boolean {
  const mask = new Uint8Array(layout.stateCount);
  for (const L of layout.layers)
    for (const bl of L.kind.state(L.config, L.input.shape, L.output.shape))
      if (bl.name === "runVar") mask.fill(1, L.state[bl.name] - layout.state, L.state[bl.name] - layout.state + bl.size);
  return (i) => mask[i] === 1;
}

export interface Framed {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  header: any;
  /** Byte offset of the payload. */
  payload: number;
  dv: DataView;
}

/** Reads the magic, header length and JSON header shared by model files and checkpoints. */
export function decodeFramed(bytes: Uint8Array, magic: string, what: string, fail: Fail, wrongMagicHint: (m: string) => string = () => ""): Framed {
  if (bytes.length < 12) throw fail(`file too short to be a simdnet ${what} (${bytes.length} bytes)`, "magic", 0);
  const m = new TextDecoder().decode(bytes.subarray(0, 8));
  if (m !== magic) throw fail(`not a simdnet ${what}${what === "model" ? " file" : ""} (magic ${JSON.stringify(m)}, expected ${JSON.stringify(magic)})${wrongMagicHint(m)}`, "magic", 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const H = dv.getUint32(8, true);
  if (12 + H > bytes.length) throw fail(`header length ${H} runs past the end of the file (${bytes.length} bytes)`, "header", 8);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + H)));
  } catch (e) {
    throw fail(`header is not valid JSON: ${(e as Error).message}`, "header", 12);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw fail(`header must be a JSON object`, "header", 12);
  return { header, payload: 12 + H, dv };
}

export function decodeModel(bytes: Uint8Array, file = "model"): ModelFile {
  const fail: Fail = (message, field, byteOffset) => new SimdnetError(message, { file, field, byteOffset });
  const { header, payload: wStart, dv } = decodeFramed(bytes, MODEL_MAGIC, "model", fail, (m) => (m === "SIMDCKPT" ? ": this is a training checkpoint (use it with simdnet train --resume)" : ""));
  if (header.format !== "simdnet-model") throw fail(`header "format" must be "simdnet-model"`, "format", 12);
  if (!MODEL_FORMAT_VERSIONS.includes(header.version))
    throw fail(`unsupported model format version ${JSON.stringify(header.version)}; this simdnet reads versions ${MODEL_FORMAT_VERSIONS.join(" and ")}`, "version", 12);
  let spec: ModelSpec;
  let P: number;
  let S = 0;
  let isVariance: ((i: number) => boolean) | undefined;
  if (header.version === 1) {
    if (!posInt(header.inputSize)) throw fail(`inputSize must be a positive integer, got ${JSON.stringify(header.inputSize)}`, "inputSize", 12);
    if (!posInt(header.outputSize)) throw fail(`outputSize must be a positive integer, got ${JSON.stringify(header.outputSize)}`, "outputSize", 12);
    if (!Array.isArray(header.hidden) || !header.hidden.every(posInt)) throw fail(`hidden must be an array of positive integers, got ${JSON.stringify(header.hidden)}`, "hidden", 12);
    if (!(HIDDEN_ACTIVATIONS as string[]).includes(header.activation)) throw fail(`unknown activation ${JSON.stringify(header.activation)}`, "activation", 12);
    spec = { inputSize: header.inputSize, hidden: header.hidden, outputSize: header.outputSize, activation: header.activation };
    P = countParams(spec);
    if (header.paramCount !== P)
      throw fail(`paramCount ${header.paramCount} does not match the layer sizes ${[spec.inputSize, ...spec.hidden, spec.outputSize].join("-")} (${P})`, "paramCount", 12);
  } else {
    const arch = readArchitecture(header, fail);
    spec = arch.spec;
    P = arch.layout.paramCount;
    S = arch.layout.stateCount;
    isVariance = varianceMask(arch.layout);
  }
  const have = bytes.length - wStart;
  if (have < P * 4) throw fail(`truncated weights: expected ${P * 4} bytes of float32${S ? ` (then ${S * 4} of state)` : ""}, found ${have}`, "weights", bytes.length);
  if (have < (P + S) * 4) throw fail(`truncated state: expected ${S * 4} bytes of float32 (${S} batch-norm running statistics) after the weights, found ${have - P * 4}`, "state", bytes.length);
  if (have > (P + S) * 4) throw fail(`oversized payload: expected ${(P + S) * 4} bytes of float32 (${P} weights${S ? ` + ${S} state` : ""}), found ${have}`, S ? "state" : "weights", wStart + (P + S) * 4);
  const crc = hex8(crc32(bytes.subarray(wStart)));
  if (crc !== header.weightsCrc32) throw fail(`weights checksum mismatch (file says ${JSON.stringify(header.weightsCrc32)}, the payload hashes to ${crc}): the file is corrupt`, "weightsCrc32", wStart);
  const params = readFloats(dv, wStart, P, "weights", fail, (v, i) => `non-finite weight ${v} at parameter ${i}`);
  const state = readFloats(dv, wStart + P * 4, S, "state", fail, (v, i) => `non-finite state value ${v} at state index ${i}`, isVariance);
  const meta = readMetaHeader(header, spec, fail); // a table model: sets spec.task and spec.inputKind
  return { spec, params, state, header: header as ModelHeader, meta };
}
