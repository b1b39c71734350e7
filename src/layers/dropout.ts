// dropout: inverted dropout applied in place to its input while training (identity at evaluation).
// Masks come from a counter-based hash of (step seed, stream), so a step can be replayed exactly.
import { hash32 } from "../backend/types.js";
import { sizeOf, type LayerConfig, type LayerKind } from "./layer.js";

type Dropout = Extract<LayerConfig, { type: "dropout" }>;

/** The hash seed of a dropout layer's masks for one step (stream: see LayerLayout.stream). */
export const dropoutMaskSeed = (stepSeed: number, stream: number): number => hash32((stepSeed + stream * 0x632be5ab) >>> 0);

export const dropout: LayerKind = {
  inPlace: true,
  outputShape: (_c, input) => input,
  params: () => [],
  state: () => [],
  slots: (_c, input, _o, B) => ({ mask: B * sizeOf(input) }),
  scratch: () => 0,
  activation: () => 0,
  forward({ be, L, B, training, dropoutSeed }) {
    const rate = (L.config as Dropout).rate;
    if (!training || dropoutSeed === undefined || rate === 0) return;
    be.dropoutForward(L.input.a, L.slots.mask, B * L.input.size, rate, dropoutMaskSeed(dropoutSeed, L.stream));
  },
  backward({ be, L, B, dropoutApplied }) {
    if (dropoutApplied && L.needInputGrad && (L.config as Dropout).rate > 0) be.dropoutBackward(L.input.dz, L.slots.mask, B * L.input.size);
  },
};
