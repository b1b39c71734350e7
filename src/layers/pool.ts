// Pooling: max and average over PH×PW windows (no padding), and global average pooling to (C).
import { SimdnetError } from "../errors.js";
import { isSpatial, shapeText, sizeOf, type LayerConfig, type LayerKind, type Shape, type BackwardContext } from "./layer.js";

type Pool = Extract<LayerConfig, { type: "maxPooling2d" | "averagePooling2d" }>;

/** Window, stride and output size of a pooling layer on an (H, W, C) input. */
export function poolGeometry(cfg: LayerConfig, input: Shape) {
  const [H, W, C] = input;
  if (cfg.type === "globalAveragePooling2d") return { H, W, C, PH: H, PW: W, SH: 1, SW: 1, OH: 1, OW: 1 };
  const P = (cfg as Pool).poolSize;
  const S = (cfg as Pool).strides ?? P;
  return { H, W, C, PH: P, PW: P, SH: S, SW: S, OH: H >= P ? Math.floor((H - P) / S) + 1 : 0, OW: W >= P ? Math.floor((W - P) / S) + 1 : 0 };
}

function spatialOutput(cfg: LayerConfig, input: Shape, name: string): Shape {
  if (!isSpatial(input)) throw new SimdnetError(`layer ${name}: pooling needs an image input (H×W×C), got flat ${shapeText(input)} (a spatial layer cannot follow a dense or flatten layer)`);
  const g = poolGeometry(cfg, input);
  if (cfg.type === "globalAveragePooling2d") return [g.C];
  if (g.OH < 1 || g.OW < 1) throw new SimdnetError(`layer ${name}: pool ${g.PH}×${g.PW} is larger than its input ${shapeText(input)}`);
  return [g.OH, g.OW, g.C];
}

/** Applies the producer's activation derivative to the gradient a non-fusing kernel just wrote. */
export function inputActivationGrad({ be, L, B }: BackwardContext): void {
  const x = L.input;
  if (x.act !== 0) be.activationBackward(x.dz, x.z, B * x.size, x.act);
}

const noParams = { params: () => [], state: () => [], scratch: () => 0, activation: () => 0, inPlace: false } as const;

export const maxPooling2d: LayerKind = {
  ...noParams,
  outputShape: spatialOutput,
  slots: (_c, _i, output, B) => ({ argmax: B * sizeOf(output) }), // int32 in-plane index of each max
  forward({ be, L, B }) {
    const g = poolGeometry(L.config, L.input.shape);
    be.maxPoolForward(L.output.a, L.slots.argmax, L.input.a, B, g.H, g.W, g.C, g.PH, g.PW, g.SH, g.SW, g.OH, g.OW);
  },
  backward(ctx) {
    const { be, L, B } = ctx;
    if (!L.needInputGrad) return;
    const g = poolGeometry(L.config, L.input.shape);
    be.maxPoolBackward(L.input.dz, L.output.dz, L.slots.argmax, B, g.H, g.W, g.C, g.OH, g.OW);
    inputActivationGrad(ctx);
  },
};

const averageKind: LayerKind = {
  ...noParams,
  outputShape: spatialOutput,
  slots: () => ({}),
  forward({ be, L, B }) {
    const g = poolGeometry(L.config, L.input.shape);
    be.avgPoolForward(L.output.a, L.input.a, B, g.H, g.W, g.C, g.PH, g.PW, g.SH, g.SW, g.OH, g.OW);
  },
  backward(ctx) {
    const { be, L, B } = ctx;
    if (!L.needInputGrad) return;
    const g = poolGeometry(L.config, L.input.shape);
    be.avgPoolBackward(L.input.dz, L.output.dz, B, g.H, g.W, g.C, g.PH, g.PW, g.SH, g.SW, g.OH, g.OW);
    inputActivationGrad(ctx);
  },
};

export const averagePooling2d = averageKind;
export const globalAveragePooling2d = averageKind;
