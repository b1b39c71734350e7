// The kernel interface both backends implement. Every pointer is a slot offset into the arena
// (src/model/arena.ts); only numbers cross it, nothing is allocated per call.

/** Pass as a pointer to skip an optional output. */
export const NONE = -1;

export type BackendName = "wasm" | "js";

export interface Backend {
  readonly name: BackendName;
  /** Human-readable variant, e.g. "wasm-simd" or "js-f64". */
  readonly variant: string;
  /** Threads its kernels run on (absent: 1). The arena then holds one scratch block per thread. */
  readonly threads?: number;
  /** Multi-threaded backends: thread t's scratch is the scratch slot passed + t·strideSlots (src/model/arena.ts). */
  setThreadScratch?(strideSlots: number): void;
  /** Stops the backend's threads (idempotent); a closed multi-threaded backend refuses work. */
  close?(): void;

  /** Makes the arena at least `slots` slots long (memory may grow: take views afresh after). */
  allocate(slots: number): void;
  /** Float view of the whole arena, indexed by slot (f64 in the float64 JS backend). */
  floats(): Float32Array | Float64Array;
  /** Byte view of `length` bytes starting at `slot`. */
  bytes(slot: number, length: number): Uint8Array;
  /** Int32 view of `length` values starting at `slot`. */
  ints(slot: number, length: number): Int32Array;
  /**
   * Batch gather where the backend can do it itself: bytes at slot dst, row r (D bytes) = row
   * rows[start + r] of `table`, r < count. The wasm backends keep a copy of the table in their
   * memory (made on the first call) and gather with a kernel, split across threads; false (nothing
   * written) when the backend cannot, and the caller copies. Absent: the caller always copies.
   */
  gatherRows?(dst: number, table: Uint8Array, D: number, rows: Uint32Array, start: number, count: number): boolean;

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

  // ---- convolution: activations NHWC, weights HWIO (as TF.js/Keras), no dilation ----
  // z = conv(x, w) + b, a = act(z) (a may equal z).  x: (B, H, W, C) f32, w: (K, K, C, F), b: (F),
  // z, a: (B, OH, OW, F). Output pixel (oy, ox) reads input row oy·S − padT + ky and column
  // ox·S − padL + kx for ky, kx in [0, K); positions outside the image read 0.
  // scratch: convScratchSlots(...) slots (src/model/arena.ts).
  convForward(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number, scratch: number): void;
  // the same with x: (B, H, W, C) uint8 pixels, scaled by 1/255 inside the kernel
  convForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number, scratch: number): void;
  // Accumulates dw += Σ patch(x)ᵀ·dz, db += Σ dz.  dz: (B, OH, OW, F), x as in convForward, dw: (K, K, C, F), db: (F)
  convBackwardFilter(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, scratch: number): void;
  // the same with x uint8 pixels scaled by 1/255 (the first layer)
  convBackwardFilterU8(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, scratch: number): void;
  // Overwrites dx = convᵀ(dz, w) ⊙ actPrev'(zPrev) (gradient w.r.t. the input x = actPrev(zPrev)).
  // dz: (B, OH, OW, F), w: (K, K, C, F), dx, zPrev: (B, H, W, C); zPrev is not read when actPrev is none.
  convBackwardData(dx: number, dz: number, w: number, zPrev: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, actPrev: number, scratch: number): void;

  // ---- pooling: x: (B, H, W, C), y: (B, OH, OW, C); windows PH×PW, strides SH, SW, no padding ----
  // y = max over each window; argmax: int32 (B, OH, OW, C), the in-plane index h·W + w of the first maximum.
  maxPoolForward(y: number, argmax: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void;
  // Overwrites dx (zero, then dx[argmax] += dy).  dy: (B, OH, OW, C), dx: (B, H, W, C)
  maxPoolBackward(dx: number, dy: number, argmax: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void;
  // y = mean over each window (global average pooling: PH = H, PW = W, OH = OW = 1)
  avgPoolForward(y: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void;
  // Overwrites dx: each window spreads dy / (PH·PW) over its cells (overlapping windows add).
  avgPoolBackward(dx: number, dy: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void;

  // ---- batch normalisation over N rows of C features (N = B·H·W after a conv, B after a dense) ----
  // training (1): mean_c, var_c (biased) of x over the N rows; writes mean (C) and invStd = 1/√(var + eps) (C);
  //   runMean = (1 − momentum)·runMean + momentum·mean, runVar likewise with the unbiased var·N/(N − 1) (PyTorch).
  // evaluation (0): normalises with runMean and runVar; mean, invStd, runMean, runVar are not written.
  // z = gamma·(x − mean)·invStd + beta, a = act(z).  x, z, a: (N, C); gamma, beta: (C)
  batchNormForward(a: number, z: number, x: number, gamma: number, beta: number, mean: number, invStd: number, runMean: number, runVar: number, N: number, C: number, training: number, momentum: number, eps: number, act: number): void;
  // Training-mode backward. Accumulates dgamma += Σ dz·x̂, dbeta += Σ dz; overwrites (unless NONE)
  // dx = gamma·invStd·(dz − mean(dz) − x̂·mean(dz·x̂)), x̂ = (x − mean)·invStd.  dz: (N, C) w.r.t. z
  batchNormBackward(dx: number, dgamma: number, dbeta: number, dz: number, x: number, gamma: number, mean: number, invStd: number, N: number, C: number): void;

  // dz *= act'(z) over n slots (an activation's derivative, applied where a backward kernel does not fuse it)
  activationBackward(dz: number, z: number, n: number, act: number): void;
  // dst[i] = src[i]·scale: uint8 src (n bytes at slot src) to floats
  castU8(dst: number, src: number, n: number, scale: number): void;

  // ---- regression ----
  // Mean squared error of a linear output: loss_i = (1/D)·Σ_j (out_ij − target_ij)²; writes
  // dout = 2·(out − target)/D·gradScale unless NONE; returns Σ_i loss_i.  out, target, dout: (B, D)
  mseLoss(dout: number, out: number, target: number, B: number, D: number, gradScale: number): number;
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
