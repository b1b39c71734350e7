// flatten: (H, W, C) → (H·W·C) in NHWC order, as TF.js' Flatten. A view: no data moves.
import { sizeOf, type LayerKind } from "./layer.js";

export const flatten: LayerKind = {
  inPlace: true,
  outputShape: (_c, input) => [sizeOf(input)],
  params: () => [],
  state: () => [],
  slots: () => ({}),
  scratch: () => 0,
  activation: () => 0,
  forward() {},
  backward() {},
};
