// Optimizers update the one flat parameter block from the flat gradient block: one kernel call
// each. Names and defaults follow PyTorch (torch.optim.SGD / Adam / AdamW).
import type { Network } from "../model/network.js";
import { SimdnetError } from "../errors.js";

export interface Optimizer {
  readonly name: string;
  /** Extra arena slots per parameter (momentum, moments). */
  readonly stateSlots: number;
  /** One update with learning rate lr, after gradients are computed. */
  step(net: Network, lr: number): void;
  /** Update count so far (Adam's bias correction depends on it; checkpoints store it). */
  steps: number;
}

export interface SgdOptions {
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient (PyTorch's weight_decay). */
  weightDecay?: number;
}

export class Sgd implements Optimizer {
  readonly name: string;
  readonly stateSlots: number;
  steps = 0;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  constructor(o: SgdOptions = {}) {
    this.momentum = o.momentum ?? 0;
    this.nesterov = o.nesterov ?? false;
    this.weightDecay = o.weightDecay ?? 0;
    if (this.nesterov && this.momentum <= 0) throw new SimdnetError("Nesterov momentum needs --momentum > 0", { field: "--nesterov" });
    this.stateSlots = this.momentum > 0 || this.weightDecay > 0 ? 1 : 0; // the velocity buffer (scratch when μ = 0)
    this.name = this.momentum > 0 ? (this.nesterov ? "sgd-nesterov" : "sgd-momentum") : "sgd";
  }
  step(net: Network, lr: number): void {
    const { params, grads, optState, paramCount } = net.layout;
    if (this.momentum > 0) net.backend.sgdMomentumStep(params, grads, optState, paramCount, lr, this.momentum, this.nesterov, this.weightDecay);
    else if (this.weightDecay > 0) net.backend.sgdMomentumStep(params, grads, optState, paramCount, lr, 0, false, this.weightDecay);
    else net.backend.sgdStep(params, grads, paramCount, lr);
    this.steps++;
  }
}

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW: decoupled weight decay p -= lr·wd·p instead of L2 in the gradient. */
  decoupled?: boolean;
}

export class Adam implements Optimizer {
  readonly name: string;
  readonly stateSlots = 2;
  steps = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  constructor(o: AdamOptions = {}) {
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.decoupled = o.decoupled ?? false;
    this.weightDecay = o.weightDecay ?? (this.decoupled ? 0.01 : 0);
    this.name = this.decoupled ? "adamw" : "adam";
  }
  step(net: Network, lr: number): void {
    const { params, grads, optState, paramCount } = net.layout;
    this.steps++;
    const bc1 = 1 - Math.pow(this.beta1, this.steps);
    const bc2 = 1 - Math.pow(this.beta2, this.steps);
    net.backend.adamStep(params, grads, optState, optState + paramCount, paramCount, lr, this.beta1, this.beta2, this.eps, bc1, bc2, this.weightDecay, this.decoupled);
  }
}

export const OPTIMIZER_NAMES = ["sgd", "adam", "adamw"] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerConfig {
  name: OptimizerName;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export function createOptimizer(c: OptimizerConfig): Optimizer {
  if (c.name === "sgd") return new Sgd({ momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay });
  return new Adam({ beta1: c.beta1, beta2: c.beta2, eps: c.eps, weightDecay: c.weightDecay, decoupled: c.name === "adamw" });
}

/** Scales the gradient block so its L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(net: Network, maxNorm: number): number {
  const { grads, paramCount } = net.layout;
  const norm = Math.sqrt(net.backend.sumSquares(grads, paramCount));
  if (maxNorm > 0 && norm > maxNorm) net.backend.scale(grads, paramCount, maxNorm / (norm + 1e-12));
  return norm;
}
