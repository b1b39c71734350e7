// Checkpoints: a run stopped anywhere and resumed from its checkpoint ends with exactly the
// weights of the uninterrupted run (wasm backend, dropout, augmentation, momentum, cosine decay).
import { describe, expect, it } from "vitest";
import { WasmBackend } from "../src/backend/wasm.js";
import { JsBackend } from "../src/backend/js.js";
import { splitTrainVal } from "../src/data/dataset.js";
import { Network } from "../src/model/network.js";
import { createOptimizer, type OptimizerConfig } from "../src/train/optimizers.js";
import { LrSchedule } from "../src/train/schedules.js";
import { fit, type FitOptions, type FitPosition } from "../src/train/trainer.js";
import { captureCheckpoint, dataFingerprint, decodeCheckpoint, encodeCheckpoint, restoreCheckpoint, type Checkpoint } from "../src/train/checkpoint.js";
import { SimdnetError } from "../src/errors.js";
import { syntheticDigits } from "./fixtures.js";
import { SMALL_CNN } from "./format-helpers.js";

const data = syntheticDigits(300, 7);
const { train, val } = splitTrainVal(data, 0.2, 3);
const spec = { inputSize: 784, hidden: [24], outputSize: 10, activation: "relu" as const };
const EPOCHS = 3;
const BATCH = 32; // 240 train samples: 8 batches per epoch

// "plateau" runs adam with reduce-on-plateau at a rate high enough (0.03) that the validation loss
// rises after epoch 1 (measured: 0.052, 0.338, 0.137, 0.103), so the rate halves at the end of
// epochs 2, 3 and 4: a resume that dropped the schedule's state would train on at the wrong rate.
type Variant = OptimizerConfig["name"] | "plateau";
function setup(variant: Variant) {
  const optName = variant === "plateau" ? "adam" : variant;
  const epochs = variant === "plateau" ? 4 : EPOCHS;
  const optimizer = createOptimizer({ name: optName, momentum: 0.9, nesterov: false, weightDecay: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const net = new Network(spec, new WasmBackend(), BATCH, optimizer.stateSlots, 0.1);
  net.init(5, "he");
  const lr = variant === "sgd" ? 0.05 : variant === "adam" ? 0.002 : 0.03;
  const schedule = new LrSchedule({ name: optName === "sgd" ? "cosine" : "plateau", lr, epochs, warmupEpochs: 0.5, gamma: 0.5, stepSize: 1, minLr: 0, patience: 0 });
  const opts: FitOptions = { epochs, batchSize: BATCH, schedule, seed: 11, optimizer, augment: { kind: "shift", maxShift: 2, maxRotate: 0, maxScale: 0 } };
  return { net, optimizer, schedule, opts };
}

/** Runs until `stopAfter` steps, checkpoints (through bytes), resumes in a fresh network and finishes. */
async function interruptedRun(optName: Variant, stopAfter: number): Promise<{ params: Float32Array; ck: Checkpoint }> {
  const a = setup(optName);
  let steps = 0;
  const r = await fit(a.net, train, val, { ...a.opts, shouldStop: () => ++steps >= stopAfter });
  const last = r.history[r.history.length - 1].epoch;
  const position: FitPosition = r.stoppedAt ?? { epoch: last + 1, batch: 0, lossSum: 0, correct: 0, done: 0 };
  const schedule = r.stoppedAt?.schedule ?? a.schedule.state();
  const bytes = encodeCheckpoint(captureCheckpoint(a.net, a.optimizer, schedule, position, 11, { note: "test" }, dataFingerprint(data.labels, train.indices)));
  const ck = decodeCheckpoint(bytes, "run.simdckpt");
  const b = setup(optName);
  b.net.init(999, "xavier"); // whatever the fresh network holds is overwritten
  restoreCheckpoint(ck, b.net, b.optimizer, b.schedule);
  await fit(b.net, train, val, { ...b.opts, start: ck.position });
  return { params: b.net.getParams(), ck };
}

describe("checkpoint and resume", () => {
  for (const optName of ["sgd", "adam"] as const) {
    it(`${optName}: resuming mid-epoch and at an epoch boundary gives bit-identical weights`, async () => {
      const ref = setup(optName);
      await fit(ref.net, train, val, ref.opts);
      const expected = Buffer.from(ref.net.getParams().buffer);
      for (const stopAfter of [3, 8, 13, 23]) {
        const { params, ck } = await interruptedRun(optName, stopAfter);
        // 8 batches per epoch: step 8 ends epoch 1, step 13 is batch 5 of epoch 2
        expect(ck.position.epoch).toBe(Math.floor(stopAfter / 8) + 1);
        expect(ck.position.batch).toBe(stopAfter % 8);
        expect(ck.optimizer.steps).toBe(stopAfter);
        expect(Buffer.from(params.buffer).equals(expected), `stop after ${stopAfter} steps`).toBe(true);
      }
    });
  }

  it("adam + reduce-on-plateau: rate decays before the interruption survive the resume", async () => {
    const ref = setup("plateau");
    await fit(ref.net, train, val, ref.opts);
    expect(ref.schedule.state().plateauScale, "the reference run must reach plateau decays").toBe(0.125);
    const expected = Buffer.from(ref.net.getParams().buffer);
    // step 20: batch 4 of epoch 3 (one decay so far); step 24: end of epoch 3 (two); 27: in epoch 4
    for (const [stopAfter, scale] of [[20, 0.5], [24, 0.25], [27, 0.25]]) {
      const { params, ck } = await interruptedRun("plateau", stopAfter);
      expect(ck.schedule.plateauScale, `schedule state at step ${stopAfter}`).toBe(scale);
      expect(ck.schedule.best).toBeLessThan(0.1);
      expect(Buffer.from(params.buffer).equals(expected), `stop after ${stopAfter} steps`).toBe(true);
    }
  });

  it("capture → bytes → restore puts back parameters, optimizer state, step count and schedule state exactly", async () => {
    const a = setup("plateau");
    let steps = 0;
    const r = await fit(a.net, train, val, { ...a.opts, shouldStop: () => ++steps >= 20 });
    const state = r.stoppedAt!.schedule;
    expect(state.plateauScale).toBe(0.5);
    const { optState, optimizerSlots, paramCount } = a.net.layout;
    const optBefore = Float32Array.from(a.net.backend.floats().subarray(optState, optState + optimizerSlots * paramCount));
    expect(optBefore.some((v) => v !== 0)).toBe(true);
    const ck = decodeCheckpoint(encodeCheckpoint(captureCheckpoint(a.net, a.optimizer, state, r.stoppedAt!, 11, {}, dataFingerprint(data.labels, train.indices))), "c.simdckpt");
    const b = setup("plateau");
    b.net.init(999, "xavier");
    restoreCheckpoint(ck, b.net, b.optimizer, b.schedule);
    expect(Buffer.from(b.net.getParams().buffer).equals(Buffer.from(a.net.getParams().buffer)), "params").toBe(true);
    const optAfter = Float32Array.from(b.net.backend.floats().subarray(b.net.layout.optState, b.net.layout.optState + optimizerSlots * paramCount));
    expect(Buffer.from(optAfter.buffer).equals(Buffer.from(optBefore.buffer)), "optimizer state").toBe(true);
    expect(b.optimizer.steps).toBe(20);
    expect(b.schedule.state()).toEqual(state);
    expect(b.schedule.lrAt(2.5)).toBe(0.03 * 0.5);
  });

  it("refuses a checkpoint for another architecture or optimizer, naming the field", () => {
    const a = setup("sgd");
    const ck = captureCheckpoint(a.net, a.optimizer, a.schedule.state(), { epoch: 1, batch: 0, lossSum: 0, correct: 0, done: 0 }, 1, {}, { count: 1, labelsCrc32: "00000000" });
    const other = new Network({ ...spec, hidden: [12] }, new WasmBackend(), BATCH, 1);
    expect(() => restoreCheckpoint(ck, other, a.optimizer, a.schedule, "c.simdckpt")).toThrow(/c\.simdckpt, field hidden: checkpoint is for a 784-24-10 relu network, not 784-12-10 relu/);
    const adam = setup("adam");
    expect(() => restoreCheckpoint(ck, adam.net, adam.optimizer, adam.schedule, "c.simdckpt")).toThrow(SimdnetError);
  });

  // A CNN with batch norm and dropout (8×8×1 → conv 4 3 → batchnorm → maxpool 2 → dropout 0.2 → dense 3),
  // on the TypeScript backend: the running statistics travel in the checkpoint's state block, so the
  // resumed run ends with the same weights AND the same running mean/variance.
  describe("a CNN with batch norm and dropout (js backend)", () => {
    const cnnData = syntheticDigits(120, 5, 64, 3);
    const cnn = splitTrainVal(cnnData, 0.25, 2); // 90 train samples: 6 batches of 16 per epoch
    const cnnSetup = () => {
      const optimizer = createOptimizer({ name: "adam", momentum: 0.9, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
      const net = new Network(SMALL_CNN, new JsBackend("f32"), 16, optimizer.stateSlots);
      net.init(3, "he");
      // plateau: the schedule reads the validation loss, which runs on the running statistics
      const schedule = new LrSchedule({ name: "plateau", lr: 0.01, epochs: 3, warmupEpochs: 0, gamma: 0.5, stepSize: 1, minLr: 0, patience: 0 });
      const opts: FitOptions = { epochs: 3, batchSize: 16, schedule, seed: 4, optimizer };
      return { net, optimizer, schedule, opts };
    };
    it("resuming mid-epoch and at an epoch boundary gives bit-identical weights and running statistics", async () => {
      const ref = cnnSetup();
      await fit(ref.net, cnn.train, cnn.val, ref.opts);
      const expected = { params: Buffer.from(ref.net.getParams().buffer), state: Buffer.from(ref.net.getState().buffer) };
      expect(ref.net.layout.stateCount).toBe(8);
      expect(ref.net.getState().some((v, i) => (i < 4 ? v !== 0 : v !== 1)), "the running statistics moved").toBe(true);
      for (const stopAfter of [4, 6, 10]) {
        const a = cnnSetup();
        let steps = 0;
        const r = await fit(a.net, cnn.train, cnn.val, { ...a.opts, shouldStop: () => ++steps >= stopAfter });
        const position: FitPosition = r.stoppedAt ?? { epoch: r.history[r.history.length - 1].epoch + 1, batch: 0, lossSum: 0, correct: 0, done: 0 };
        const bytes = encodeCheckpoint(captureCheckpoint(a.net, a.optimizer, r.stoppedAt?.schedule ?? a.schedule.state(), position, 4, {}, dataFingerprint(cnnData.labels, cnn.train.indices)));
        const ck = decodeCheckpoint(bytes, "cnn.simdckpt");
        expect(ck.spec.layers?.map((c) => c.type)).toEqual(["conv2d", "batchNormalization", "maxPooling2d", "dropout"]);
        expect(Buffer.from(ck.state.buffer).equals(Buffer.from(a.net.getState().buffer))).toBe(true);
        const b = cnnSetup();
        b.net.init(77, "xavier");
        restoreCheckpoint(ck, b.net, b.optimizer, b.schedule);
        await fit(b.net, cnn.train, cnn.val, { ...b.opts, start: ck.position });
        expect(Buffer.from(b.net.getParams().buffer).equals(expected.params), `params, stop after ${stopAfter}`).toBe(true);
        expect(Buffer.from(b.net.getState().buffer).equals(expected.state), `running statistics, stop after ${stopAfter}`).toBe(true);
      }
    });
    it("refuses a checkpoint of another stack, naming the layers", () => {
      const a = cnnSetup();
      const ck = captureCheckpoint(a.net, a.optimizer, a.schedule.state(), { epoch: 1, batch: 0, lossSum: 0, correct: 0, done: 0 }, 1, {}, { count: 1, labelsCrc32: "00000000" });
      const other = new Network({ ...SMALL_CNN, layers: SMALL_CNN.layers!.slice(0, 1) }, new JsBackend("f32"), 16, 2);
      expect(() => restoreCheckpoint(ck, other, a.optimizer, a.schedule, "c.simdckpt")).toThrow(/c\.simdckpt, field layers: checkpoint is for a 8×8×1 → conv 4 3 act=relu, batchnorm, maxpool 2, dropout 0\.2, dense 3 network, not 8×8×1 → conv 4 3 act=relu, dense 3/);
    });
  });
});
