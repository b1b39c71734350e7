// Divergence diagnosis: a watcher fed after every step. It notices the symptoms of a run gone
// wrong — a NaN/Inf loss, a loss far above an untrained network's, an exploding gradient norm,
// accuracy stuck at chance, most ReLUs dead — and explains them in plain language with the likely
// causes, ranked by what it measured (initial weight scale, the scale of the first layer's
// inputs, the learning rate, dead units), and concrete fixes.
import { ACTIVATION_CODES } from "../model/spec.js";
import type { Network } from "../model/network.js";
import type { BatchInfo } from "./trainer.js";

export type Symptom = "non-finite-loss" | "loss-explosion" | "exploding-gradient" | "stuck-at-chance" | "dead-relus";

export interface Diagnosis {
  symptom: Symptom;
  /** Whether the run should stop (under --on-divergence stop); dead ReLUs only warn. */
  fatal: boolean;
  epoch: number;
  batch: number;
  step: number;
  /** The full plain-language text: what happened, the likely causes and the fixes. */
  message: string;
}

export interface WatchOptions {
  /** Accuracy is compared with chance only after this many steps (default: 3 epochs, at least 100 and at most 500 steps). */
  chanceAfterSteps?: number;
  /** Steps averaged for the chance test (default 50). */
  chanceWindow?: number;
  /** A layer with more than this fraction of never-firing ReLUs is reported (default 0.5). */
  deadFraction?: number;
  /** The configured (peak) learning rate, for the message; default: the rate of the failing step. */
  lr?: number;
  /**
   * Steps already taken when the watcher starts (a resumed run). The weights are then trained ones,
   * so the initial-scale and input-scale evidence (which assumes freshly initialised weights) is skipped.
   */
  startStep?: number;
  /** Option names in fixes: the CLI's by default. */
  hints?: Partial<Record<"lr" | "init" | "clip", string>>;
}

// A batch loss this many times ln(C) (the loss of a network that guesses uniformly) is not learning:
// logits are thousands apart, the regime where a naive softmax overflows.
const LOSS_EXPLOSION_FACTOR = 10;
// A gradient norm this many times its size at the first steps has blown up.
const GRAD_EXPLOSION_FACTOR = 1000;
// Pixels scaled to [0,1] have an RMS of about 0.3 (MNIST); anything above this was not scaled.
const MAX_INPUT_RMS = 3;
// Initial weights this many times the He scale √(2/fan_in) are too large.
const MAX_INIT_RATIO = 5;

export class DivergenceWatcher {
  private step = 0;
  private readonly classes: number;
  private lnC: number;
  /** Per layer: RMS of the initial weights and its ratio to the He scale. */
  private readonly initRms: number[];
  private readonly regression: boolean;
  private inputRms = NaN;
  private firstLoss = NaN;
  private firstGradNorms: number[] = [];
  private lastGradNorm = NaN;
  private readonly recent: { correct: number; size: number }[] = [];
  private reported = new Set<Symptom>();
  private readonly o: Required<Omit<WatchOptions, "hints" | "lr" | "chanceAfterSteps">> & { lr?: number; chanceAfterSteps?: number; hints: Record<"lr" | "init" | "clip", string> };

  /** Create it before training: it records the initial weight scale. */
  constructor(private readonly net: Network, options: WatchOptions = {}) {
    this.o = {
      chanceAfterSteps: options.chanceAfterSteps,
      chanceWindow: options.chanceWindow ?? 50,
      deadFraction: options.deadFraction ?? 0.5,
      lr: options.lr,
      startStep: options.startStep ?? 0,
      hints: { lr: "--lr", init: "--init he", clip: "--clip-norm", ...options.hints },
    };
    this.classes = net.spec.outputSize;
    this.regression = net.spec.task === "regression";
    // regression: targets are standardised, so predicting their mean costs a loss of 1
    this.lnC = this.regression ? 1 : Math.log(this.classes);
    const f = net.backend.floats();
    this.initRms = this.weightLayers().map((L) => rms(f, L.w, L.wSize));
  }

  /** Feed after every step (onBatchEnd). Returns a diagnosis the first time a symptom shows, else null. */
  batch(info: BatchInfo): Diagnosis | null {
    this.step++;
    const gradNorm = info.gradNorm ?? Math.sqrt(this.net.backend.sumSquares(this.net.layout.grads, this.net.paramCount));
    this.lastGradNorm = gradNorm;
    if (this.step === 1) {
      this.firstLoss = info.loss;
      // regression: the reference is the larger of 1 (predicting the mean) and the first loss
      if (this.regression && Number.isFinite(info.loss)) this.lnC = Math.max(1, info.loss);
      if (this.o.startStep === 0) this.inputRms = this.firstLayerInputRms(info.size);
    }
    if (this.firstGradNorms.length < 5 && Number.isFinite(gradNorm)) this.firstGradNorms.push(gradNorm);
    this.recent.push({ correct: info.correct, size: info.size });
    if (this.recent.length > this.o.chanceWindow) this.recent.shift();

    const at = `epoch ${info.epoch}, batch ${info.batch} (step ${this.o.startStep + this.step})`;
    if (!Number.isFinite(info.loss)) return this.report("non-finite-loss", info, `the loss became ${info.loss} at ${at}.`);
    if (!Number.isFinite(gradNorm)) return this.report("exploding-gradient", info, `the gradient became ${gradNorm} at ${at} (loss ${fmt(info.loss)}).`);
    if (info.loss > LOSS_EXPLOSION_FACTOR * this.lnC)
      return this.report(
        "loss-explosion",
        info,
        `the loss is ${fmt(info.loss)} at ${at}, far above ${this.regression ? `${fmt(this.lnC)}, the larger of the first loss and 1 (the loss of predicting the mean of the standardised targets)` : `ln(${this.classes}) = ${this.lnC.toFixed(2)}, the loss of an untrained network that guesses uniformly`}` +
          (this.step > 1 ? ` (it was ${fmt(this.firstLoss)} at step ${this.o.startStep + 1}).` : "."),
      );
    const ref = median(this.firstGradNorms);
    if (this.step > this.firstGradNorms.length && gradNorm > GRAD_EXPLOSION_FACTOR * ref)
      return this.report("exploding-gradient", info, `the gradient norm grew to ${fmt(gradNorm)} at ${at}, ${fmt(gradNorm / ref)}× its ${fmt(ref)} at the first steps.`);
    if (!this.regression && this.step >= (this.o.chanceAfterSteps ?? Math.max(100, Math.min(500, 3 * info.batches)))) {
      const acc = this.recent.reduce((s, r) => s + r.correct, 0) / this.recent.reduce((s, r) => s + r.size, 0);
      if (acc < 1.5 / this.classes)
        return this.report(
          "stuck-at-chance",
          info,
          `after ${this.step} steps the training accuracy over the last ${this.recent.length} batches is ${pct(acc)}, chance level for ${this.classes} classes (${pct(1 / this.classes)}): the network is not learning.`,
        );
    }
    if (info.batch === info.batches) {
      const dead = this.deadFractions(info.size);
      const worst = Math.max(0, ...dead);
      if (worst > this.o.deadFraction) {
        const L = this.reluLayers()[dead.indexOf(worst)];
        return this.report(
          "dead-relus",
          info,
          `${pct(worst)} of the ReLU units of layer ${L.name} output 0 for every sample of the last batch at ${at} ("dead ReLUs"): they pass no gradient and never recover.`,
        );
      }
    }
    return null;
  }

  /** Layers with weights (dense, conv2d), input to output. */
  private weightLayers() {
    return this.net.layout.layers.filter((L) => L.type === "dense" || L.type === "conv2d");
  }

  /** Layers whose output goes through a ReLU (dense, conv2d, batch norm with act relu). */
  private reluLayers() {
    return this.net.layout.layers.filter((L) => L.act === ACTIVATION_CODES.relu && !L.kind.inPlace);
  }

  /**
   * Per ReLU layer: the fraction of units whose pre-activation is ≤ 0 for every row of the last
   * forward pass (`B` samples). A unit is an output feature of a dense layer, a channel of a conv
   * (over every pixel of every sample).
   */
  deadFractions(B: number): number[] {
    const f = this.net.backend.floats();
    return this.reluLayers().map((L) => {
      const units = L.output.shape[L.output.shape.length - 1];
      const rows = (B * L.outSize) / units;
      let dead = 0;
      for (let j = 0; j < units; j++) {
        let fires = false;
        for (let i = 0; i < rows && !fires; i++) fires = f[L.z + i * units + j] > 0;
        if (!fires) dead++;
      }
      return dead / units;
    });
  }

  /** Inputs per output unit of a weight layer (K·K·C for a conv). */
  private fanIn(L: { wSize: number; output: { shape: readonly number[] } }): number {
    return L.wSize / L.output.shape[L.output.shape.length - 1];
  }

  /**
   * The RMS of the first layer's inputs as the first layer sees them, estimated from its output:
   * with i.i.d. zero-mean weights of RMS σ (and zero biases, as at initialisation),
   * RMS(z) ≈ σ·√fan_in·RMS(x). Needs the z of the first forward pass (step 1).
   */
  private firstLayerInputRms(B: number): number {
    const L = this.weightLayers()[0];
    if (!L || L.index !== 0) return 0; // measured only where the first layer reads the pixels itself
    const zRms = rms(this.net.backend.floats(), L.z, B * L.outSize);
    return zRms / (this.initRms[0] * Math.sqrt(this.fanIn(L)));
  }

  private report(symptom: Symptom, info: BatchInfo, what: string): Diagnosis | null {
    if (this.reported.has(symptom)) return null;
    this.reported.add(symptom);
    const causes = this.causes(symptom, info);
    const title = symptom === "dead-relus" ? "warning: many dead ReLUs" : "training is diverging";
    const message = `${title}: ${what}\nLikely causes, most likely first:\n${causes.map((c) => `  - ${c}`).join("\n")}`;
    return { symptom, fatal: symptom !== "dead-relus", epoch: info.epoch, batch: info.batch, step: this.o.startStep + this.step, message };
  }

  /** Causes ranked by the evidence: a start that was already wrong first, then the learning rate, then dead units. */
  private causes(symptom: Symptom, info: BatchInfo): string[] {
    const h = this.o.hints;
    const out: string[] = [];
    if (this.inputRms > MAX_INPUT_RMS)
      out.push(
        `inputs not scaled to [0,1]: at step 1 the first layer behaved as if its inputs had an RMS of ${fmt(this.inputRms)} (pixels scaled to [0,1] have about 0.3), ` +
          `so raw 0–255 values are reaching it. Divide pixels by 255 (or standardise them) before the first layer.`,
      );
    const layers = this.weightLayers();
    const tooLarge = (this.o.startStep === 0 ? this.initRms : [])
      .map((r, l) => ({ l, r, he: Math.sqrt(2 / this.fanIn(layers[l])) }))
      .filter((x) => x.r > MAX_INIT_RATIO * x.he)
      .map((x) => `layer ${layers[x.l].name} started with weight RMS ${fmt(x.r)}, ${fmt(x.r / x.he)}× the He scale √(2/${this.fanIn(layers[x.l])}) = ${fmt(x.he)}`);
    if (tooLarge.length)
      out.push(`initialisation scale too large: ${tooLarge.join("; ")} (10·randn gives 10). Use ${h.init} (the default) or xavier, without an extra init scale.`);
    const startedSane = Number.isFinite(this.firstLoss) && this.firstLoss < 3 * this.lnC;
    // Accuracy stuck at chance with a sane loss is rarely the rate; a rate of 1 or more always may be.
    const blameRate = symptom === "stuck-at-chance" ? info.lr >= 1 : symptom !== "dead-relus" && (out.length === 0 || info.lr >= 1);
    if (blameRate) {
      const lr = this.o.lr ?? info.lr;
      const lower = fmt(Math.pow(10, Math.round(Math.log10(lr))) / 10);
      out.push(
        `learning rate too high (lr ${fmt(lr)})` +
          (startedSane ? `: the run started sane (loss ${fmt(this.firstLoss)} at step ${this.o.startStep + 1}) and went wrong later` : "") +
          `. Try ${h.lr} ${lower} or lower (0.1 is a good start for SGD with momentum, 0.001 for Adam), a warm-up, or ${h.clip} 1 to cap the step.`,
      );
    }
    const dead = this.deadFractions(info.size);
    const worst = Math.max(0, ...dead);
    if (worst > this.o.deadFraction || symptom === "dead-relus")
      out.push(
        `dead ReLUs: ${pct(worst)} of the units in layer ${this.reluLayers()[dead.indexOf(worst)]?.name ?? "?"} never fire — usually after a too-large step pushed their biases negative. ` +
          `Lower ${h.lr}, use ${h.init}, or --activation leaky-relu.`,
      );
    if (symptom === "stuck-at-chance" && out.length === 0)
      out.push(`nothing abnormal in the weights or inputs was measured: check that labels match images, and try ${h.lr} 0.1 with --optimizer sgd --momentum 0.9.`);
    if (!Number.isFinite(this.lastGradNorm) || symptom === "exploding-gradient") out.push(`the gradient norm is ${fmt(this.lastGradNorm)}: ${h.clip} 1 bounds each step while you fix the cause.`);
    return out;
  }
}

function rms(f: Float32Array | Float64Array, at: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += f[at + i] * f[at + i];
  return n ? Math.sqrt(s / n) : 0;
}

function median(v: number[]): number {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toPrecision(3)));
}

function pct(v: number): string {
  return `${(100 * v).toFixed(1)}%`;
}
