// Two versions of a model and a checkpoint for the kill -9 test (a few MB, so writes take a while).
import type { Checkpoint } from "../src/train/checkpoint.js";
import { paramCount } from "../src/model/arena.js";

export const ATOMIC_SPEC = { inputSize: 784, hidden: [512], outputSize: 10, activation: "relu" as const };
const P = paramCount(ATOMIC_SPEC);

export function atomicParams(version: number): Float32Array {
  return Float32Array.from({ length: P }, (_, i) => version + i * 1e-6);
}

export function atomicCheckpoint(version: number): Checkpoint {
  return {
    spec: ATOMIC_SPEC,
    params: atomicParams(version),
    state: new Float32Array(0),
    optState: Float32Array.from({ length: P }, () => -version),
    optimizer: { name: "sgd-momentum", slots: 1, steps: version },
    epochsCompleted: version,
    position: { epoch: version + 1, batch: 0, lossSum: 0, correct: 0, done: 0 },
    schedule: { plateauScale: 1, best: Infinity, bad: 0 },
    seed: 1,
    config: { argv: [] },
    data: { count: 10, labelsCrc32: "00000000" },
  };
}
