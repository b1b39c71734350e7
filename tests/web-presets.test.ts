// The page's presets (web/training.ts): the CNN stacks are the CLI's, every preset builds a valid
// network on 28×28×1 digits, and settings become the same spec the CLI would build.
import { describe, expect, it } from "vitest";
import { PRESETS } from "../src/cli/train.js";
import { computeLayout, describeStack } from "../src/model/arena.js";
import { parseLayers } from "../src/layers/parse.js";
import { BEST_CNN_LAYERS, CNN_LAYERS, DEFAULT_SETTINGS, specFor, WEB_PRESETS } from "../web/training.js";

describe("the page's presets", () => {
  it("use the CLI's cnn and best-cnn stacks, optimizer, rate, batch, augmentation, warm-up and weight decay, with fewer epochs", () => {
    expect(CNN_LAYERS).toBe(PRESETS.cnn.layers);
    expect(BEST_CNN_LAYERS).toBe(PRESETS["best-cnn"].layers);
    for (const [web, cli] of [["cnn", "cnn"], ["best-cnn", "best-cnn"]] as const) {
      const s = WEB_PRESETS[web].settings;
      const c = PRESETS[cli];
      expect(s.layers).toBe(c.layers);
      expect(s.optimizer).toBe(c.optimizer);
      expect(s.lr).toBe(Number(c.lr));
      expect(s.batchSize).toBe(Number(c.batch));
      expect(s.augment).toBe(c.augment);
      expect(s.warmup ?? 0).toBe(Number(c.warmup ?? 0));
      expect(s.weightDecay ?? 0).toBe(Number(c["weight-decay"] ?? 0));
      expect(s.epochs).toBeLessThan(Number(c.epochs));
    }
    expect(WEB_PRESETS.mlp.settings).toBe(DEFAULT_SETTINGS);
  });

  it("each builds a network on 28×28×1 digits; the architecture line names every layer", () => {
    const lines = Object.fromEntries(
      Object.entries(WEB_PRESETS).map(([name, p]) => {
        const layout = computeLayout(specFor(p.settings), 64);
        return [name, `${describeStack(layout)} · ${layout.paramCount}`];
      }),
    );
    expect(lines).toEqual({
      mlp: "784-128-10 relu · 101770",
      "small-cnn": "28×28×1 → conv 8 5 act=relu, maxpool 2, conv 16 5 act=relu, maxpool 2, dense 10 · 5994",
      cnn: "28×28×1 → conv 32 3, batchnorm act=relu, maxpool 2, conv 64 3, batchnorm act=relu, maxpool 2, dropout 0.25, dense 128, batchnorm act=relu, dropout 0.25, dense 10 · 225482",
      "best-cnn":
        "28×28×1 → conv 32 5 padding=same, batchnorm act=relu, maxpool 2, conv 64 3 padding=same, batchnorm act=relu, maxpool 2, conv 128 3, batchnorm act=relu, dropout 0.25, dense 128, batchnorm act=relu, dropout 0.3, dense 10 · 504906",
    });
  });

  it("settings with layers give the CLI's spec (input shape [28, 28, 1], layers parsed by the --layers grammar); without, an MLP", () => {
    expect(specFor({ ...DEFAULT_SETTINGS, layers: CNN_LAYERS })).toEqual({
      inputSize: 784,
      inputShape: [28, 28, 1],
      hidden: [],
      layers: parseLayers(CNN_LAYERS),
      outputSize: 10,
      activation: "relu",
    });
    expect(specFor({ ...DEFAULT_SETTINGS, layers: "  " })).toEqual({ inputSize: 784, hidden: [128], outputSize: 10, activation: "relu" });
    expect(() => specFor({ ...DEFAULT_SETTINGS, layers: "conv 8 x" })).toThrow(/layer 1 "conv 8 x": "x" is not a number/);
    expect(() => specFor({ ...DEFAULT_SETTINGS, layers: "conv 8 3" }, 700)).toThrow(/square images/);
  });
});
