// Helpers for the model/checkpoint format tests: version-1 files as the v1 encoder wrote them (its
// header layout, kept here so v1 reading stays tested after the encoder moved to v2), and a small CNN.
import { crc32, encodeFramed, floatBytes, MODEL_MAGIC } from "../src/model/format.js";
import { CHECKPOINT_MAGIC, type Checkpoint } from "../src/train/checkpoint.js";
import { paramCount } from "../src/model/arena.js";
import type { ModelSpec } from "../src/model/spec.js";

const hex8 = (v: number) => v.toString(16).padStart(8, "0");

/** A version-1 model file (inputSize, hidden, weights only), byte for byte as simdnet ≤ v1 wrote it. */
export function encodeModelV1(spec: ModelSpec, params: Float32Array, extra: Record<string, unknown> = {}): Uint8Array {
  const wb = floatBytes(params);
  const header = { format: "simdnet-model", version: 1, inputSize: spec.inputSize, hidden: spec.hidden, outputSize: spec.outputSize, activation: spec.activation, paramCount: params.length, weightsCrc32: hex8(crc32(wb)), ...extra };
  return encodeFramed(MODEL_MAGIC, header, wb);
}

/** A version-1 checkpoint (no state block), as the v1 encoder wrote it. */
export function encodeCheckpointV1(ck: Omit<Checkpoint, "state">): Uint8Array {
  const P = paramCount(ck.spec);
  const floats = floatBytes(ck.params, ck.optState);
  const header = {
    format: "simdnet-checkpoint",
    version: 1,
    inputSize: ck.spec.inputSize,
    hidden: ck.spec.hidden,
    outputSize: ck.spec.outputSize,
    activation: ck.spec.activation,
    paramCount: P,
    optimizer: ck.optimizer,
    epochsCompleted: ck.epochsCompleted,
    position: ck.position,
    schedule: { ...ck.schedule, best: Number.isFinite(ck.schedule.best) ? ck.schedule.best : null },
    seed: ck.seed,
    data: ck.data,
    config: ck.config,
    floatsCrc32: hex8(crc32(floats)),
    createdAt: "2025-01-01T00:00:00.000Z",
  };
  return encodeFramed(CHECKPOINT_MAGIC, header, floats);
}

/** 8×8×1 → conv 4 3 → batch norm → maxpool 2 → dropout 0.2 → dense 3 (the brief's small CNN). */
export const SMALL_CNN: ModelSpec = {
  inputSize: 64,
  inputShape: [8, 8, 1],
  hidden: [],
  layers: [{ type: "conv2d", filters: 4, kernelSize: 3 }, { type: "batchNormalization" }, { type: "maxPooling2d", poolSize: 2 }, { type: "dropout", rate: 0.2 }],
  outputSize: 3,
  activation: "relu",
};

/** Rewrites a framed file's JSON header (model or checkpoint), keeping the payload. */
export function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const H = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + H)));
  edit(h);
  const json = new TextEncoder().encode(JSON.stringify(h));
  const padded = Math.ceil((12 + json.length) / 4) * 4 - 12;
  const out = new Uint8Array(12 + padded + bytes.length - 12 - H);
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, padded, true);
  out.fill(32, 12, 12 + padded);
  out.set(json, 12);
  out.set(bytes.subarray(12 + H), 12 + padded);
  return out;
}

/** Sets float `index` of the payload and fixes the header's checksum field (weightsCrc32 or floatsCrc32) to match. */
export function withFloat(bytes: Uint8Array, index: number, value: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const H = new DataView(out.buffer).getUint32(8, true);
  new DataView(out.buffer).setFloat32(12 + H + index * 4, value, true);
  const crc = hex8(crc32(out.subarray(12 + H)));
  return withHeader(out, (h) => {
    if ("weightsCrc32" in h) h.weightsCrc32 = crc;
    else h.floatsCrc32 = crc;
  });
}
