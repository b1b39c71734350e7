// Training checkpoints (.simdckpt, version 2): everything needed to continue a run exactly where
// it stopped. A sibling of the .simdnet model file with its own magic, so neither is mistaken for
// the other:
//   bytes 0..7    magic "SIMDCKPT"
//   bytes 8..11   uint32 LE: H, the byte length of the JSON header (space-padded so 12+H ≡ 0 mod 4)
//   bytes 12..    the JSON header: the architecture as in a v2 model file (input, layers, outputSize,
//                 activation, paramCount, stateCount), optimizer (name, state slots, step count),
//                 position (epochs completed, batches done in the next one, its running sums), schedule
//                 state, the training config, a fingerprint of the training data, CRC-32 of the float block
//   then          float32 LE: the parameters (paramCount), the non-trainable state (stateCount: batch-norm
//                 running statistics), then the optimizer state (slots × paramCount)
// Version 1 (still read): inputSize and hidden widths instead of the architecture, no state block.
// Pure functions over bytes, like src/model/format.ts.
import { SimdnetError } from "../errors.js";
import { architectureHeader, crc32, decodeFramed, encodeFramed, floatBytes, readArchitecture, readFloats, varianceMask, type Fail } from "../model/format.js";
import { HIDDEN_ACTIVATIONS, layerSizes, type ModelSpec } from "../model/spec.js";
import { paramCount as countParams } from "../model/arena.js";
import { fullStack, inputShapeOf, layerName, shapeText } from "../layers/index.js";
import type { Network } from "../model/network.js";
import type { Optimizer } from "./optimizers.js";
import type { FitPosition } from "./trainer.js";
import type { LrSchedule } from "./schedules.js";

export const CHECKPOINT_MAGIC = "SIMDCKPT";
export const CHECKPOINT_VERSION = 2;
/** Versions decodeCheckpoint reads. */
export const CHECKPOINT_VERSIONS = [1, 2];

export type ScheduleState = ReturnType<LrSchedule["state"]>;

export interface Checkpoint {
  spec: ModelSpec;
  params: Float32Array;
  /** Non-trainable state (Network.getState(): batch-norm running statistics); empty for v1 files. */
  state: Float32Array;
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

/** Snapshot of a live run: the network's parameters, state and optimizer state, the schedule and position. */
export function captureCheckpoint(
  net: Network,
  optimizer: Optimizer,
  schedule: ScheduleState,
  position: FitPosition,
  seed: number,
  config: Record<string, unknown>,
  data: DataFingerprint,
  params: Float32Array = net.getParams(),
  state: Float32Array = net.getState(),
): Checkpoint {
  const { optState, paramCount, optimizerSlots } = net.layout;
  const f = net.backend.floats();
  return {
    spec: net.spec,
    params,
    state,
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

/** Puts a checkpoint's parameters, state, optimizer state and step count back into a live run. */
export function restoreCheckpoint(ck: Checkpoint, net: Network, optimizer: Optimizer, schedule: LrSchedule, file = "checkpoint"): void {
  if (architecture(ck.spec) !== architecture(net.spec)) {
    const mlp = isMlp(ck.spec) && isMlp(net.spec);
    throw new SimdnetError(`checkpoint is for a ${describeNet(ck.spec)} network, not ${describeNet(net.spec)}`, { file, field: mlp ? "hidden" : "layers" });
  }
  if (ck.optimizer.name !== optimizer.name || ck.optimizer.slots !== net.layout.optimizerSlots)
    throw new SimdnetError(`checkpoint holds ${ck.optimizer.name} state, the run uses ${optimizer.name}`, { file, field: "optimizer" });
  net.setParams(ck.params);
  net.setState(ck.state);
  net.backend.floats().set(ck.optState, net.layout.optState);
  optimizer.steps = ck.optimizer.steps;
  schedule.restore(ck.schedule);
}

export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  const arch = architectureHeader(ck.spec);
  const P = arch.paramCount;
  if (ck.params.length !== P || ck.state.length !== arch.stateCount || ck.optState.length !== ck.optimizer.slots * P)
    throw new RangeError(`checkpoint blocks: ${ck.params.length} params, ${ck.state.length} state and ${ck.optState.length} optimizer state for ${P} parameters, ${arch.stateCount} state, × ${ck.optimizer.slots} slots`);
  const floats = floatBytes(ck.params, ck.state, ck.optState);
  const header = {
    format: "simdnet-checkpoint",
    version: CHECKPOINT_VERSION,
    ...arch,
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
  const fail: Fail = (message, field, byteOffset) => new SimdnetError(message, { file, field, byteOffset });
  const { header: h, payload: wStart, dv } = decodeFramed(bytes, CHECKPOINT_MAGIC, "checkpoint", fail, (m) => (m === "SIMDNET\n" ? ": this is a model file" : ""));
  if (h.format !== "simdnet-checkpoint") throw fail(`header "format" must be "simdnet-checkpoint"`, "format", 12);
  if (!CHECKPOINT_VERSIONS.includes(h.version))
    throw fail(`unsupported checkpoint version ${JSON.stringify(h.version)}; this simdnet reads versions ${CHECKPOINT_VERSIONS.join(" and ")}`, "version", 12);
  const int = (v: unknown, min: number, max: number) => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
  const num = (v: unknown) => typeof v === "number" && Number.isFinite(v);
  const need = (ok: boolean, field: string, expected: string, got: unknown) => {
    if (!ok) throw fail(`${field} must be ${expected}, got ${JSON.stringify(got)}`, field, 12);
  };
  let spec: ModelSpec;
  let P: number;
  let S = 0;
  let isVariance: ((i: number) => boolean) | undefined;
  if (h.version === 1) {
    need(int(h.inputSize, 1, 1 << 24), "inputSize", "a positive integer", h.inputSize);
    need(int(h.outputSize, 1, 1 << 24), "outputSize", "a positive integer", h.outputSize);
    need(Array.isArray(h.hidden) && h.hidden.every((v: unknown) => int(v, 1, 1 << 24)), "hidden", "an array of positive integers", h.hidden);
    need((HIDDEN_ACTIVATIONS as string[]).includes(h.activation), "activation", `one of ${HIDDEN_ACTIVATIONS.join(", ")}`, h.activation);
    spec = { inputSize: h.inputSize, hidden: h.hidden, outputSize: h.outputSize, activation: h.activation };
    P = countParams(spec);
    need(h.paramCount === P, "paramCount", `${P} for layers ${layerSizes(spec).join("-")}`, h.paramCount);
  } else {
    const arch = readArchitecture(h, fail);
    spec = arch.spec;
    P = arch.layout.paramCount;
    S = arch.layout.stateCount;
    isVariance = varianceMask(arch.layout);
  }
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
  const expected = (P + S + o.slots * P) * 4;
  const have = bytes.length - wStart;
  if (have !== expected) {
    const parts = `${P} parameters${S ? ` + ${S} state` : ""} + ${o.slots}×${P} optimizer state`;
    // a cut inside the state block names it; anything else is the float block as a whole
    const inState = S > 0 && have >= P * 4 && have < (P + S) * 4;
    throw fail(`${have < expected ? "truncated" : "oversized"} float block: expected ${expected} bytes (${parts}), found ${have}`, inState ? "state" : "weights", bytes.length);
  }
  const crc = hex8(crc32(bytes.subarray(wStart)));
  if (crc !== h.floatsCrc32) throw fail(`checksum mismatch (file says ${JSON.stringify(h.floatsCrc32)}, data hashes to ${crc}): the file is corrupt`, "floatsCrc32", wStart);
  const params = readFloats(dv, wStart, P, "weights", fail, (v, i) => `non-finite weight at parameter ${i}: ${v}`);
  const state = readFloats(dv, wStart + P * 4, S, "state", fail, (v, i) => `non-finite state value at state index ${i}: ${v}`, isVariance);
  const optState = readFloats(dv, wStart + (P + S) * 4, o.slots * P, "weights", fail, (v, i) => `non-finite optimizer state at slot ${i}: ${v}`);
  return {
    spec,
    params,
    state,
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

/** The architecture as one comparable string: input shape and every layer, defaults filled in. */
function architecture(spec: ModelSpec): string {
  return JSON.stringify([inputShapeOf(spec), fullStack(spec)]);
}

function isMlp(spec: ModelSpec): boolean {
  return !spec.layers && !spec.inputShape;
}

/** "784-24-10 relu" for an MLP, else "28×28×1 → conv 4 3 act=relu, batchnorm, … → dense 10". */
function describeNet(spec: ModelSpec): string {
  if (isMlp(spec)) return `${layerSizes(spec).join("-")} ${spec.activation}`;
  return `${shapeText(inputShapeOf(spec))} → ${fullStack(spec).map(layerName).join(", ")}`;
}

function hex8(v: number): string {
  return v.toString(16).padStart(8, "0");
}
