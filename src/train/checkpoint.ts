// Training checkpoints (.simdckpt, version 1): everything needed to continue a run exactly where
// it stopped. A sibling of the .simdnet model file with its own magic, so neither is mistaken for
// the other:
//   bytes 0..7    magic "SIMDCKPT"
//   bytes 8..11   uint32 LE: H, the byte length of the JSON header (space-padded so 12+H ≡ 0 mod 4)
//   bytes 12..    the JSON header: layer sizes, optimizer (name, state slots, step count), position
//                 (epochs completed, batches done in the next one, its running sums), schedule state,
//                 the training config, a fingerprint of the training data, CRC-32 of the float block
//   then          float32 LE: the parameters (paramCount), then the optimizer state (slots × paramCount)
// Pure functions over bytes, like src/model/format.ts.
import { SimdnetError } from "../errors.js";
import { crc32, encodeFramed } from "../model/format.js";
import { HIDDEN_ACTIVATIONS, type ModelSpec } from "../model/spec.js";
import { paramCount as countParams } from "../model/arena.js";
import type { Network } from "../model/network.js";
import type { Optimizer } from "./optimizers.js";
import type { FitPosition } from "./trainer.js";
import type { LrSchedule } from "./schedules.js";

export const CHECKPOINT_MAGIC = "SIMDCKPT";
export const CHECKPOINT_VERSION = 1;

export type ScheduleState = ReturnType<LrSchedule["state"]>;

export interface Checkpoint {
  spec: ModelSpec;
  params: Float32Array;
  /** Optimizer state block: optimizer.slots × paramCount floats (momentum, Adam moments). */
  optState: Float32Array;
  optimizer: { name: string; slots: number; steps: number };
  /** Epochs fully done, and the position inside the next one (batch 0: at its start). */
  epochsCompleted: number;
  position: FitPosition;
  schedule: ScheduleState;
  seed: number;
  /** The training configuration the run was started with (src/cli/train.ts TrainConfig). */
  config: Record<string, unknown>;
  /** Identifies the training data: a resume on other data is refused. */
  data: DataFingerprint;
}

export interface DataFingerprint {
  count: number;
  /** CRC-32 of the training labels in subset order, 8 hex digits. */
  labelsCrc32: string;
}

export function dataFingerprint(labels: Uint8Array | null, indices: Uint32Array): DataFingerprint {
  const ordered = new Uint8Array(indices.length);
  if (labels) for (let i = 0; i < indices.length; i++) ordered[i] = labels[indices[i]];
  return { count: indices.length, labelsCrc32: hex8(crc32(ordered)) };
}

/** Snapshot of a live run: the network's parameters and optimizer state, the schedule and position. */
export function captureCheckpoint(
  net: Network,
  optimizer: Optimizer,
  schedule: ScheduleState,
  position: FitPosition,
  seed: number,
  config: Record<string, unknown>,
  data: DataFingerprint,
  params: Float32Array = net.getParams(),
): Checkpoint {
  const { optState, paramCount, optimizerSlots } = net.layout;
  const f = net.backend.floats();
  return {
    spec: net.spec,
    params,
    optState: Float32Array.from(f.subarray(optState, optState + optimizerSlots * paramCount)),
    optimizer: { name: optimizer.name, slots: optimizerSlots, steps: optimizer.steps },
    epochsCompleted: position.epoch - 1,
    position,
    schedule,
    seed,
    config,
    data,
  };
}

/** Puts a checkpoint's parameters, optimizer state and step count back into a live run. */
export function restoreCheckpoint(ck: Checkpoint, net: Network, optimizer: Optimizer, schedule: LrSchedule, file = "checkpoint"): void {
  if (sizes(ck.spec) !== net.layerSizes().join("-") || ck.spec.activation !== net.spec.activation)
    throw new SimdnetError(`checkpoint is for a ${sizes(ck.spec)} ${ck.spec.activation} network, not ${net.layerSizes().join("-")} ${net.spec.activation}`, { file, field: "hidden" });
  if (ck.optimizer.name !== optimizer.name || ck.optimizer.slots !== net.layout.optimizerSlots)
    throw new SimdnetError(`checkpoint holds ${ck.optimizer.name} state, the run uses ${optimizer.name}`, { file, field: "optimizer" });
  net.setParams(ck.params);
  net.backend.floats().set(ck.optState, net.layout.optState);
  optimizer.steps = ck.optimizer.steps;
  schedule.restore(ck.schedule);
}

export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  const P = countParams(ck.spec);
  if (ck.params.length !== P || ck.optState.length !== ck.optimizer.slots * P)
    throw new RangeError(`checkpoint blocks: ${ck.params.length} params and ${ck.optState.length} state for ${P} parameters × ${ck.optimizer.slots} slots`);
  const floats = new Uint8Array((ck.params.length + ck.optState.length) * 4);
  const fv = new DataView(floats.buffer);
  ck.params.forEach((v, i) => fv.setFloat32(i * 4, v, true));
  ck.optState.forEach((v, i) => fv.setFloat32((P + i) * 4, v, true));
  const header = {
    format: "simdnet-checkpoint",
    version: CHECKPOINT_VERSION,
    inputSize: ck.spec.inputSize,
    hidden: ck.spec.hidden,
    outputSize: ck.spec.outputSize,
    activation: ck.spec.activation,
    paramCount: P,
    optimizer: ck.optimizer,
    epochsCompleted: ck.epochsCompleted,
    position: ck.position,
    // JSON has no Infinity: the plateau schedule's "no best yet" is stored as null
    schedule: { ...ck.schedule, best: Number.isFinite(ck.schedule.best) ? ck.schedule.best : null },
    seed: ck.seed,
    data: ck.data,
    config: ck.config,
    floatsCrc32: hex8(crc32(floats)),
    createdAt: new Date().toISOString(),
  };
  return encodeFramed(CHECKPOINT_MAGIC, header, floats);
}

export function decodeCheckpoint(bytes: Uint8Array, file = "checkpoint"): Checkpoint {
  const fail = (message: string, field: string, byteOffset: number) => new SimdnetError(message, { file, field, byteOffset });
  if (bytes.length < 12) throw fail(`file too short to be a simdnet checkpoint (${bytes.length} bytes)`, "magic", 0);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== CHECKPOINT_MAGIC)
    throw fail(`not a simdnet checkpoint (magic ${JSON.stringify(magic)}, expected ${JSON.stringify(CHECKPOINT_MAGIC)})` + (magic === "SIMDNET\n" ? ": this is a model file" : ""), "magic", 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const H = dv.getUint32(8, true);
  if (12 + H > bytes.length) throw fail(`header length ${H} runs past the end of the file (${bytes.length} bytes)`, "header", 8);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let h: any;
  try {
    h = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + H)));
  } catch (e) {
    throw fail(`header is not valid JSON: ${(e as Error).message}`, "header", 12);
  }
  if (typeof h !== "object" || h === null || h.format !== "simdnet-checkpoint") throw fail(`header "format" must be "simdnet-checkpoint"`, "format", 12);
  if (h.version !== CHECKPOINT_VERSION) throw fail(`unsupported checkpoint version ${JSON.stringify(h.version)}; this simdnet reads version ${CHECKPOINT_VERSION}`, "version", 12);
  const int = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  const need = (ok: boolean, field: string, expected: string, got: unknown) => {
    if (!ok) throw fail(`${field} must be ${expected}, got ${JSON.stringify(got)}`, field, 12);
  };
  need(int(h.inputSize, 1, 1 << 24), "inputSize", "a positive integer", h.inputSize);
  need(int(h.outputSize, 1, 1 << 24), "outputSize", "a positive integer", h.outputSize);
  need(Array.isArray(h.hidden) && h.hidden.every((v: unknown) => int(v, 1, 1 << 24)), "hidden", "an array of positive integers", h.hidden);
  need((HIDDEN_ACTIVATIONS as string[]).includes(h.activation), "activation", `one of ${HIDDEN_ACTIVATIONS.join(", ")}`, h.activation);
  const spec: ModelSpec = { inputSize: h.inputSize, hidden: h.hidden, outputSize: h.outputSize, activation: h.activation };
  const P = countParams(spec);
  need(h.paramCount === P, "paramCount", `${P} for layers ${sizes(spec)}`, h.paramCount);
  const o = h.optimizer;
  need(typeof o === "object" && o !== null && typeof o.name === "string" && int(o.slots, 0, 2) && int(o.steps, 0, Number.MAX_SAFE_INTEGER), "optimizer", "{name, slots 0..2, steps ≥ 0}", o);
  const p = h.position;
  need(
    typeof p === "object" && p !== null && int(p.epoch, 1, 1e9) && int(p.batch, 0, 1e12) && num(p.lossSum) && int(p.correct, 0, 1e15) && int(p.done, 0, 1e15) && p.correct <= p.done,
    "position",
    "{epoch ≥ 1, batch ≥ 0, lossSum, correct ≤ done}",
    p,
  );
  need(int(h.epochsCompleted, 0, 1e9) && h.epochsCompleted === p.epoch - 1, "epochsCompleted", `position.epoch − 1 = ${p.epoch - 1}`, h.epochsCompleted);
  const s = h.schedule;
  need(typeof s === "object" && s !== null && num(s.plateauScale) && (s.best === null || num(s.best)) && int(s.bad, 0, 1e9), "schedule", "{plateauScale, best, bad}", s);
  need(int(h.seed, 0, 2 ** 32 - 1), "seed", "an integer in [0, 2^32)", h.seed);
  need(typeof h.data === "object" && h.data !== null && int(h.data.count, 1, 1e12) && /^[0-9a-f]{8}$/.test(h.data.labelsCrc32), "data", "{count, labelsCrc32}", h.data);
  need(typeof h.config === "object" && h.config !== null && !Array.isArray(h.config), "config", "an object", h.config);
  const wStart = 12 + H;
  const expected = (P + o.slots * P) * 4;
  const have = bytes.length - wStart;
  if (have !== expected)
    throw fail(`${have < expected ? "truncated" : "oversized"} float block: expected ${expected} bytes (${P} parameters + ${o.slots}×${P} optimizer state), found ${have}`, "weights", bytes.length);
  const floats = bytes.subarray(wStart);
  const crc = hex8(crc32(floats));
  if (crc !== h.floatsCrc32) throw fail(`checksum mismatch (file says ${h.floatsCrc32}, data hashes to ${crc}): the file is corrupt`, "floatsCrc32", wStart);
  const params = new Float32Array(P);
  const optState = new Float32Array(o.slots * P);
  for (let i = 0; i < P + optState.length; i++) {
    const v = dv.getFloat32(wStart + i * 4, true);
    if (!Number.isFinite(v)) throw fail(`non-finite ${i < P ? `weight at parameter ${i}` : `optimizer state at slot ${i - P}`}: ${v}`, "weights", wStart + i * 4);
    if (i < P) params[i] = v;
    else optState[i - P] = v;
  }
  return {
    spec,
    params,
    optState,
    optimizer: { name: o.name, slots: o.slots, steps: o.steps },
    epochsCompleted: h.epochsCompleted,
    position: { epoch: p.epoch, batch: p.batch, lossSum: p.lossSum, correct: p.correct, done: p.done },
    schedule: { plateauScale: s.plateauScale, best: s.best === null ? Infinity : s.best, bad: s.bad },
    seed: h.seed,
    config: h.config,
    data: { count: h.data.count, labelsCrc32: h.data.labelsCrc32 },
  };
}

function sizes(spec: ModelSpec): string {
  return [spec.inputSize, ...spec.hidden, spec.outputSize].join("-");
}

function hex8(v: number): string {
  return v.toString(16).padStart(8, "0");
}
