// conv2d: y = act(conv(x, W) + b), NHWC activations, HWIO kernel (K, K, C, F) as in TF.js/Keras.
import { SimdnetError } from "../errors.js";
import { convScratchSlots } from "./scratch.js";
import { ACTIVATION_CODES } from "../model/spec.js";
import { isSpatial, shapeText, type LayerConfig, type LayerKind, type Shape } from "./layer.js";

type Conv = Extract<LayerConfig, { type: "conv2d" }>;

/** Output size and leading padding along one axis (TF's 'same': the odd pixel of padding goes last). */
export function convAxis(n: number, K: number, S: number, padding: "valid" | "same"): { out: number; pad: number } {
  if (padding === "same") {
    const out = Math.ceil(n / S);
    return { out, pad: Math.floor(Math.max((out - 1) * S + K - n, 0) / 2) };
  }
  return { out: n >= K ? Math.floor((n - K) / S) + 1 : 0, pad: 0 };
}

export function convGeometry(cfg: Conv, input: Shape) {
  const [H, W, C] = input;
  const K = cfg.kernelSize;
  const S = cfg.strides ?? 1;
  const pad = cfg.padding ?? "valid";
  const r = convAxis(H, K, S, pad);
  const c = convAxis(W, K, S, pad);
  return { H, W, C, F: cfg.filters, K, S, OH: r.out, OW: c.out, padT: r.pad, padL: c.pad };
}

export const conv2d: LayerKind = {
  inPlace: false,
  outputShape(cfg, input, name) {
    const c = cfg as Conv;
    if (!isSpatial(input)) throw new SimdnetError(`layer ${name}: a conv needs an image input (H×W×C), got flat ${shapeText(input)} (a spatial layer cannot follow a dense or flatten layer)`);
    const g = convGeometry(c, input);
    if (g.OH < 1 || g.OW < 1) throw new SimdnetError(`layer ${name}: kernel ${g.K}×${g.K} is larger than its input ${shapeText(input)} (use padding=same or a smaller kernel)`);
    return [g.OH, g.OW, c.filters];
  },
  params(cfg, input) {
    const c = cfg as Conv;
    const K = c.kernelSize;
    const C = input[2];
    return [
      { name: "W", size: K * K * C * c.filters, init: "weights", fanIn: K * K * C, fanOut: K * K * c.filters }, // (K, K, C, F)
      { name: "b", size: c.filters, init: "zeros" },
    ];
  },
  state: () => [],
  slots: () => ({}),
  scratch(cfg, input, _o, B) {
    const g = convGeometry(cfg as Conv, input);
    return convScratchSlots(B, g.H, g.W, g.C, g.F, g.K, g.S, g.OH, g.OW);
  },
  activation: (cfg) => ACTIVATION_CODES[(cfg as Conv).activation ?? "none"],
  forward({ be, L, B, scratch }) {
    const { input: x, output: y } = L;
    const g = convGeometry(L.config as Conv, x.shape);
    const f = x.u8 ? be.convForwardU8 : be.convForward;
    f.call(be, y.a, y.z, x.a, L.params.W, L.params.b, B, g.H, g.W, g.C, g.F, g.K, g.S, g.padT, g.padL, g.OH, g.OW, y.act, scratch);
  },
  backward({ be, L, B, scratch }) {
    const { input: x, output: y } = L;
    const g = convGeometry(L.config as Conv, x.shape);
    const f = x.u8 ? be.convBackwardFilterU8 : be.convBackwardFilter;
    f.call(be, L.grads.W, L.grads.b, y.dz, x.a, B, g.H, g.W, g.C, g.F, g.K, g.S, g.padT, g.padL, g.OH, g.OW, scratch);
    if (L.needInputGrad) be.convBackwardData(x.dz, y.dz, L.params.W, x.z, B, g.H, g.W, g.C, g.F, g.K, g.S, g.padT, g.padL, g.OH, g.OW, x.act, scratch);
  },
};
