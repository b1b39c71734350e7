// The divergence watcher's rules one at a time, fed hand-made batch figures instead of a training
// run: each threshold on both sides of its boundary, the evidence behind each likely cause, and the
// exact text a user reads. (tests/diagnostics.test.ts runs the same watcher on real failing runs.)
import { describe, expect, it } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import { Network } from "../src/model/network.js";
import type { ModelSpec } from "../src/model/spec.js";
import { DivergenceWatcher, type WatchOptions } from "../src/train/diagnostics.js";
import type { BatchInfo } from "../src/train/trainer.js";

const MLP: ModelSpec = { inputSize: 8, hidden: [6], outputSize: 4, activation: "relu" };
const B = 4; // batch capacity; layer 1 has 6 units
const LN4 = Math.log(4);
const CAUSES = "\nLikely causes, most likely first:\n";
const LR_TEXT = (lr: string, lower: string, sane = "") =>
  `  - learning rate too high (lr ${lr})${sane}. Try --lr ${lower} or lower (0.1 is a good start for SGD with momentum, 0.001 for Adam), a warm-up, or --clip-norm 1 to cap the step.`;
const DEAD_TEXT = (pct: string) =>
  `  - dead ReLUs: ${pct} of the units in layer 1 (dense 6 act=relu) never fire — usually after a too-large step pushed their biases negative. Lower --lr, use --init he, or --activation leaky-relu.`;

/** A 8-6-4 ReLU network whose first layer fires for every row, and its watcher. */
function setup(options: WatchOptions = {}, spec: ModelSpec = MLP, weightScale = 1) {
  const net = new Network(spec, new JsBackend(), B);
  net.init(1, "he");
  if (weightScale !== 1) net.backend.scale(net.layout.params, net.paramCount, weightScale);
  const L0 = net.layout.layers[0];
  const f = net.backend.floats();
  f.fill(1, L0.z, L0.z + B * 6);
  const watcher = new DivergenceWatcher(net, options);
  return { net, watcher, f, L0 };
}

/** Figures of one step: step `s` of an epoch of `batches` steps; loss 1.2, gradient norm 1, half right. */
function step(s: number, p: Partial<BatchInfo> = {}, batches = 10): BatchInfo {
  return {
    epoch: Math.floor((s - 1) / batches) + 1,
    batch: ((s - 1) % batches) + 1,
    batches,
    samplesDone: 0,
    samplesTotal: batches * B,
    loss: 1.2,
    runningLoss: 1.2,
    runningAccuracy: 0.5,
    samplesPerSec: 0,
    size: B,
    correct: 2,
    lr: 0.1,
    gradNorm: 1,
    ...p,
  };
}

function rmsOf(f: Float32Array | Float64Array, at: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += f[at + i] ** 2;
  return Math.sqrt(s / n);
}

describe("divergence watcher: loss explosion", () => {
  it("reports a loss above 10·ln(C) (not at it), once, with the sane start and the rate to try", () => {
    const { watcher } = setup();
    expect(watcher.batch(step(1, { loss: 1.4 }))).toBeNull();
    expect(watcher.batch(step(2, { loss: 10 * LN4 }))).toBeNull();
    expect(watcher.batch(step(3, { loss: 20 }))).toEqual({
      symptom: "loss-explosion",
      fatal: true,
      epoch: 1,
      batch: 3,
      step: 3,
      message:
        "training is diverging: the loss is 20 at epoch 1, batch 3 (step 3), far above ln(4) = 1.39, the loss of an untrained network that guesses uniformly (it was 1.4 at step 1)." +
        CAUSES +
        LR_TEXT("0.1", "0.01", ": the run started sane (loss 1.4 at step 1) and went wrong later"),
    });
    expect(watcher.batch(step(4, { loss: 50 }))).toBeNull(); // each symptom is reported once
  });

  it("at step 1 there is no earlier loss to quote; a first loss of 3·ln(C) is not a sane start", () => {
    const first = setup().watcher.batch(step(1, { loss: 20 }))!;
    expect(first.message).toBe(
      "training is diverging: the loss is 20 at epoch 1, batch 1 (step 1), far above ln(4) = 1.39, the loss of an untrained network that guesses uniformly." + CAUSES + LR_TEXT("0.1", "0.01"),
    );
    const { watcher } = setup();
    watcher.batch(step(1, { loss: 3 * LN4 }));
    expect(watcher.batch(step(2, { loss: 100 }))!.message).not.toMatch(/started sane/);
    const justBelow = setup().watcher;
    justBelow.batch(step(1, { loss: 2.99 * LN4 }));
    expect(justBelow.batch(step(2, { loss: 100 }))!.message).toMatch(/started sane \(loss 4\.15 at step 1\)/);
  });

  it("a resumed run counts global steps; the configured rate and the caller's option names are quoted", () => {
    const { watcher } = setup({ startStep: 100, lr: 0.5, hints: { lr: "learningRate", clip: "clipNorm" } });
    watcher.batch(step(1, { loss: 1.4, lr: 0.02 }));
    const d = watcher.batch(step(2, { loss: 30, lr: 0.02 }))!;
    expect(d.step).toBe(102);
    expect(d.message).toBe(
      "training is diverging: the loss is 30 at epoch 1, batch 2 (step 102), far above ln(4) = 1.39, the loss of an untrained network that guesses uniformly (it was 1.4 at step 101)." +
        CAUSES +
        "  - learning rate too high (lr 0.5): the run started sane (loss 1.4 at step 101) and went wrong later. Try learningRate 0.1 or lower (0.1 is a good start for SGD with momentum, 0.001 for Adam), a warm-up, or clipNorm 1 to cap the step.",
    );
  });

  it("large and tiny numbers are written in exponent form", () => {
    const { watcher } = setup();
    const d = watcher.batch(step(1, { loss: 123456, lr: 1e-4 }))!;
    expect(d.message).toContain("the loss is 1.23e+5 at");
    expect(d.message).toContain("learning rate too high (lr 1.00e-4). Try --lr 1.00e-5 or lower");
  });

  it("regression: the reference is the larger of 1 and the first loss", () => {
    const spec: ModelSpec = { ...MLP, outputSize: 2, task: "regression" };
    const low = setup({}, spec).watcher;
    low.batch(step(1, { loss: 0.5 }));
    expect(low.batch(step(2, { loss: 10 }))).toBeNull();
    expect(low.batch(step(3, { loss: 10.5 }))!.message).toBe(
      "training is diverging: the loss is 10.5 at epoch 1, batch 3 (step 3), far above 1, the larger of the first loss and 1 (the loss of predicting the mean of the standardised targets) (it was 0.5 at step 1)." +
        CAUSES +
        LR_TEXT("0.1", "0.01", ": the run started sane (loss 0.5 at step 1) and went wrong later"),
    );
    const high = setup({}, spec).watcher;
    high.batch(step(1, { loss: 3 }));
    expect(high.batch(step(2, { loss: 29 }))).toBeNull();
    expect(high.batch(step(3, { loss: 31 }))!.symptom).toBe("loss-explosion");
  });

  it("regression is never 'stuck at chance', whatever its 'correct' count", () => {
    const { watcher } = setup({ chanceAfterSteps: 3, chanceWindow: 2 }, { ...MLP, outputSize: 2, task: "regression" });
    for (let s = 1; s <= 20; s++) expect(watcher.batch(step(s, { loss: 0.9, correct: 0 }))).toBeNull();
  });
});

describe("divergence watcher: non-finite values and the gradient norm", () => {
  it("a NaN loss is reported first, with the gradient's state", () => {
    const d = setup().watcher.batch(step(1, { loss: NaN, gradNorm: NaN }))!;
    expect(d.symptom).toBe("non-finite-loss");
    expect(d.message).toBe(
      "training is diverging: the loss became NaN at epoch 1, batch 1 (step 1)." +
        CAUSES +
        LR_TEXT("0.1", "0.01") +
        "\n  - the gradient norm is NaN: --clip-norm 1 bounds each step while you fix the cause.",
    );
  });

  it("an infinite gradient with a finite loss", () => {
    const d = setup().watcher.batch(step(1, { loss: 1.25, gradNorm: Infinity }))!;
    expect(d.symptom).toBe("exploding-gradient");
    expect(d.fatal).toBe(true);
    expect(d.message).toBe(
      "training is diverging: the gradient became Infinity at epoch 1, batch 1 (step 1) (loss 1.25)." +
        CAUSES +
        LR_TEXT("0.1", "0.01", ": the run started sane (loss 1.25 at step 1) and went wrong later") +
        "\n  - the gradient norm is Infinity: --clip-norm 1 bounds each step while you fix the cause.",
    );
  });

  it("a gradient norm above 1000× the median of the first five steps (not at it)", () => {
    const { watcher } = setup();
    [1, 2, 3, 4, 5].forEach((g, i) => expect(watcher.batch(step(i + 1, { gradNorm: g }))).toBeNull());
    expect(watcher.batch(step(6, { gradNorm: 3000 }))).toBeNull();
    const d = watcher.batch(step(7, { gradNorm: 3000.5 }))!;
    expect(d.symptom).toBe("exploding-gradient");
    expect(d.message).toBe(
      "training is diverging: the gradient norm grew to 3000 at epoch 1, batch 7 (step 7), 1000× its 3 at the first steps." +
        CAUSES +
        LR_TEXT("0.1", "0.01", ": the run started sane (loss 1.2 at step 1) and went wrong later") +
        "\n  - the gradient norm is 3000: --clip-norm 1 bounds each step while you fix the cause.",
    );
  });

  it("the first five steps only collect the reference; a spike among them does not move the median", () => {
    const { watcher } = setup();
    expect(watcher.batch(step(1, { gradNorm: 1 }))).toBeNull();
    expect(watcher.batch(step(2, { gradNorm: 1e6 }))).toBeNull();
    for (let s = 3; s <= 5; s++) expect(watcher.batch(step(s, { gradNorm: 1 }))).toBeNull();
    expect(watcher.batch(step(6, { gradNorm: 1001 }))!.message).toContain("grew to 1000 at epoch 1, batch 6 (step 6), 1000× its 1 at the first steps");
  });

  it("a non-finite norm is not part of the reference", () => {
    const { watcher } = setup();
    watcher.batch(step(1, { loss: NaN, gradNorm: NaN })); // reported (non-finite loss), not a reference
    for (let s = 2; s <= 6; s++) expect(watcher.batch(step(s, { gradNorm: 2 }))).toBeNull();
    expect(watcher.batch(step(7, { gradNorm: 2001 }))!.message).toContain("1000× its 2 at the first steps");
  });

  it("without a measured norm it computes the norm of the gradient block itself", () => {
    const { net, watcher, f } = setup();
    const g = net.layout.grads;
    const n = net.paramCount;
    f.fill(0, g, g + n);
    f[g] = 3;
    f[g + n - 1] = 4; // norm 5
    for (let s = 1; s <= 5; s++) expect(watcher.batch(step(s, { gradNorm: undefined }))).toBeNull();
    f[g] = 6000;
    f[g + n - 1] = 0;
    expect(watcher.batch(step(6, { gradNorm: undefined }))!.message).toContain("grew to 6000 at epoch 1, batch 6 (step 6), 1200× its 5 at the first steps");
  });
});

describe("divergence watcher: accuracy stuck at chance", () => {
  /** Steps at 25% training accuracy (chance for 4 classes) until the watcher speaks. */
  function stuckUntil(batches: number): number {
    const { watcher } = setup();
    for (let s = 1; s <= 1000; s++) if (watcher.batch(step(s, { correct: 1 }, batches))) return s;
    return -1;
  }

  it("is judged after 3 epochs, but at least 100 and at most 500 steps", () => {
    expect(stuckUntil(10)).toBe(100);
    expect(stuckUntil(50)).toBe(150);
    expect(stuckUntil(1000)).toBe(500);
  });

  it("with nothing abnormal measured it points at the labels, not the rate", () => {
    const { watcher } = setup();
    let d = null;
    for (let s = 1; s <= 100 && !d; s++) d = watcher.batch(step(s, { correct: 1 }));
    expect(d).toEqual({
      symptom: "stuck-at-chance",
      fatal: true,
      epoch: 10,
      batch: 10,
      step: 100,
      message:
        "training is diverging: after 100 steps the training accuracy over the last 50 batches is 25.0%, chance level for 4 classes (25.0%): the network is not learning." +
        CAUSES +
        "  - nothing abnormal in the weights or inputs was measured: check that labels match images, and try --lr 0.1 with --optimizer sgd --momentum 0.9.",
    });
  });

  it("a rate of 1 or more is blamed", () => {
    const { watcher } = setup({ chanceAfterSteps: 1 });
    const d = watcher.batch(step(1, { correct: 0, lr: 1 }))!;
    expect(d.message.split("\n").slice(2)).toEqual([LR_TEXT("1", "0.1", ": the run started sane (loss 1.2 at step 1) and went wrong later")]);
  });

  it("averages the last chanceWindow batches and needs less than 1.5× chance", () => {
    const { watcher } = setup({ chanceAfterSteps: 3, chanceWindow: 2 });
    expect(watcher.batch(step(1, { correct: 4 }))).toBeNull();
    expect(watcher.batch(step(2, { correct: 3 }))).toBeNull();
    expect(watcher.batch(step(3, { correct: 0 }))).toBeNull(); // (3 + 0) / 8 = 1.5 / 4 exactly
    const d = watcher.batch(step(4, { correct: 0 }))!;
    expect(d.message).toMatch(/^training is diverging: after 4 steps the training accuracy over the last 2 batches is 0\.0%, chance level for 4 classes \(25\.0%\)/);
  });
});

describe("divergence watcher: dead ReLUs", () => {
  /** Layer 1's pre-activations by row: units 0–3 never fire in the batch's 3 rows. */
  function deadLayer(f: Float32Array | Float64Array, z: number, deadUnits = 4) {
    f.fill(1, z, z + B * 6);
    for (let j = 0; j < deadUnits; j++) for (let i = 0; i < 3; i++) f[z + i * 6 + j] = j === 0 ? 0 : -1 - i;
    f[z + 3 * 6 + 0] = 5; // a 4th row, beyond the batch of 3: does not count
    f[z + 0 * 6 + 4] = -1;
    f[z + 1 * 6 + 4] = -1; // unit 4 fires in the last row only: alive
  }

  it("are checked at the end of an epoch, and a layer with more than half its units dead is named", () => {
    const { watcher, f, L0 } = setup();
    deadLayer(f, L0.z);
    expect(watcher.deadFractions(3)).toEqual([4 / 6]);
    expect(watcher.batch(step(9, { size: 3 }))).toBeNull(); // not the epoch's last batch
    expect(watcher.batch(step(10, { size: 3 }))).toEqual({
      symptom: "dead-relus",
      fatal: false,
      epoch: 1,
      batch: 10,
      step: 2,
      message:
        'warning: many dead ReLUs: 66.7% of the ReLU units of layer 1 (dense 6 act=relu) output 0 for every sample of the last batch at epoch 1, batch 10 (step 2) ("dead ReLUs"): they pass no gradient and never recover.' +
        CAUSES +
        DEAD_TEXT("66.7%"),
    });
  });

  it("exactly half dead is not reported; the threshold is an option", () => {
    const half = setup();
    deadLayer(half.f, half.L0.z, 3);
    expect(half.watcher.deadFractions(3)).toEqual([0.5]);
    expect(half.watcher.batch(step(10, { size: 3 }))).toBeNull();
    const strict = setup({ deadFraction: 0.4 });
    deadLayer(strict.f, strict.L0.z, 3);
    expect(strict.watcher.batch(step(10, { size: 3 }))!.message).toMatch(/^warning: many dead ReLUs: 50\.0% of the ReLU units/);
  });

  it("dead units are listed after the rate among the causes of a divergence", () => {
    const { watcher, f, L0 } = setup();
    watcher.batch(step(1, { loss: 1.3 }));
    deadLayer(f, L0.z);
    const d = watcher.batch(step(2, { loss: 40, size: 3 }))!;
    expect(d.message.split("\n").slice(2)).toEqual([LR_TEXT("0.1", "0.01", ": the run started sane (loss 1.3 at step 1) and went wrong later"), DEAD_TEXT("66.7%")]);
  });
});

describe("divergence watcher: evidence from the start of the run", () => {
  it("initial weights more than 5× the He scale are blamed, layer by layer, and the rate only from 1 up", () => {
    const { net, watcher, f } = setup({}, MLP, 10);
    const d = watcher.batch(step(1, { loss: 500, lr: 0.99 }))!;
    const [w0, w1] = net.paramLayers.map((L) => rmsOf(f, L.w, L.wSize));
    const causes = d.message.split("\n").slice(2);
    expect(causes).toHaveLength(1);
    const m = causes[0].match(
      /^ {2}- initialisation scale too large: layer 1 \(dense 6 act=relu\) started with weight RMS ([\d.]+), ([\d.]+)× the He scale √\(2\/8\) = 0\.5; layer 2 \(dense 4\) started with weight RMS ([\d.]+), ([\d.]+)× the He scale √\(2\/6\) = 0\.577 \(10·randn gives 10\)\. Use --init he \(the default\) or xavier, without an extra init scale\.$/,
    )!;
    expect(m).not.toBeNull();
    expect(Number(m[1])).toBeCloseTo(w0, 2);
    expect(Number(m[2])).toBeCloseTo(w0 / 0.5, 1);
    expect(Number(m[3])).toBeCloseTo(w1, 2);
    expect(Number(m[4])).toBeCloseTo(w1 / Math.sqrt(2 / 6), 1);
    const at1 = setup({}, MLP, 10).watcher.batch(step(1, { loss: 500, lr: 1 }))!;
    expect(at1.message.split("\n").slice(2)[1]).toBe(LR_TEXT("1", "0.1"));
  });

  it("2.5× the He scale is not blamed, and a resumed run's trained weights never are", () => {
    expect(setup({}, MLP, 2.5).watcher.batch(step(1, { loss: 500 }))!.message).not.toMatch(/initialisation/);
    expect(setup({ startStep: 7 }, MLP, 10).watcher.batch(step(1, { loss: 500 }))!.message).not.toMatch(/initialisation/);
  });

  it("first-layer outputs as if the inputs had an RMS above 3 mean unscaled pixels (measured at step 1 only)", () => {
    const run = (inputRms: number, options: WatchOptions = {}, atStep = 1) => {
      const { net, watcher, f, L0 } = setup(options);
      const expectedZ = inputRms * rmsOf(f, L0.w, L0.wSize) * Math.sqrt(8);
      if (atStep === 1) f.fill(expectedZ, L0.z, L0.z + B * 6);
      watcher.batch(step(1, { loss: 1.3 }));
      if (atStep === 2) f.fill(expectedZ, L0.z, L0.z + B * 6);
      void net;
      return watcher.batch(step(2, { loss: 100 }))!.message.split("\n").slice(2);
    };
    expect(run(3.1)).toEqual([
      "  - inputs not scaled to [0,1]: at step 1 the first layer behaved as if its inputs had an RMS of 3.1 (pixels scaled to [0,1] have about 0.3), so raw 0–255 values are reaching it. Divide pixels by 255 (or standardise them) before the first layer.",
    ]);
    expect(run(2.9)[0]).toMatch(/learning rate too high/);
    expect(run(50, { startStep: 3 }).join("\n")).not.toMatch(/not scaled/);
    expect(run(50, {}, 2).join("\n")).not.toMatch(/not scaled/);
  });
});
