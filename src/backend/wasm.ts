// The WebAssembly backend: instantiates the embedded SIMD kernels directly (no loader), owns the
// one linear memory, and turns slot offsets into byte addresses. Only numbers cross into wasm.
import { NONE, dropoutParams, type Backend } from "./types.js";
import { KERNELS_WASM_BASE64 } from "./kernels.generated.js";

interface KernelExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  dense_forward(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void;
  dense_forward_u8(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void;
  dense_backward(dzPrev: number, dw: number, db: number, dz: number, x: number, zPrev: number, w: number, B: number, IN: number, OUT: number, actPrev: number, scratch: number): void;
  dense_backward_u8(dw: number, db: number, dz: number, x: number, B: number, IN: number, OUT: number, scratch: number): void;
  dense_forward_naive: KernelExports["dense_forward"];
  dense_forward_u8_naive: KernelExports["dense_forward_u8"];
  dense_backward_naive: KernelExports["dense_backward"];
  dense_backward_u8_naive: KernelExports["dense_backward_u8"];
  softmax_xent(dlogits: number, probs: number, logits: number, labels: number, B: number, C: number, gradScale: number): number;
  count_correct(logits: number, labels: number, B: number, C: number): number;
  sgd_step(p: number, g: number, n: number, lr: number): void;
  sgd_momentum_step(p: number, g: number, v: number, n: number, lr: number, momentum: number, nesterov: number, wd: number): void;
  adam_step(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, wd: number, decoupled: number): void;
  sum_squares(x: number, n: number): number;
  scale_inplace(x: number, n: number, s: number): void;
  dropout_forward(a: number, mask: number, n: number, threshold: number, keepScale: number, seed: number): void;
  dropout_backward(g: number, mask: number, n: number): void;
  fill_zero(p: number, n: number): void;
  mse_loss(dout: number, out: number, target: number, B: number, D: number, gradScale: number): number;
  mse_loss_naive: KernelExports["mse_loss"];
}

let compiled: WebAssembly.Module | undefined;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === "function") {
    const s = atob(b64);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  throw new Error("no base64 decoder available");
}

/** The compiled kernel module (compiled once per process; cheap to instantiate again). */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64));
  return compiled;
}

export interface WasmBackendOptions {
  /** "fast" (default): register-blocked SIMD kernels; "naive": their scalar reference twins. */
  kernels?: "fast" | "naive";
}

const PAGE = 65536;

export class WasmBackend implements Backend {
  readonly name = "wasm" as const;
  readonly variant: string;
  private readonly k: KernelExports;
  private readonly base: number; // byte address of slot 0
  private buffer: ArrayBuffer | SharedArrayBuffer;
  private f: Float32Array;
  private readonly fwd: KernelExports["dense_forward"];
  private readonly fwdU8: KernelExports["dense_forward_u8"];
  private readonly bwd: KernelExports["dense_backward"];
  private readonly bwdU8: KernelExports["dense_backward_u8"];

  constructor(options: WasmBackendOptions = {}) {
    const instance = new WebAssembly.Instance(kernelModule(), {});
    this.k = instance.exports as unknown as KernelExports;
    this.base = Math.ceil(this.k.heap_base() / 64) * 64;
    const naive = options.kernels === "naive";
    this.variant = naive ? "wasm-naive" : "wasm-simd";
    this.fwd = naive ? this.k.dense_forward_naive : this.k.dense_forward;
    this.fwdU8 = naive ? this.k.dense_forward_u8_naive : this.k.dense_forward_u8;
    this.bwd = naive ? this.k.dense_backward_naive : this.k.dense_backward;
    this.bwdU8 = naive ? this.k.dense_backward_u8_naive : this.k.dense_backward_u8;
    this.buffer = this.k.memory.buffer;
    this.f = new Float32Array(this.buffer, this.base);
  }

  allocate(slots: number): void {
    const need = this.base + slots * 4;
    const have = this.k.memory.buffer.byteLength;
    if (need > have) this.k.memory.grow(Math.ceil((need - have) / PAGE));
    this.refresh();
  }

  // A grown memory detaches old views: rebuild them whenever the buffer changed.
  private refresh(): void {
    if (this.buffer !== this.k.memory.buffer) {
      this.buffer = this.k.memory.buffer;
      this.f = new Float32Array(this.buffer, this.base);
    }
  }

  floats(): Float32Array {
    this.refresh();
    return this.f;
  }
  bytes(slot: number, length: number): Uint8Array {
    this.refresh();
    return new Uint8Array(this.buffer, this.base + slot * 4, length);
  }
  ints(slot: number, length: number): Int32Array {
    this.refresh();
    return new Int32Array(this.buffer, this.base + slot * 4, length);
  }

  private ptr(slot: number): number {
    return slot === NONE ? 0 : this.base + slot * 4;
  }

  denseForward(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void {
    this.fwd(this.ptr(a), this.ptr(z), this.ptr(x), this.ptr(w), this.ptr(b), B, IN, OUT, act, this.ptr(scratch));
  }
  denseForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void {
    this.fwdU8(this.ptr(a), this.ptr(z), this.ptr(x), this.ptr(w), this.ptr(b), B, IN, OUT, act, this.ptr(scratch));
  }
  denseBackward(dzPrev: number, dw: number, db: number, dz: number, x: number, zPrev: number, w: number, B: number, IN: number, OUT: number, actPrev: number, scratch: number): void {
    this.bwd(this.ptr(dzPrev), this.ptr(dw), this.ptr(db), this.ptr(dz), this.ptr(x), this.ptr(zPrev), this.ptr(w), B, IN, OUT, actPrev, this.ptr(scratch));
  }
  denseBackwardU8(dw: number, db: number, dz: number, x: number, B: number, IN: number, OUT: number, scratch: number): void {
    this.bwdU8(this.ptr(dw), this.ptr(db), this.ptr(dz), this.ptr(x), B, IN, OUT, this.ptr(scratch));
  }
  softmaxXent(dlogits: number, probs: number, logits: number, labels: number, B: number, C: number, gradScale: number): number {
    return this.k.softmax_xent(this.ptr(dlogits), this.ptr(probs), this.ptr(logits), this.ptr(labels), B, C, gradScale);
  }
  countCorrect(logits: number, labels: number, B: number, C: number): number {
    return this.k.count_correct(this.ptr(logits), this.ptr(labels), B, C);
  }
  sgdStep(p: number, g: number, n: number, lr: number): void {
    this.k.sgd_step(this.ptr(p), this.ptr(g), n, lr);
  }
  sgdMomentumStep(p: number, g: number, v: number, n: number, lr: number, momentum: number, nesterov: boolean, weightDecay: number): void {
    this.k.sgd_momentum_step(this.ptr(p), this.ptr(g), this.ptr(v), n, lr, momentum, nesterov ? 1 : 0, weightDecay);
  }
  adamStep(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, weightDecay: number, decoupled: boolean): void {
    this.k.adam_step(this.ptr(p), this.ptr(g), this.ptr(m), this.ptr(v), n, lr, beta1, beta2, eps, bc1, bc2, weightDecay, decoupled ? 1 : 0);
  }
  sumSquares(x: number, n: number): number {
    return this.k.sum_squares(this.ptr(x), n);
  }
  scale(x: number, n: number, s: number): void {
    this.k.scale_inplace(this.ptr(x), n, s);
  }
  dropoutForward(a: number, mask: number, n: number, p: number, seed: number): void {
    const { threshold, keepScale } = dropoutParams(p);
    this.k.dropout_forward(this.ptr(a), this.ptr(mask), n, threshold, keepScale, seed);
  }
  dropoutBackward(g: number, mask: number, n: number): void {
    this.k.dropout_backward(this.ptr(g), this.ptr(mask), n);
  }
  zero(p: number, n: number): void {
    this.k.fill_zero(this.ptr(p), n);
  }
  mseLoss(dout: number, out: number, target: number, B: number, D: number, gradScale: number): number {
    const f = this.variant === "wasm-naive" ? this.k.mse_loss_naive : this.k.mse_loss;
    return f(this.ptr(dout), this.ptr(out), this.ptr(target), B, D, gradScale);
  }
}
