// The .simdnet model file, version 1 (documented in README.md):
//   bytes 0..7    magic "SIMDNET\n"
//   bytes 8..11   uint32 LE: H, the byte length of the JSON header (space-padded so 12+H ≡ 0 mod 4)
//   bytes 12..    the JSON header (UTF-8): format version, layer sizes, activation, paramCount,
//                 CRC-32 of the weight bytes, training config and metrics
//   then          paramCount float32 LE: the flat parameter block, layer by layer (W (in,out) row-major, then b)
// Pure functions over bytes: Node and the browser share them.
import { SimdnetError } from "../errors.js";
import { HIDDEN_ACTIVATIONS, type Activation, type ModelSpec } from "./spec.js";
import { paramCount as countParams } from "./arena.js";

export const MODEL_MAGIC = "SIMDNET\n";
export const MODEL_FORMAT_VERSION = 1;

export interface ModelHeader {
  format: "simdnet-model";
  version: number;
  inputSize: number;
  hidden: number[];
  outputSize: number;
  activation: Activation;
  paramCount: number;
  /** CRC-32 (IEEE) of the weight bytes, 8 lowercase hex digits. */
  weightsCrc32: string;
  createdAt?: string;
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
}

export interface ModelFile {
  spec: ModelSpec;
  params: Float32Array;
  /** Non-trainable state (batch-norm running statistics). */
  state: Float32Array;
  header: ModelHeader;
}

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

function weightBytes(params: Float32Array): Uint8Array {
  const out = new Uint8Array(params.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < params.length; i++) dv.setFloat32(i * 4, params[i], true);
  return out;
}

export function encodeModel(spec: ModelSpec, params: Float32Array, extra: Pick<ModelHeader, "training" | "metrics" | "createdAt"> = {}, state: Float32Array = new Float32Array(0)): Uint8Array {
  void state; // version 2 stores it (in progress)
  const expected = countParams(spec);
  if (params.length !== expected) throw new RangeError(`model has ${expected} parameters, got ${params.length}`);
  for (let i = 0; i < params.length; i++)
    if (!Number.isFinite(params[i])) throw new SimdnetError(`refusing to save a model with a non-finite weight (${params[i]} at parameter ${i})`, { field: "weights" });
  const wb = weightBytes(params);
  const header: ModelHeader = {
    format: "simdnet-model",
    version: MODEL_FORMAT_VERSION,
    inputSize: spec.inputSize,
    hidden: spec.hidden,
    outputSize: spec.outputSize,
    activation: spec.activation,
    paramCount: params.length,
    weightsCrc32: crc32(wb).toString(16).padStart(8, "0"),
    ...extra,
  };
  return encodeFramed(MODEL_MAGIC, header, wb);
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

export function decodeModel(bytes: Uint8Array, file = "model"): ModelFile {
  const fail = (message: string, field: string, byteOffset?: number) => new SimdnetError(message, { file, field, byteOffset });
  if (bytes.length < 12) throw fail(`file too short to be a simdnet model (${bytes.length} bytes)`, "magic", 0);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== MODEL_MAGIC) throw fail(`not a simdnet model file (magic ${JSON.stringify(magic)}, expected ${JSON.stringify(MODEL_MAGIC)})`, "magic", 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const H = dv.getUint32(8, true);
  if (12 + H > bytes.length) throw fail(`header length ${H} runs past the end of the file (${bytes.length} bytes)`, "header", 8);
  let header: ModelHeader;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + H)));
  } catch (e) {
    throw fail(`header is not valid JSON: ${(e as Error).message}`, "header", 12);
  }
  if (typeof header !== "object" || header === null || header.format !== "simdnet-model") throw fail(`header "format" must be "simdnet-model"`, "format", 12);
  if (header.version !== MODEL_FORMAT_VERSION)
    throw fail(`unsupported model format version ${JSON.stringify(header.version)}; this simdnet reads version ${MODEL_FORMAT_VERSION}`, "version", 12);
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 1 << 24;
  if (!posInt(header.inputSize)) throw fail(`inputSize must be a positive integer, got ${JSON.stringify(header.inputSize)}`, "inputSize", 12);
  if (!posInt(header.outputSize)) throw fail(`outputSize must be a positive integer, got ${JSON.stringify(header.outputSize)}`, "outputSize", 12);
  if (!Array.isArray(header.hidden) || !header.hidden.every(posInt)) throw fail(`hidden must be an array of positive integers, got ${JSON.stringify(header.hidden)}`, "hidden", 12);
  if (!(HIDDEN_ACTIVATIONS as string[]).includes(header.activation)) throw fail(`unknown activation ${JSON.stringify(header.activation)}`, "activation", 12);
  const spec: ModelSpec = { inputSize: header.inputSize, hidden: header.hidden, outputSize: header.outputSize, activation: header.activation };
  const expected = countParams(spec);
  if (header.paramCount !== expected)
    throw fail(`paramCount ${header.paramCount} does not match the layer sizes ${[spec.inputSize, ...spec.hidden, spec.outputSize].join("-")} (${expected})`, "paramCount", 12);
  const wStart = 12 + H;
  const have = bytes.length - wStart;
  if (have !== expected * 4)
    throw fail(`${have < expected * 4 ? "truncated" : "oversized"} weights: expected ${expected * 4} bytes of float32, found ${have}`, "weights", bytes.length);
  const wb = bytes.subarray(wStart);
  const crc = crc32(wb).toString(16).padStart(8, "0");
  if (crc !== header.weightsCrc32) throw fail(`weights checksum mismatch (file says ${header.weightsCrc32}, weights hash to ${crc}): the file is corrupt`, "weightsCrc32", wStart);
  const params = new Float32Array(expected);
  for (let i = 0; i < expected; i++) {
    const v = dv.getFloat32(wStart + i * 4, true);
    if (!Number.isFinite(v)) throw fail(`non-finite weight ${v} at parameter ${i}`, "weights", wStart + i * 4);
    params[i] = v;
  }
  return { spec, params, state: new Float32Array(0), header };
}
