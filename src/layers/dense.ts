// dense: y = act(x·W + b) over the flattened input (an implicit flatten after spatial layers).
import { NONE } from "../backend/types.js";
import { layerScratchSlots } from "./scratch.js";
import { ACTIVATION_CODES } from "../model/spec.js";
import { sizeOf, type LayerConfig, type LayerKind } from "./layer.js";

type Dense = Extract<LayerConfig, { type: "dense" }>;

export const dense: LayerKind = {
  inPlace: false,
  outputShape: (cfg) => [(cfg as Dense).units],
  params(cfg, input) {
    const IN = sizeOf(input);
    const OUT = (cfg as Dense).units;
    return [
      { name: "W", size: IN * OUT, init: "weights", fanIn: IN, fanOut: OUT }, // (IN, OUT)
      { name: "b", size: OUT, init: "zeros" },
    ];
  },
  state: () => [],
  slots: () => ({}),
  scratch: (cfg, input) => layerScratchSlots(sizeOf(input), (cfg as Dense).units),
  activation: (cfg) => ACTIVATION_CODES[(cfg as Dense).activation ?? "none"],
  forward({ be, L, B, scratch }) {
    const { input: x, output: y } = L;
    const f = x.u8 ? be.denseForwardU8 : be.denseForward;
    f.call(be, y.a, y.z, x.a, L.params.W, L.params.b, B, x.size, y.size, y.act, scratch);
  },
  backward({ be, L, B, scratch }) {
    const { input: x, output: y } = L;
    if (x.u8) be.denseBackwardU8(L.grads.W, L.grads.b, y.dz, x.a, B, x.size, y.size, scratch);
    // the input gradient is fused with the producer's activation derivative
    else be.denseBackward(L.needInputGrad ? x.dz : NONE, L.grads.W, L.grads.b, y.dz, x.a, x.z, L.params.W, B, x.size, y.size, x.act, scratch);
  },
};
