// A stack of layers laid out in one arena and run through a Backend: forward, loss, backward, evaluate.
import type { Backend } from "../backend/types.js";
import { NONE } from "../backend/types.js";
import { checkArenaFits, computeLayout, type ArenaLayout } from "./arena.js";
import { hasFloatInput, isRegression, layerSizes, type ModelSpec } from "./spec.js";
import { SimdnetError } from "../errors.js";
import { Rng } from "../rng.js";
import type { Subset } from "../data/dataset.js";

export type InitScheme = "he" | "xavier" | "normal0.01";
export const INIT_SCHEMES: InitScheme[] = ["he", "xavier", "normal0.01"];

export interface BatchResult {
  /** Summed (not mean) cross-entropy over the batch. */
  lossSum: number;
  correct: number;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  count: number;
}

export class Network {
  readonly layout: ArenaLayout;
  /** Whether the last forward pass applied dropout (backward must then apply the same masks). */
  private dropoutApplied = false;

  /** dropout: rate after every hidden dense layer during training (0: none; no mask memory). */
  constructor(
    readonly spec: ModelSpec,
    readonly backend: Backend,
    batchCapacity: number,
    optimizerSlots = 0,
    readonly dropout = 0,
  ) {
    if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`dropout rate ${dropout} not in [0, 1)`);
    this.layout = computeLayout(spec, batchCapacity, optimizerSlots, dropout, backend.threads ?? 1);
    checkArenaFits(this.layout);
    backend.allocate(this.layout.totalSlots);
    backend.setThreadScratch?.(this.layout.scratchStride);
    backend.zero(0, this.layout.totalSlots); // a reused backend must not leak old optimizer state
    this.resetState();
  }

  /** Layers that hold parameters (dense, conv2d, batch norm), input to output. */
  get paramLayers() {
    return this.layout.layers.filter((L) => L.paramCount > 0);
  }

  get paramCount(): number {
    return this.layout.paramCount;
  }

  /**
   * Weights from the seeded RNG, layer by layer (biases and shifts zero, scales one).
   * he: N(0, 2/fanIn); xavier: U(±√(6/(fanIn+fanOut))); normal0.01: 0.01·N(0,1). fanIn of a conv is K·K·C.
   */
  init(seed: number, scheme: InitScheme = "he"): void {
    const rng = new Rng(seed);
    const f = this.backend.floats();
    for (const L of this.layout.layers) {
      for (const bl of L.kind.params(L.config, L.input.shape, L.output.shape)) {
        const at = L.params[bl.name];
        if (bl.init === "zeros") f.fill(0, at, at + bl.size);
        else if (bl.init === "ones") f.fill(1, at, at + bl.size);
        else if (scheme === "xavier") {
          const r = Math.sqrt(6 / (bl.fanIn! + bl.fanOut!));
          for (let i = 0; i < bl.size; i++) f[at + i] = (2 * rng.next() - 1) * r;
        } else {
          const std = scheme === "he" ? Math.sqrt(2 / bl.fanIn!) : 0.01;
          for (let i = 0; i < bl.size; i++) f[at + i] = std * rng.normal();
        }
      }
    }
    this.resetState();
  }

  /** Running statistics to their starting values (mean 0, variance 1). */
  resetState(): void {
    const f = this.backend.floats();
    for (const L of this.layout.layers)
      for (const bl of L.kind.state(L.config, L.input.shape, L.output.shape)) f.fill(bl.init === "ones" ? 1 : 0, L.state[bl.name], L.state[bl.name] + bl.size);
  }

  /** A copy of the non-trainable state (batch-norm running statistics) as float32. */
  getState(): Float32Array {
    const { state, stateCount } = this.layout;
    return Float32Array.from(this.backend.floats().subarray(state, state + stateCount));
  }

  setState(values: ArrayLike<number>): void {
    if (values.length !== this.layout.stateCount) throw new RangeError(`expected ${this.layout.stateCount} state values, got ${values.length}`);
    this.backend.floats().set(values, this.layout.state);
  }

  /** A copy of the flat parameter block as float32. */
  getParams(): Float32Array {
    const { params, paramCount } = this.layout;
    return Float32Array.from(this.backend.floats().subarray(params, params + paramCount));
  }

  setParams(values: ArrayLike<number>): void {
    if (values.length !== this.layout.paramCount)
      throw new RangeError(`expected ${this.layout.paramCount} parameters, got ${values.length}`);
    this.backend.floats().set(values, this.layout.params);
  }

  /**
   * Gathers rows indices[start, start+count) of a subset into the arena batch (labels too, when
   * present), through `transform` (data augmentation) when given.
   */
  loadBatch(subset: Subset, start: number, count: number, transform?: (dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number) => void): void {
    const { data, indices } = subset;
    if (hasFloatInput(this.spec) || isRegression(this.spec)) return this.loadFloatBatch(subset, start, count);
    this.loadPixelRows(subset, start, count, transform);
    if (data.labels) {
      const y = this.backend.ints(this.layout.labels, count);
      for (let r = 0; r < count; r++) y[r] = data.labels[indices[start + r]];
    }
  }

  /** Rows indices[start, start + count) of the uint8 images into the batch: the backend's gather, else row copies (always when transformed). */
  private loadPixelRows({ data, indices }: Subset, start: number, count: number, transform?: (dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number) => void): void {
    const D = data.inputSize;
    if (!transform && this.backend.gatherRows?.(this.layout.x, data.images, D, indices, start, count)) return;
    const x = this.backend.bytes(this.layout.x, count * D);
    for (let r = 0; r < count; r++) {
      const i = indices[start + r];
      if (transform) transform(x, r * D, data.images, i * D);
      else x.set(data.images.subarray(i * D, i * D + D), r * D);
    }
  }

  /** Copies B raw pixel rows (uint8) into the arena batch. */
  loadPixels(pixels: Uint8Array, B: number): void {
    if (this.layout.x < 0) throw new SimdnetError("this model takes float features, not uint8 pixels", { field: "input" });
    this.backend.bytes(this.layout.x, B * this.spec.inputSize).set(pixels.subarray(0, B * this.spec.inputSize));
  }

  /** Copies B float feature rows into the arena batch (a float-input model). */
  loadFeatures(features: Float32Array, B: number): void {
    if (this.layout.x >= 0) throw new SimdnetError("this model takes uint8 pixels, not float features", { field: "input" });
    this.backend.floats().set(features.subarray(0, B * this.spec.inputSize), this.layout.xFloat);
  }

  /** loadBatch for float features and/or regression targets (no augmentation). */
  private loadFloatBatch(subset: Subset, start: number, count: number): void {
    const { data, indices } = subset;
    const D = data.inputSize;
    const f = this.backend.floats();
    if (hasFloatInput(this.spec)) {
      if (!data.features) throw new SimdnetError("this model takes float features: the data set has none", { file: data.source, field: "features" });
      const xf = this.layout.xFloat;
      for (let r = 0; r < count; r++) {
        const i = indices[start + r];
        f.set(data.features.subarray(i * D, i * D + D), xf + r * D);
      }
    } else this.loadPixelRows(subset, start, count);
    if (isRegression(this.spec)) {
      const T = this.spec.outputSize;
      if (data.targets) {
        const t = this.layout.targets;
        const f2 = this.backend.floats();
        for (let r = 0; r < count; r++) {
          const i = indices[start + r];
          f2.set(data.targets.subarray(i * T, i * T + T), t + r * T);
        }
      }
    } else if (data.labels) {
      const y = this.backend.ints(this.layout.labels, count);
      for (let r = 0; r < count; r++) y[r] = data.labels[indices[start + r]];
    }
  }

  /**
   * Forward pass over the loaded batch. training: batch norm uses (and updates) batch statistics;
   * with a dropoutSeed too, dropout layers drop. Default: training exactly when a seed is given.
   */
  forward(B: number, dropoutSeed?: number, training = dropoutSeed !== undefined): void {
    const { layers, x, xFloat, scratch } = this.layout;
    const be = this.backend;
    this.dropoutApplied = training && dropoutSeed !== undefined;
    if (xFloat >= 0 && x >= 0) be.castU8(xFloat, x, B * this.spec.inputSize, 1 / 255);
    for (const L of layers) L.kind.forward({ be, L, B, training, dropoutSeed, scratch });
  }

  /** Loss and dlogits (mean over the batch) for the loaded labels (regression: targets, mean squared error); call after forward. */
  loss(B: number, withGrad: boolean): BatchResult {
    const { layers, labels, logits } = this.layout;
    const out = layers[layers.length - 1];
    if (isRegression(this.spec)) return { lossSum: this.backend.mseLoss(withGrad ? out.output.dz : NONE, logits, this.layout.targets, B, this.spec.outputSize, 1 / B), correct: 0 };
    const lossSum = this.backend.softmaxXent(withGrad ? out.output.dz : NONE, NONE, logits, labels, B, this.spec.outputSize, 1 / B);
    const correct = this.backend.countCorrect(logits, labels, B, this.spec.outputSize);
    return { lossSum, correct };
  }

  /** Accumulates parameter gradients into grads; call after loss(B, true). */
  backward(B: number): void {
    const { layers, scratch } = this.layout;
    const be = this.backend;
    const dropoutApplied = this.dropoutApplied;
    for (let l = layers.length - 1; l >= 0; l--) {
      const L = layers[l];
      L.kind.backward({ be, L, B, scratch, dropoutApplied });
    }
  }

  zeroGrads(): void {
    this.backend.zero(this.layout.grads, this.layout.paramCount);
  }

  /** Zero grads, forward (training mode), loss, backward for the loaded batch (dropout on when given a seed). */
  computeGradients(B: number, dropoutSeed?: number): BatchResult {
    this.zeroGrads();
    this.forward(B, dropoutSeed, true);
    const r = this.loss(B, true);
    this.backward(B);
    return r;
  }

  /** Mean loss and accuracy over a labelled subset, in arena-sized chunks. */
  evaluate(subset: Subset): EvalResult {
    const n = subset.indices.length;
    const cap = this.layout.batchCapacity;
    let lossSum = 0;
    let correct = 0;
    for (let s = 0; s < n; s += cap) {
      const B = Math.min(cap, n - s);
      this.loadBatch(subset, s, B);
      this.forward(B);
      const r = this.loss(B, false);
      lossSum += r.lossSum;
      correct += r.correct;
    }
    return { loss: n ? lossSum / n : NaN, accuracy: n && !isRegression(this.spec) ? correct / n : NaN, count: n };
  }

  /**
   * Class probabilities (n, classes) for n raw uint8 pixel rows, or n float feature rows (a
   * float-input model). Regression: the (n, outputs) linear outputs (standardised units).
   */
  predictProbs(pixels: Uint8Array | Float32Array, n: number): Float32Array {
    const D = this.spec.inputSize;
    const C = this.spec.outputSize;
    const out = new Float32Array(n * C);
    const cap = this.layout.batchCapacity;
    const { labels, probs, logits } = this.layout;
    for (let s = 0; s < n; s += cap) {
      const B = Math.min(cap, n - s);
      if (pixels instanceof Float32Array) this.loadFeatures(pixels.subarray(s * D, (s + B) * D), B);
      else this.loadPixels(pixels.subarray(s * D, (s + B) * D), B);
      this.forward(B);
      if (isRegression(this.spec)) {
        out.set(this.backend.floats().subarray(logits, logits + B * C), s * C);
        continue;
      }
      this.backend.ints(labels, B).fill(0); // the loss is ignored; labels only need to be valid
      this.backend.softmaxXent(NONE, probs, logits, labels, B, C, 0);
      out.set(this.backend.floats().subarray(probs, probs + B * C), s * C);
    }
    return out;
  }

  layerSizes(): number[] {
    return layerSizes(this.spec);
  }
}
