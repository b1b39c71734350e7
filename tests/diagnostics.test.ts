// The divergence watcher on purpose-built failures: the original question's failure modes
// (a learning rate of 10, 10·randn initial weights, raw 0–255 inputs) each get the right diagnosis;
// a healthy run gets none.
import { describe, expect, it } from "vitest";
import { WasmBackend } from "../src/backend/wasm.js";
import { actForward } from "../src/backend/activations.js";
import type { Backend } from "../src/backend/types.js";
import { splitTrainVal, type Dataset } from "../src/data/dataset.js";
import { Network } from "../src/model/network.js";
import { createOptimizer } from "../src/train/optimizers.js";
import { LrSchedule } from "../src/train/schedules.js";
import { fit } from "../src/train/trainer.js";
import { DivergenceWatcher, type Diagnosis, type WatchOptions } from "../src/train/diagnostics.js";
import { syntheticDigits } from "./fixtures.js";

/** The wasm kernels, but the first layer sees raw 0–255 pixels instead of pixels/255 (what an unscaled numpy network does). */
class UnscaledInputs extends WasmBackend {
  override denseForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void {
    super.denseForwardU8(z, z, x, w, b, B, IN, OUT, 0, scratch);
    const f = this.floats();
    for (let i = 0; i < B; i++)
      for (let j = 0; j < OUT; j++) {
        const o = i * OUT + j;
        f[z + o] = 255 * f[z + o] - 254 * f[b + j]; // x·w + b from (x/255)·w + b
        f[a + o] = actForward(f[z + o], act);
      }
  }
  override denseBackwardU8(dw: number, db: number, dz: number, x: number, B: number, IN: number, OUT: number, scratch: number): void {
    super.denseBackwardU8(dw, db, dz, x, B, IN, OUT, scratch);
    this.scale(dw, IN * OUT, 255);
  }
}

const data = syntheticDigits(640, 7);
const { train, val } = splitTrainVal(data, 0.1, 1);

interface Run {
  lr?: number;
  initScale?: number;
  backend?: Backend;
  data?: Dataset;
  epochs?: number;
  watch?: WatchOptions;
  tweak?: (net: Network) => void;
}

/** Trains 784-64-10 with SGD momentum, feeding the watcher; stops at the first fatal diagnosis. */
async function watched(r: Run): Promise<{ diagnoses: Diagnosis[]; steps: number }> {
  const optimizer = createOptimizer({ name: "sgd", momentum: 0.9, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  const net = new Network({ inputSize: 784, hidden: [64], outputSize: 10, activation: "relu" }, r.backend ?? new WasmBackend(), 32, optimizer.stateSlots);
  net.init(1, r.initScale ? "normal0.01" : "he");
  if (r.initScale) net.backend.scale(net.layout.params, net.paramCount, r.initScale);
  r.tweak?.(net);
  const lr = r.lr ?? 0.1;
  const watcher = new DivergenceWatcher(net, { lr, ...r.watch });
  const diagnoses: Diagnosis[] = [];
  let steps = 0;
  const d = r.data ? splitTrainVal(r.data, 0.1, 1) : { train, val };
  await fit(net, d.train, d.val, {
    epochs: r.epochs ?? 4,
    batchSize: 32,
    schedule: new LrSchedule({ name: "constant", lr, epochs: 4, warmupEpochs: 0, gamma: 1, stepSize: 1, minLr: 0, patience: 0 }),
    seed: 1,
    optimizer,
    onBatchEnd: (b) => {
      steps++;
      const x = watcher.batch(b);
      if (x) diagnoses.push(x);
    },
    shouldStop: () => diagnoses.some((x) => x.fatal),
  });
  return { diagnoses, steps };
}

describe("divergence diagnosis", () => {
  it("a healthy run gets no diagnosis", async () => {
    const { diagnoses, steps } = await watched({ watch: { chanceAfterSteps: 20 } });
    expect(steps).toBe(4 * 18);
    expect(diagnoses).toEqual([]);
  });

  it("learning rate 10: the loss explodes after a sane start; the diagnosis blames the learning rate", async () => {
    const { diagnoses } = await watched({ lr: 10 });
    expect(diagnoses).toHaveLength(1);
    const d = diagnoses[0];
    expect(d.fatal).toBe(true);
    expect(d.step).toBeGreaterThan(1); // the first step was fine
    expect(d.message).toMatch(/^training is diverging: the loss is [\d.e+]+ at epoch 1, batch \d+ \(step \d+\), far above ln\(10\) = 2\.30/);
    const causes = d.message.split("\n").slice(2);
    expect(causes[0]).toMatch(/learning rate too high \(lr 10\): the run started sane \(loss 2\.\d+ at step 1\) and went wrong later\. Try --lr 1 or lower/);
    expect(d.message).not.toMatch(/initialisation|not scaled/);
  });

  it("10·randn initial weights: the first loss is huge; the diagnosis blames the initialisation", async () => {
    const { diagnoses } = await watched({ initScale: 1000 }); // normal0.01 × 1000 = 10·randn
    const d = diagnoses[0];
    expect(d.step).toBe(1);
    expect(d.message).toMatch(/the loss is [\d.e+]+ at epoch 1, batch 1 \(step 1\)/);
    const causes = d.message.split("\n").slice(2);
    expect(causes[0]).toMatch(/initialisation scale too large: layer 1 \(dense 64 act=relu\) started with weight RMS 10(\.\d)?, \d+× the He scale/);
    expect(d.message).toMatch(/--init he/);
    expect(d.message).not.toMatch(/not scaled|learning rate/);
  });

  it("raw 0–255 inputs: the diagnosis recognises unscaled inputs from the first layer's outputs", async () => {
    const { diagnoses } = await watched({ backend: new UnscaledInputs() });
    const d = diagnoses[0];
    expect(d.fatal).toBe(true);
    const causes = d.message.split("\n").slice(2);
    expect(causes[0]).toMatch(/inputs not scaled to \[0,1\]: at step 1 the first layer behaved as if its inputs had an RMS of \d+/);
    const rms = Number(causes[0].match(/RMS of ([\d.]+)/)![1]);
    expect(rms).toBeGreaterThan(30); // ≈ 255 × the scaled RMS
    expect(d.message).not.toMatch(/initialisation|learning rate/);
  });

  it("after a resume (startStep) the weights are trained ones: no initialisation blame, global step numbers", async () => {
    const { diagnoses } = await watched({ initScale: 1000, watch: { startStep: 500 } });
    const d = diagnoses[0];
    expect(d.step).toBe(501);
    expect(d.message).toMatch(/at epoch 1, batch 1 \(step 501\)/);
    expect(d.message).not.toMatch(/initialisation|not scaled/);
    expect(d.message).toMatch(/learning rate too high/);
  });

  it("a NaN weight: the loss becomes NaN at step 1 and the run stops", async () => {
    const { diagnoses, steps } = await watched({ tweak: (net) => (net.backend.floats()[net.layout.params + 5] = NaN) });
    expect(steps).toBe(1);
    expect(diagnoses[0].symptom).toBe("non-finite-loss");
    expect(diagnoses[0].message).toMatch(/the loss became NaN at epoch 1, batch 1 \(step 1\)/);
  });

  it("labels unrelated to the images: accuracy stays at chance and is reported", async () => {
    const noise = syntheticDigits(640, 7);
    noise.images.fill(0); // nothing to learn from: every image is blank
    const { diagnoses } = await watched({ data: noise, watch: { chanceAfterSteps: 40, chanceWindow: 20 } });
    const d = diagnoses.find((x) => x.symptom === "stuck-at-chance")!;
    expect(d.step).toBe(40);
    expect(d.message).toMatch(/after 40 steps the training accuracy over the last 20 batches is \d+\.\d%, chance level for 10 classes \(10\.0%\)/);
  });

  it("most ReLUs dead: a warning (not fatal) naming the layer and the fraction", async () => {
    const { diagnoses } = await watched({
      epochs: 1,
      tweak: (net) => {
        const L = net.layout.layers[0];
        net.backend.floats().fill(-50, L.b, L.b + 48); // 48 of 64 units never fire
      },
    });
    const d = diagnoses.find((x) => x.symptom === "dead-relus")!;
    expect(d.fatal).toBe(false);
    expect(d.message).toMatch(/^warning: many dead ReLUs: 75\.0% of the ReLU units of layer 1 \(dense 64 act=relu\) output 0 for every sample/);
  });
});
