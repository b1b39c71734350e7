// The kernel interface both backends implement. Every pointer is a slot offset into the arena
// (src/model/arena.ts); only numbers cross it, nothing is allocated per call.

/** Pass as a pointer to skip an optional output. */
export const NONE = -1;

export type BackendName = "wasm" | "js";

export interface Backend {
  readonly name: BackendName;
  /** Human-readable variant, e.g. "wasm-simd" or "js-f64". */
  readonly variant: string;

  /** Makes the arena at least `slots` slots long (memory may grow: take views afresh after). */
  allocate(slots: number): void;
  /** Float view of the whole arena, indexed by slot (f64 in the float64 JS backend). */
  floats(): Float32Array | Float64Array;
  /** Byte view of `length` bytes starting at `slot`. */
  bytes(slot: number, length: number): Uint8Array;
  /** Int32 view of `length` values starting at `slot`. */
  ints(slot: number, length: number): Int32Array;

  // z = x·w + b, a = act(z).  x: (B, IN) f32, w: (IN, OUT), b: (OUT), z, a: (B, OUT)
  denseForward(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void;
  // the same with x: (B, IN) uint8 pixels, scaled by 1/255 inside the kernel
  denseForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void;
  // Accumulates dw += xᵀ·dz, db += Σ dz; overwrites dzPrev = (dz·wᵀ) ⊙ actPrev'(zPrev) unless dzPrev is NONE.
  // dz: (B, OUT); x = actPrev(zPrev), zPrev, dzPrev: (B, IN); w, dw: (IN, OUT); db: (OUT)
  denseBackward(dzPrev: number, dw: number, db: number, dz: number, x: number, zPrev: number, w: number, B: number, IN: number, OUT: number, actPrev: number, scratch: number): void;
  // First layer (uint8 input, no input gradient): dw += (x/255)ᵀ·dz, db += Σ dz
  denseBackwardU8(dw: number, db: number, dz: number, x: number, B: number, IN: number, OUT: number, scratch: number): void;
  // Stable softmax + cross-entropy; labels: (B) int32. Writes probs, dlogits = (p − onehot)·gradScale
  // (each unless NONE); returns the summed loss.
  softmaxXent(dlogits: number, probs: number, logits: number, labels: number, B: number, C: number, gradScale: number): number;
  // Rows whose first argmax equals the label.
  countCorrect(logits: number, labels: number, B: number, C: number): number;
  // p -= lr·g over n slots
  sgdStep(p: number, g: number, n: number, lr: number): void;
  // PyTorch SGD with momentum: d = g + wd·p; v = μ·v + d; p -= lr·(nesterov ? d + μ·v : v)
  sgdMomentumStep(p: number, g: number, v: number, n: number, lr: number, momentum: number, nesterov: boolean, weightDecay: number): void;
  // Adam with bias correction (bc1 = 1−β1^t, bc2 = 1−β2^t); L2 weight decay, or decoupled (AdamW)
  adamStep(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, weightDecay: number, decoupled: boolean): void;
  // Σ x² over n slots
  sumSquares(x: number, n: number): number;
  // x *= s over n slots
  scale(x: number, n: number, s: number): void;
  // Inverted dropout: mask[i] = hash(seed, i) < p·2³² ? 0 : 1/(1−p); a[i] *= mask[i].  a, mask: (n)
  dropoutForward(a: number, mask: number, n: number, p: number, seed: number): void;
  // g[i] *= mask[i]
  dropoutBackward(g: number, mask: number, n: number): void;
  zero(p: number, n: number): void;
}

/** The dropout kernel's integer arguments for rate p (shared by both backends). */
export function dropoutParams(p: number): { threshold: number; keepScale: number } {
  return { threshold: Math.min(Math.floor(p * 2 ** 32), 2 ** 32 - 1), keepScale: Math.fround(1 / (1 - p)) };
}

/** lowbias32, as in assembly/dropout.ts. */
export function hash32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}
