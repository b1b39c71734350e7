// The epoch loop: seeded shuffles, mini-batches gathered into the arena, one optimizer step per
// batch, per-epoch metrics. It yields to the event loop now and then so signals, progress output
// and (in the browser) worker messages get through; the maths never depends on that.
import type { Network } from "../model/network.js";
import type { Subset } from "../data/dataset.js";
import { clipGradNorm, type Optimizer } from "./optimizers.js";
import { Rng } from "../rng.js";
import type { LrSchedule } from "./schedules.js";
import { hash32 } from "../backend/types.js";
import { augmenter, type AugmentOptions } from "../data/augment.js";
import { SimdnetError } from "../errors.js";

export interface EpochStats {
  epoch: number; // 1-based
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number | null;
  valAccuracy: number | null;
  /** Training samples per second in this epoch (excluding evaluation). */
  samplesPerSec: number;
  /** Wall time of this epoch, training and evaluation. */
  seconds: number;
  lr: number;
}

export interface BatchInfo {
  epoch: number;
  batch: number; // 1-based within the epoch
  batches: number;
  samplesDone: number;
  samplesTotal: number;
  loss: number; // mean loss of this batch
  runningLoss: number;
  runningAccuracy: number;
  samplesPerSec: number;
  /** Samples in this batch and how many of them were classified right. */
  size: number;
  correct: number;
  /** Learning rate of this step. */
  lr: number;
  /** Global L2 norm of the gradient before clipping (measured only when clipping is on). */
  gradNorm?: number;
}

export interface FitOptions {
  epochs: number;
  /** Samples per step; ≥ the training-set size means full-batch gradient descent. */
  batchSize: number;
  /** Learning rate per step. */
  schedule: LrSchedule;
  seed: number;
  optimizer: Optimizer;
  /** Clip the gradient's global L2 norm to this (0: off). */
  clipNorm?: number;
  onBatchEnd?: (info: BatchInfo) => void;
  onEpochEnd?: (stats: EpochStats) => void | "stop";
  /** Checked between batches; when true the loop ends early (after the current batch). */
  shouldStop?: () => boolean;
  /** Transform training images as they are gathered into the batch (validation never is). */
  augment?: AugmentOptions;
  /** Stop when the monitored validation metric has not improved for `patience` epochs. */
  earlyStopping?: EarlyStopping;
  /** Resume point (from a checkpoint): the network, optimizer and schedule must already hold its state. */
  start?: FitPosition;
}

/**
 * A place in the run: `batch` batches of `epoch` are done, with these running sums. Shuffles,
 * dropout masks, augmentation and learning rates depend only on (seed, epoch, step), so a run
 * resumed from here replays the remaining steps exactly.
 */
export interface FitPosition {
  epoch: number; // 1-based
  batch: number; // batches of that epoch already done
  lossSum: number;
  correct: number;
  done: number;
}

export interface EarlyStopping {
  monitor: "val_loss" | "val_accuracy";
  patience: number;
  /** Smallest change that counts as an improvement. */
  minDelta: number;
  /** Put back the weights of the best epoch at the end (Keras' restore_best_weights). */
  restoreBest: boolean;
}

export interface FitResult {
  history: EpochStats[];
  seconds: number;
  stoppedEarly: boolean;
  /** Epoch whose weights the network holds at the end when early stopping restored them, else null. */
  restoredEpoch: number | null;
  /**
   * Where shouldStop ended the run mid-epoch (before that epoch's validation and schedule update),
   * with the schedule state of that moment; null when the last epoch ran to its end.
   */
  stoppedAt: (FitPosition & { schedule: ReturnType<LrSchedule["state"]> }) | null;
  /** When early stopping restored the best weights: the weights the run ended with (a checkpoint resumes from these). */
  finalParams: Float32Array | null;
}

/** Seed of step `step` (0-based over the whole run): dropout masks and augmentation draw from it. */
export function stepSeed(seed: number, step: number): number {
  return hash32((hash32(seed >>> 0) + Math.imul(step, 0x85ebca6b)) >>> 0);
}

const YIELD_EVERY_MS = 100;

/** The shuffle of an epoch depends only on (seed, epoch), so a resumed run sees the same batches. */
export function epochOrder(indices: Uint32Array, seed: number, epoch: number): Uint32Array {
  const order = Uint32Array.from(indices);
  new Rng((seed * 0x9e3779b1 + epoch * 0x85ebca6b) >>> 0).shuffle(order);
  return order;
}

export async function fit(net: Network, train: Subset, val: Subset | null, opts: FitOptions): Promise<FitResult> {
  const n = train.indices.length;
  if (n === 0) throw new RangeError("empty training set");
  // a network laid out with fewer optimizer slots than the optimizer keeps (new Network(spec, be, B)
  // then momentum or Adam) would have the update read and write past its state block: NaNs at best
  if (net.layout.optimizerSlots < opts.optimizer.stateSlots)
    throw new SimdnetError(
      `the network has ${net.layout.optimizerSlots} optimizer state slot(s) per parameter, ${opts.optimizer.name} needs ${opts.optimizer.stateSlots}: create it with new Network(spec, backend, batch, optimizer.stateSlots)`,
      { field: "optimizer" },
    );
  const B = Math.min(opts.batchSize, n, net.layout.batchCapacity);
  const fullBatch = B >= n;
  const batches = Math.ceil(n / B);
  const history: EpochStats[] = [];
  const start = performance.now();
  let lastYield = start;
  let batchResident = false; // full-batch: the arena already holds the whole (unshuffled) set
  let stoppedEarly = false;
  const augRng = new Rng(0);
  const side = Math.round(Math.sqrt(train.data.inputSize));
  const transform = opts.augment ? augmenter(opts.augment, side, augRng) : undefined;
  const es = opts.earlyStopping;
  let best = es ? (es.monitor === "val_loss" ? Infinity : -Infinity) : 0;
  let bestEpoch = 0;
  let bestParams: Float32Array | null = null;
  let bestState: Float32Array | null = null;
  let sinceBest = 0;
  let stoppedAt: FitResult["stoppedAt"] = null;
  const from = opts.start;

  for (let epoch = from?.epoch ?? 1; epoch <= opts.epochs && !stoppedEarly; epoch++) {
    const resumed = from !== undefined && epoch === from.epoch;
    const t0 = performance.now();
    let trainTime = 0;
    const order: Subset = { data: train.data, indices: fullBatch ? train.indices : epochOrder(train.indices, opts.seed, epoch) };
    let lossSum = resumed ? from.lossSum : 0;
    let correct = resumed ? from.correct : 0;
    let done = resumed ? from.done : 0;
    let lr = opts.schedule.lrAt(epoch - 1);
    for (let bi = resumed ? from.batch : 0; bi < batches; bi++) {
      const s = bi * B;
      const b = Math.min(B, n - s);
      const tb = performance.now();
      const seedOfStep = stepSeed(opts.seed, (epoch - 1) * batches + bi);
      if (transform) {
        augRng.reseed(seedOfStep);
        net.loadBatch(order, s, b, transform);
      } else if (!(fullBatch && batchResident)) net.loadBatch(order, s, b);
      batchResident = fullBatch && !transform;
      const r = net.computeGradients(b, seedOfStep);
      const gradNorm = opts.clipNorm ? clipGradNorm(net, opts.clipNorm) : undefined;
      lr = opts.schedule.lrAt(epoch - 1 + bi / batches);
      opts.optimizer.step(net, lr);
      const now = performance.now();
      trainTime += now - tb;
      lossSum += r.lossSum;
      correct += r.correct;
      done += b;
      opts.onBatchEnd?.({
        epoch,
        batch: bi + 1,
        batches,
        samplesDone: done,
        samplesTotal: n,
        loss: r.lossSum / b,
        runningLoss: lossSum / done,
        runningAccuracy: correct / done,
        samplesPerSec: done / (trainTime / 1000),
        size: b,
        correct: r.correct,
        lr,
        gradNorm,
      });
      if (now - lastYield > YIELD_EVERY_MS) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
      if (opts.shouldStop?.()) {
        stoppedEarly = true;
        if (bi + 1 < batches) stoppedAt = { epoch, batch: bi + 1, lossSum, correct, done, schedule: opts.schedule.state() };
        break;
      }
    }
    let valLoss: number | null = null;
    let valAccuracy: number | null = null;
    if (val && val.indices.length > 0) {
      const v = net.evaluate(val);
      batchResident = false;
      valLoss = v.loss;
      valAccuracy = v.accuracy;
    }
    const stats: EpochStats = {
      epoch,
      trainLoss: lossSum / done,
      trainAccuracy: correct / done,
      valLoss,
      valAccuracy,
      samplesPerSec: trainTime > 0 ? done / (trainTime / 1000) : 0,
      seconds: (performance.now() - t0) / 1000,
      lr,
    };
    opts.schedule.epochEnd(valLoss);
    history.push(stats);
    if (es && valLoss !== null && valAccuracy !== null) {
      const value = es.monitor === "val_loss" ? valLoss : valAccuracy;
      const improved = es.monitor === "val_loss" ? value < best - es.minDelta : value > best + es.minDelta;
      if (improved) {
        best = value;
        bestEpoch = epoch;
        sinceBest = 0;
        if (es.restoreBest) {
          bestParams = net.getParams();
          bestState = net.getState(); // batch-norm running statistics belong to those weights
        }
      } else if (++sinceBest >= es.patience) {
        stoppedEarly = true;
      }
    }
    if (opts.onEpochEnd?.(stats) === "stop") stoppedEarly = true;
  }
  let restoredEpoch: number | null = null;
  let finalParams: Float32Array | null = null;
  if (es?.restoreBest && bestParams && bestEpoch !== history[history.length - 1]?.epoch) {
    finalParams = net.getParams();
    net.setParams(bestParams);
    net.setState(bestState!);
    restoredEpoch = bestEpoch;
  }
  return { history, seconds: (performance.now() - start) / 1000, stoppedEarly, restoredEpoch, stoppedAt, finalParams };
}
