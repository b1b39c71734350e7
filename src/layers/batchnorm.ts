// batchNormalization: per channel after a conv (N = B·H·W rows of C), per feature after a dense
// (N = B rows of D). Batch statistics while training, running statistics at evaluation
// (PyTorch's momentum 0.1 and eps 1e-5); learned scale gamma and shift beta; optional activation.
import { NONE } from "../backend/types.js";
import { ACTIVATION_CODES } from "../model/spec.js";
import { inputActivationGrad } from "./pool.js";
import { sizeOf, type LayerConfig, type LayerKind, type Shape } from "./layer.js";

type BatchNorm = Extract<LayerConfig, { type: "batchNormalization" }>;

export const BN_MOMENTUM = 0.1;
export const BN_EPSILON = 1e-5;

const channels = (s: Shape) => s[s.length - 1];

export const batchNormalization: LayerKind = {
  inPlace: false,
  outputShape: (_c, input) => input,
  params: (_c, input) => [
    { name: "gamma", size: channels(input), init: "ones" },
    { name: "beta", size: channels(input), init: "zeros" },
  ],
  state: (_c, input) => [
    { name: "runMean", size: channels(input), init: "zeros" },
    { name: "runVar", size: channels(input), init: "ones" },
  ],
  slots: (_c, input) => ({ mean: channels(input), invStd: channels(input) }),
  scratch: () => 0,
  activation: (cfg) => ACTIVATION_CODES[(cfg as BatchNorm).activation ?? "none"],
  forward({ be, L, B, training }) {
    const C = channels(L.input.shape);
    const N = (B * sizeOf(L.input.shape)) / C;
    const { input: x, output: y } = L;
    be.batchNormForward(y.a, y.z, x.a, L.params.gamma, L.params.beta, L.slots.mean, L.slots.invStd, L.state.runMean, L.state.runVar, N, C, training ? 1 : 0, BN_MOMENTUM, BN_EPSILON, y.act);
  },
  backward(ctx) {
    const { be, L, B } = ctx;
    const C = channels(L.input.shape);
    const N = (B * sizeOf(L.input.shape)) / C;
    be.batchNormBackward(L.needInputGrad ? L.input.dz : NONE, L.grads.gamma, L.grads.beta, L.output.dz, L.input.a, L.params.gamma, L.slots.mean, L.slots.invStd, N, C);
    if (L.needInputGrad) inputActivationGrad(ctx);
  },
};
