// Messages between the page and the training worker.
import type { EpochStats } from "../src/train/trainer.js";
import type { ModelSpec } from "../src/model/spec.js";
import type { TrainSettings } from "./training.js";
import type { DataMeta } from "../src/data/table.js";

export type ToWorker =
  | { type: "load-data"; files: File[] }
  | { type: "train"; settings: TrainSettings }
  | { type: "stop" }
  /** Loss and accuracy of these weights on the loaded test set (else the whole training file). */
  | { type: "evaluate"; spec: ModelSpec; params: Float32Array; state: Float32Array };

export interface Progress {
  step: number;
  epoch: number;
  epochs: number;
  /** Mean loss of the batches since the last progress message. */
  loss: number;
  /** Accuracy of the batches since the last progress message. */
  accuracy: number;
  samplesPerSec: number;
}

export type FromWorker =
  | { type: "data"; description: string; trainCount: number | null; testCount: number | null }
  | { type: "started"; spec: ModelSpec; trainCount: number; valCount: number; stepsPerEpoch: number }
  | { type: "progress"; progress: Progress }
  /** Weights so far, sent now and then so the drawing pad predicts with the model as it trains. */
  | { type: "params"; spec: ModelSpec; params: Float32Array; state: Float32Array }
  | { type: "epoch"; stats: EpochStats; step: number }
  | {
      type: "done";
      spec: ModelSpec;
      params: Float32Array;
      /** Batch-norm running statistics (empty without batch norm). */
      state: Float32Array;
      history: EpochStats[];
      stoppedEarly: boolean;
      seconds: number;
      test: { loss: number; accuracy: number; count: number } | null;
      /** A table run: the data description (class names, scaling, targets), saved with the model. */
      meta?: DataMeta;
    }
  | { type: "evaluated"; loss: number; accuracy: number; count: number; set: string }
  | { type: "error"; message: string };
