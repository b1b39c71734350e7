// The page's training settings → a ready-to-fit network, split and options. Shared by the worker,
// the page (the architecture line) and the Node tests, so a run in the browser can be replayed in
// Node and compared bit for bit. Also the page's presets: the MLP and CNNs from the CLI's presets.
import type { Backend } from "../src/backend/types.js";
import type { Dataset, Subset } from "../src/data/dataset.js";
import { splitTrainVal } from "../src/data/dataset.js";
import { DEFAULT_AUGMENT, type AugmentKind } from "../src/data/augment.js";
import { SimdnetError } from "../src/errors.js";
import { parseLayers } from "../src/layers/parse.js";
import { Network } from "../src/model/network.js";
import type { Activation, ModelSpec } from "../src/model/spec.js";
import { createOptimizer } from "../src/train/optimizers.js";
import { LrSchedule } from "../src/train/schedules.js";
import type { FitOptions } from "../src/train/trainer.js";

export interface TrainSettings {
  /** The hidden stack in the CLI's --layers grammar; absent or "": an MLP of `hidden`. */
  layers?: string;
  /** Hidden dense widths of an MLP (ignored when `layers` is given). */
  hidden: number[];
  activation: Activation;
  optimizer: "sgd" | "adam";
  lr: number;
  epochs: number;
  batchSize: number;
  valSplit: number;
  seed: number;
  /** Training-image augmentation (the CLI's --augment with its default ranges); default none. */
  augment?: AugmentKind;
  /** Linear learning-rate warm-up in epochs before the cosine decay (the CLI's --warmup); default 0. */
  warmup?: number;
  /** L2 penalty on the parameters (the CLI's --weight-decay); default 0. */
  weightDecay?: number;
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

// The CLI's cnn and best-cnn stacks (src/cli/train.ts PRESETS; tests/web-presets.test.ts checks they
// are the same), copied because the CLI module reads files and the page cannot import it.
export const CNN_LAYERS = "conv 32 3 act=none, batchnorm act=relu, maxpool 2, conv 64 3 act=none, batchnorm act=relu, maxpool 2, dropout 0.25, dense 128 act=none, batchnorm act=relu, dropout 0.25";
export const BEST_CNN_LAYERS =
  "conv 32 5 padding=same act=none, batchnorm act=relu, maxpool 2, conv 64 3 padding=same act=none, batchnorm act=relu, maxpool 2, conv 128 3 act=none, batchnorm act=relu, dropout 0.25, dense 128 act=none, batchnorm act=relu, dropout 0.3";
/** The TF.js tutorial net (the benchmark T): a few seconds an epoch on the sample. */
export const SMALL_CNN_LAYERS = "conv 8 5, maxpool 2, conv 16 5, maxpool 2";

export interface WebPreset {
  label: string;
  /** One line for the page: what it is and what to expect. */
  note: string;
  settings: TrainSettings;
}

/** The train panel's presets. The CNNs keep the CLI's optimizer, rate and augmentation, with fewer epochs for a browser. */
export const WEB_PRESETS: Record<"mlp" | "small-cnn" | "cnn" | "best-cnn", WebPreset> = {
  mlp: { label: "MLP", note: "784-128-10, 5 epochs: about 92% on the sample's 1,000 test digits, in a second or two", settings: DEFAULT_SETTINGS },
  "small-cnn": {
    label: "Small CNN (fast)",
    note: "the TF.js tutorial net, 2 epochs: about 94% on the sample's test digits, in seconds",
    settings: { ...DEFAULT_SETTINGS, layers: SMALL_CNN_LAYERS, lr: 0.05, epochs: 2, batchSize: 64, augment: "none" },
  },
  cnn: {
    label: "CNN (the CLI's cnn preset)",
    note: "the Keras simple convnet with batch norm and shifted digits, as simdnet train --preset cnn (6 epochs on full MNIST there); 2 epochs: about 94% on the sample, in under a minute",
    settings: { ...DEFAULT_SETTINGS, layers: CNN_LAYERS, lr: 0.05, epochs: 2, batchSize: 64, augment: "shift" },
  },
  "best-cnn": {
    label: "Best CNN (batch norm, slow)",
    note: "simdnet train --preset best-cnn (20 epochs there): batch norm, dropout, affine-warped digits; 2 epochs: about 96% on the sample, but minutes in a browser",
    settings: { ...DEFAULT_SETTINGS, layers: BEST_CNN_LAYERS, lr: 0.05, epochs: 2, batchSize: 64, augment: "affine", warmup: 1, weightDecay: 5e-4 },
  },
};
export type WebPresetName = keyof typeof WEB_PRESETS;

/** The model the settings describe, for images of `inputSize` pixels (a stack needs square images: H×W×1). */
export function specFor(s: TrainSettings, inputSize = 784): ModelSpec {
  const text = (s.layers ?? "").trim();
  if (text === "") return { inputSize, hidden: s.hidden, outputSize: 10, activation: s.activation };
  const side = Math.round(Math.sqrt(inputSize));
  if (side * side !== inputSize) throw new SimdnetError(`a layer stack needs square images; these have ${inputSize} pixels`, { field: "layers" });
  return { inputSize, inputShape: [side, side, 1], hidden: [], layers: parseLayers(text, "layers"), outputSize: 10, activation: s.activation };
}

export interface PreparedRun {
  spec: ModelSpec;
  net: Network;
  train: Subset;
  val: Subset | null;
  options: Omit<FitOptions, "onBatchEnd" | "onEpochEnd" | "shouldStop">;
}

/**
 * SGD with momentum 0.9 or Adam, cosine-decayed over the run (after an optional warm-up), He init:
 * the CLI's defaults. Dropout in a stack is a layer (the fit loop seeds its masks per step).
 */
export function prepareRun(backend: Backend, data: Dataset, s: TrainSettings): PreparedRun {
  const spec = specFor(s, data.inputSize);
  const { train, val } = splitTrainVal(data, s.valSplit, s.seed);
  const batchSize = Math.min(s.batchSize, train.indices.length);
  const optimizer = createOptimizer({ name: s.optimizer, momentum: 0.9, nesterov: false, weightDecay: s.weightDecay ?? 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const net = new Network(spec, backend, batchSize, optimizer.stateSlots);
  net.init(s.seed, "he");
  const schedule = new LrSchedule({ name: "cosine", lr: s.lr, epochs: s.epochs, warmupEpochs: s.warmup ?? 0, gamma: 0.1, stepSize: 5, minLr: 0, patience: 2 });
  const augment = s.augment && s.augment !== "none" ? { ...DEFAULT_AUGMENT, kind: s.augment } : undefined;
  return { spec, net, train, val, options: { epochs: s.epochs, batchSize, schedule, seed: s.seed, optimizer, ...(augment ? { augment } : {}) } };
}
