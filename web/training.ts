// The page's training settings → a ready-to-fit network, split and options. Shared by the worker
// and the Node tests, so a run in the browser can be replayed in Node and compared bit for bit.
import type { Backend } from "../src/backend/types.js";
import type { Dataset, Subset } from "../src/data/dataset.js";
import { splitTrainVal } from "../src/data/dataset.js";
import { Network } from "../src/model/network.js";
import type { Activation, ModelSpec } from "../src/model/spec.js";
import { createOptimizer } from "../src/train/optimizers.js";
import { LrSchedule } from "../src/train/schedules.js";
import type { FitOptions } from "../src/train/trainer.js";

export interface TrainSettings {
  hidden: number[];
  activation: Activation;
  optimizer: "sgd" | "adam";
  lr: number;
  epochs: number;
  batchSize: number;
  valSplit: number;
  seed: number;
}

export const DEFAULT_SETTINGS: TrainSettings = {
  hidden: [128],
  activation: "relu",
  optimizer: "sgd",
  lr: 0.1,
  epochs: 5,
  batchSize: 64,
  valSplit: 0.1,
  seed: 1,
};

export interface PreparedRun {
  spec: ModelSpec;
  net: Network;
  train: Subset;
  val: Subset | null;
  options: Omit<FitOptions, "onBatchEnd" | "onEpochEnd" | "shouldStop">;
}

/** SGD with momentum 0.9 or Adam, cosine-decayed over the run, He init: the CLI's defaults. */
export function prepareRun(backend: Backend, data: Dataset, s: TrainSettings): PreparedRun {
  const spec: ModelSpec = { inputSize: data.inputSize, hidden: s.hidden, outputSize: 10, activation: s.activation };
  const { train, val } = splitTrainVal(data, s.valSplit, s.seed);
  const batchSize = Math.min(s.batchSize, train.indices.length);
  const optimizer = createOptimizer({ name: s.optimizer, momentum: 0.9, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const net = new Network(spec, backend, batchSize, optimizer.stateSlots);
  net.init(s.seed, "he");
  const schedule = new LrSchedule({ name: "cosine", lr: s.lr, epochs: s.epochs, warmupEpochs: 0, gamma: 0.1, stepSize: 5, minLr: 0, patience: 2 });
  return { spec, net, train, val, options: { epochs: s.epochs, batchSize, schedule, seed: s.seed, optimizer } };
}
