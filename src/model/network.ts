// An MLP laid out in one arena and run through a Backend: forward, loss, backward, evaluate.
import type { Backend } from "../backend/types.js";
import { NONE, hash32 } from "../backend/types.js";
import { computeLayout, type ArenaLayout } from "./arena.js";
import { layerSizes, type ModelSpec } from "./spec.js";
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

  /** dropout: rate for every hidden layer's output during training (0: none; no mask memory). */
  constructor(
    readonly spec: ModelSpec,
    readonly backend: Backend,
    batchCapacity: number,
    optimizerSlots = 0,
    readonly dropout = 0,
  ) {
    if (!(dropout >= 0 && dropout < 1)) throw new RangeError(`dropout rate ${dropout} not in [0, 1)`);
    this.layout = computeLayout(spec, batchCapacity, optimizerSlots, dropout > 0);
    backend.allocate(this.layout.totalSlots);
    backend.zero(0, this.layout.totalSlots); // a reused backend must not leak old optimizer state
  }

  get paramCount(): number {
    return this.layout.paramCount;
  }

  /** Weights from the seeded RNG (biases zero). he: N(0, 2/in); xavier: U(±√(6/(in+out))); normal0.01: 0.01·N(0,1). */
  init(seed: number, scheme: InitScheme = "he"): void {
    const rng = new Rng(seed);
    const f = this.backend.floats();
    for (const L of this.layout.layers) {
      const n = L.inSize * L.outSize;
      if (scheme === "xavier") {
        const r = Math.sqrt(6 / (L.inSize + L.outSize));
        for (let i = 0; i < n; i++) f[L.w + i] = (2 * rng.next() - 1) * r;
      } else {
        const std = scheme === "he" ? Math.sqrt(2 / L.inSize) : 0.01;
        for (let i = 0; i < n; i++) f[L.w + i] = std * rng.normal();
      }
      f.fill(0, L.b, L.b + L.outSize);
    }
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
    const D = data.inputSize;
    const x = this.backend.bytes(this.layout.x, count * D);
    for (let r = 0; r < count; r++) {
      const i = indices[start + r];
      if (transform) transform(x, r * D, data.images, i * D);
      else x.set(data.images.subarray(i * D, i * D + D), r * D);
    }
    if (data.labels) {
      const y = this.backend.ints(this.layout.labels, count);
      for (let r = 0; r < count; r++) y[r] = data.labels[indices[start + r]];
    }
  }

  /** Copies B raw pixel rows (uint8) into the arena batch. */
  loadPixels(pixels: Uint8Array, B: number): void {
    this.backend.bytes(this.layout.x, B * this.spec.inputSize).set(pixels.subarray(0, B * this.spec.inputSize));
  }

  /** Forward pass over the loaded batch. With a dropoutSeed (training), hidden outputs are dropped. */
  forward(B: number, dropoutSeed?: number): void {
    const { layers, x, scratch } = this.layout;
    const be = this.backend;
    this.dropoutApplied = this.dropout > 0 && dropoutSeed !== undefined;
    for (let l = 0; l < layers.length; l++) {
      const L = layers[l];
      if (l === 0) be.denseForwardU8(L.a, L.z, x, L.w, L.b, B, L.inSize, L.outSize, L.act, scratch);
      else be.denseForward(L.a, L.z, layers[l - 1].a, L.w, L.b, B, L.inSize, L.outSize, L.act, scratch);
      if (this.dropoutApplied && L.mask >= 0) be.dropoutForward(L.a, L.mask, B * L.outSize, this.dropout, hash32((dropoutSeed! + l * 0x632be5ab) >>> 0));
    }
  }

  /** Loss and dlogits (mean over the batch) for the loaded labels; call after forward. */
  loss(B: number, withGrad: boolean): BatchResult {
    const { layers, labels } = this.layout;
    const out = layers[layers.length - 1];
    const lossSum = this.backend.softmaxXent(withGrad ? out.dz : NONE, NONE, out.z, labels, B, out.outSize, 1 / B);
    const correct = this.backend.countCorrect(out.z, labels, B, out.outSize);
    return { lossSum, correct };
  }

  /** Accumulates parameter gradients into grads; call after loss(B, true). */
  backward(B: number): void {
    const { layers, x, scratch } = this.layout;
    const be = this.backend;
    for (let l = layers.length - 1; l >= 1; l--) {
      const L = layers[l];
      const P = layers[l - 1];
      be.denseBackward(P.dz, L.dw, L.db, L.dz, P.a, P.z, L.w, B, L.inSize, L.outSize, P.act, scratch);
      if (this.dropoutApplied) be.dropoutBackward(P.dz, P.mask, B * P.outSize);
    }
    const L0 = layers[0];
    be.denseBackwardU8(L0.dw, L0.db, L0.dz, x, B, L0.inSize, L0.outSize, scratch);
  }

  zeroGrads(): void {
    this.backend.zero(this.layout.grads, this.layout.paramCount);
  }

  /** Zero grads, forward, loss, backward for the loaded batch (dropout on when given a seed). */
  computeGradients(B: number, dropoutSeed?: number): BatchResult {
    this.zeroGrads();
    this.forward(B, dropoutSeed);
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
    return { loss: n ? lossSum / n : NaN, accuracy: n ? correct / n : NaN, count: n };
  }

  /** Class probabilities (n, classes) for n raw uint8 pixel rows. */
  predictProbs(pixels: Uint8Array, n: number): Float32Array {
    const D = this.spec.inputSize;
    const C = this.spec.outputSize;
    const out = new Float32Array(n * C);
    const cap = this.layout.batchCapacity;
    const last = this.layout.layers[this.layout.layers.length - 1];
    const { labels, probs } = this.layout;
    for (let s = 0; s < n; s += cap) {
      const B = Math.min(cap, n - s);
      this.loadPixels(pixels.subarray(s * D, (s + B) * D), B);
      this.forward(B);
      this.backend.ints(labels, B).fill(0); // the loss is ignored; labels only need to be valid
      this.backend.softmaxXent(NONE, probs, last.z, labels, B, C, 0);
      out.set(this.backend.floats().subarray(probs, probs + B * C), s * C);
    }
    return out;
  }

  layerSizes(): number[] {
    return layerSizes(this.spec);
  }
}
