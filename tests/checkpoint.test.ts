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
import { encodeFramed } from "../src/model/format.js";

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

// The decoder checks every header field (a corrupt or hand-edited checkpoint must be refused with
// the field named, never half-restored): each case breaks one field of a valid checkpoint.
describe("checkpoint header validation", () => {
  const a = setup("sgd");
  const position = { epoch: 2, batch: 3, lossSum: 1.5, correct: 40, done: 96 };
  const bytes = encodeCheckpoint(captureCheckpoint(a.net, a.optimizer, a.schedule.state(), position, 11, { note: "x" }, dataFingerprint(data.labels, train.indices)));
  const H = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + H)));
  const payload = bytes.subarray(12 + H);
  const withHeader = (h: object) => encodeFramed("SIMDCKPT", h, payload);
  const P = a.net.layout.paramCount;
  const v1 = { ...header, version: 1, inputSize: 784, outputSize: 10, hidden: [24], activation: "relu", paramCount: P };
  const fieldOf = (b: Uint8Array) => {
    try {
      decodeCheckpoint(b, "c.simdckpt");
    } catch (e) {
      expect(e).toBeInstanceOf(SimdnetError);
      return (e as SimdnetError).field;
    }
    return "accepted";
  };

  it("the unbroken header decodes, as version 2 and as version 1", () => {
    expect(fieldOf(withHeader(header))).toBe("accepted");
    expect(fieldOf(withHeader(v1))).toBe("accepted");
    expect(decodeCheckpoint(withHeader(v1)).spec).toMatchObject({ inputSize: 784, hidden: [24], outputSize: 10, activation: "relu" });
  });

  const cases: [string, (h: Record<string, any>) => void, string][] = [
    ["format", (h) => (h.format = "simdnet-model"), "format"],
    ["version", (h) => (h.version = 3), "version"],
    ["optimizer missing", (h) => delete h.optimizer, "optimizer"],
    ["optimizer name not a string", (h) => (h.optimizer = { ...h.optimizer, name: 5 }), "optimizer"],
    ["optimizer slots 3", (h) => (h.optimizer = { ...h.optimizer, slots: 3 }), "optimizer"],
    ["optimizer steps −1", (h) => (h.optimizer = { ...h.optimizer, steps: -1 }), "optimizer"],
    ["optimizer steps 1.5", (h) => (h.optimizer = { ...h.optimizer, steps: 1.5 }), "optimizer"],
    ["position null", (h) => (h.position = null), "position"],
    ["position epoch 0", (h) => (h.position = { ...h.position, epoch: 0 }), "position"],
    ["position batch −1", (h) => (h.position = { ...h.position, batch: -1 }), "position"],
    ["position lossSum NaN (null in JSON)", (h) => (h.position = { ...h.position, lossSum: null }), "position"],
    ["position correct > done", (h) => (h.position = { ...h.position, correct: 97 }), "position"],
    ["position done −1", (h) => (h.position = { ...h.position, done: -1, correct: 0 }), "position"],
    ["epochsCompleted ≠ epoch − 1", (h) => (h.epochsCompleted = 2), "epochsCompleted"],
    ["schedule missing", (h) => delete h.schedule, "schedule"],
    ["schedule plateauScale a string", (h) => (h.schedule = { ...h.schedule, plateauScale: "1" }), "schedule"],
    ["schedule best a string", (h) => (h.schedule = { ...h.schedule, best: "x" }), "schedule"],
    ["schedule bad −1", (h) => (h.schedule = { ...h.schedule, bad: -1 }), "schedule"],
    ["seed 2^32", (h) => (h.seed = 2 ** 32), "seed"],
    ["seed −1", (h) => (h.seed = -1), "seed"],
    ["data missing", (h) => delete h.data, "data"],
    ["data count 0", (h) => (h.data = { ...h.data, count: 0 }), "data"],
    ["data labelsCrc32 with a prefix", (h) => (h.data = { ...h.data, labelsCrc32: "x" + h.data.labelsCrc32 }), "data"],
    ["data labelsCrc32 with a suffix", (h) => (h.data = { ...h.data, labelsCrc32: h.data.labelsCrc32 + "0" }), "data"],
    ["config an array", (h) => (h.config = []), "config"],
    ["config null", (h) => (h.config = null), "config"],
    ["floats checksum", (h) => (h.floatsCrc32 = "00000000"), "floatsCrc32"],
  ];
  for (const [what, breakIt, field] of cases)
    it(`refuses ${what}, naming ${field}`, () => {
      const h = structuredClone(header);
      breakIt(h);
      expect(fieldOf(withHeader(h))).toBe(field);
    });

  const v1Cases: [string, (h: Record<string, any>) => void, string][] = [
    ["inputSize 0", (h) => (h.inputSize = 0), "inputSize"],
    ["outputSize 1.5", (h) => (h.outputSize = 1.5), "outputSize"],
    ["hidden not an array", (h) => (h.hidden = 24), "hidden"],
    ["hidden with a 0 after a valid width", (h) => (h.hidden = [24, 0]), "hidden"],
    ["activation unknown", (h) => (h.activation = "swish"), "activation"],
    ["paramCount wrong", (h) => (h.paramCount = P + 1), "paramCount"],
  ];
  for (const [what, breakIt, field] of v1Cases)
    it(`version 1: refuses ${what}, naming ${field}`, () => {
      const h = structuredClone(v1);
      breakIt(h);
      expect(fieldOf(withHeader(h))).toBe(field);
    });

  it("a float block cut short or too long is named (weights), with the expected size", () => {
    const cut = encodeFramed("SIMDCKPT", header, payload.subarray(0, payload.length - 4));
    expect(() => decodeCheckpoint(cut, "c.simdckpt")).toThrow(/truncated float block: expected \d+ bytes/);
    expect(fieldOf(cut)).toBe("weights");
    const long = encodeFramed("SIMDCKPT", header, new Uint8Array([...payload, 0, 0, 0, 0]));
    expect(() => decodeCheckpoint(long, "c.simdckpt")).toThrow(/oversized float block/);
  });

  it("the data fingerprint hashes the labels in subset order (and zeros without labels)", () => {
    const labels = Uint8Array.from([5, 6, 7]);
    const fp = dataFingerprint(labels, Uint32Array.from([2, 0]));
    expect(fp).toEqual({ count: 2, labelsCrc32: dataFingerprint(Uint8Array.from([7, 5]), Uint32Array.from([0, 1])).labelsCrc32 });
    expect(fp.labelsCrc32).not.toBe(dataFingerprint(labels, Uint32Array.from([0, 2])).labelsCrc32);
    expect(dataFingerprint(null, Uint32Array.from([2, 0])).labelsCrc32).toBe(dataFingerprint(Uint8Array.from([0, 0]), Uint32Array.from([0, 1])).labelsCrc32);
  });

  it("refuses another optimizer of the same slot count, and the same name with other slots", () => {
    const ck = captureCheckpoint(a.net, a.optimizer, a.schedule.state(), position, 1, {}, { count: 1, labelsCrc32: "00000000" });
    // sgd-momentum (1 slot) into plain SGD with weight decay (also 1 slot)
    const wd = createOptimizer({ name: "sgd", momentum: 0, nesterov: false, weightDecay: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const net1 = new Network(spec, new WasmBackend(), BATCH, wd.stateSlots);
    expect(() => restoreCheckpoint(ck, net1, wd, a.schedule, "c.simdckpt")).toThrow(/checkpoint holds sgd-momentum state, the run uses sgd/);
    // plain SGD with weight decay (1 slot) into plain SGD without (0 slots): the same name
    const ckWd = captureCheckpoint(net1, wd, a.schedule.state(), position, 1, {}, { count: 1, labelsCrc32: "00000000" });
    const plain = createOptimizer({ name: "sgd", momentum: 0, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const net0 = new Network(spec, new WasmBackend(), BATCH, plain.stateSlots);
    expect(() => restoreCheckpoint(ckWd, net0, plain, a.schedule, "c.simdckpt")).toThrow(SimdnetError);
  });
});
