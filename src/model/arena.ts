// The arena: one Float32 layout in (wasm) memory, computed once from the model spec.
//   params | grads | optimizer state | activations | batch | scratch
// Every offset here is in 4-byte slots from the arena start. This is the only place that
// computes an offset; kernels and backends take these numbers as they are.
import { ACTIVATION_CODES, layerSizes, type ModelSpec } from "./spec.js";

const ALIGN = 16; // slots (64 bytes): every region starts on a cache line, SIMD loads are aligned
const TAIL_PAD = 16; // kernels may load (never store) a whole vector past a region's end

export interface LayerLayout {
  inSize: number;
  outSize: number;
  /** Activation code applied to this layer's output (none for the output layer). */
  act: number;
  w: number; // (in, out) in params
  b: number; // (out) in params
  dw: number; // (in, out) in grads
  db: number; // (out) in grads
  z: number; // (B, out) pre-activation
  a: number; // (B, out) activation; equals z for the output layer
  dz: number; // (B, out) gradient of the loss w.r.t. z
  /** (B, out) dropout mask of a hidden layer's output, or -1 when the arena has none. */
  mask: number;
}

export interface ArenaLayout {
  spec: ModelSpec;
  /** Largest batch the arena holds. */
  batchCapacity: number;
  paramCount: number;
  params: number;
  grads: number;
  /** Optimizer state: optimizerSlots × paramCount slots (momentum, Adam moments). */
  optState: number;
  optimizerSlots: number;
  layers: LayerLayout[];
  /** Batch pixels, uint8 (B, in): occupies ceil(B·in/4) slots. */
  x: number;
  /** Batch labels, int32 (B). */
  labels: number;
  /** Softmax probabilities (B, classes). */
  probs: number;
  /** Kernel scratch (packed panels, a transposed weight matrix). */
  scratch: number;
  scratchSlots: number;
  totalSlots: number;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/** Kernel scratch one layer needs, in slots. */
export function layerScratchSlots(inSize: number, outSize: number): number {
  const in16 = Math.ceil(inSize / 16) * 16; // the uint8 panel compaction stores whole 16-column blocks
  return Math.max(5 * in16, inSize * outSize + 4 * outSize);
}

/** im2col rows per chunk of the conv filter gradient (BF_ROWS in assembly/conv.ts). */
export const CONV_BF_ROWS = 128;

/**
 * Kernel scratch a conv2d layer needs, in slots: the max over the kernels of assembly/conv.ts
 * (KKC = K·K·C, KKC4 and C4 = KKC and C rounded up to 4, R = min(128, B·OH·OW)):
 *   forward          4·KKC (one packed panel of 4 im2col rows) + 16 (row info) + KKC (taps) + C4 (zero row)
 *   backward filter  C ≥ 4: K·K·R (pixel addresses per chunk row and tap) + 4·R (panel) + C4 (zero row)
 *                    C < 4: KKC4·R (all panels of a chunk) + KKC (taps)
 *   backward data    F·KKC (wᵀ) + 4·F (panel of dz rows) + 4·KKC (4 rows of dcols)
 * The uint8 variants of the first two keep one image as f32 in front: + H·W·C rounded up to 4
 * (counted for every layer: this function does not know which layer reads uint8).
 * B may be the batch capacity: a smaller batch at call time never needs more.
 */
export function convScratchSlots(B: number, H: number, W: number, C: number, F: number, K: number, S: number, OH: number, OW: number): number {
  void S;
  const KKC = K * K * C;
  const up4 = (n: number) => Math.ceil(n / 4) * 4;
  const R = Math.max(1, Math.min(CONV_BF_ROWS, B * OH * OW));
  const u8Image = up4(H * W * C);
  const forward = 4 * KKC + 16 + KKC + up4(C);
  const filter = C < 4 ? up4(KKC) * R + KKC : K * K * R + 4 * R + up4(C);
  const data = F * KKC + 4 * F + 4 * KKC;
  return Math.max(u8Image + forward, u8Image + filter, data);
}

export function computeLayout(spec: ModelSpec, batchCapacity: number, optimizerSlots = 0, dropoutMasks = false): ArenaLayout {
  if (!Number.isInteger(batchCapacity) || batchCapacity < 1) throw new RangeError(`batchCapacity ${batchCapacity}`);
  const sizes = layerSizes(spec);
  const B = batchCapacity;
  let cursor = 0;
  const take = (slots: number) => {
    const at = cursor;
    cursor = align(cursor + slots);
    return at;
  };

  // params and grads are each one flat block, so the optimizer is one loop over paramCount
  const params = take(0);
  const wOffsets: { w: number; b: number }[] = [];
  let p = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const w = p;
    p += sizes[l] * sizes[l + 1];
    const b = p;
    p += sizes[l + 1];
    wOffsets.push({ w, b });
  }
  const paramCount = p;
  take(paramCount);
  const grads = take(paramCount);
  const optState = take(paramCount * optimizerSlots);

  const layers: LayerLayout[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const last = l + 2 === sizes.length;
    const out = sizes[l + 1];
    const z = take(B * out);
    const a = last ? z : take(B * out);
    const dz = take(B * out);
    const mask = dropoutMasks && !last ? take(B * out) : -1;
    layers.push({
      inSize: sizes[l],
      outSize: out,
      act: last ? ACTIVATION_CODES.none : ACTIVATION_CODES[spec.activation],
      w: params + wOffsets[l].w,
      b: params + wOffsets[l].b,
      dw: grads + wOffsets[l].w,
      db: grads + wOffsets[l].b,
      z,
      a,
      dz,
      mask,
    });
  }
  const x = take(Math.ceil((B * spec.inputSize) / 4));
  const labels = take(B);
  const probs = take(B * spec.outputSize);
  let scratchSlots = 0;
  for (const L of layers) scratchSlots = Math.max(scratchSlots, layerScratchSlots(L.inSize, L.outSize));
  const scratch = take(scratchSlots);
  const totalSlots = cursor + TAIL_PAD;
  return { spec, batchCapacity: B, paramCount, params, grads, optState, optimizerSlots, layers, x, labels, probs, scratch, scratchSlots, totalSlots };
}
