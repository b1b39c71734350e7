// End to end on real MNIST (read from $SIMDNET_MNIST_DIR, which CI sets). Outside CI, without
// the data, these tests skip; in CI a missing folder is a failure, never a skip.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { realMnistDir } from "./helpers.js";
import { resolveTrainConfig, runTrain } from "../src/cli/train.js";
import type { Reporter } from "../src/cli/output.js";
import { decodeModel } from "../src/model/format.js";

const dir = realMnistDir("real MNIST end to end");
const haveData = dir !== undefined;

const quiet: Reporter = { info() {}, batch() {}, epoch() {}, event() {}, warn() {} };

async function train(args: string[]) {
  const out = join(mkdtempSync(join(tmpdir(), "simdnet-e2e-")), "model.simdnet");
  const cfg = resolveTrainConfig(["--data", dir!, "--out", out, ...args]);
  if (cfg === "help") throw new Error("unexpected help");
  return { summary: await runTrain(cfg, quiet), out };
}

describe("real MNIST", () => {
  it.skipIf(!haveData)("--hidden 128 --epochs 5 reaches ≥ 97.5% test accuracy and writes a loadable model", async () => {
    const { summary, out } = await train(["--hidden", "128", "--epochs", "5"]);
    expect(summary.testAccuracy).toBeGreaterThanOrEqual(0.975);
    expect(summary.epochs).toBe(5);
    const model = decodeModel(readFileSync(out), out);
    expect(model.spec.hidden).toEqual([128]);
    expect(model.header.metrics?.testAccuracy).toBe(summary.testAccuracy);
  });

  it.skipIf(!haveData)("--preset seed (784-10-10, full-batch GD, lr 0.1, 100 iterations, He init) reaches ≥ 80%", async () => {
    const { summary } = await train(["--preset", "seed"]);
    expect(summary.epochs).toBe(100);
    expect(summary.testAccuracy).toBeGreaterThanOrEqual(0.8);
  });

  it.skipIf(!haveData)("--preset mlp reaches ≥ 98.0% test accuracy in ≤ 10 epochs", async () => {
    const { summary } = await train(["--preset", "mlp"]);
    expect(summary.epochs).toBeLessThanOrEqual(10);
    expect(summary.testAccuracy).toBeGreaterThanOrEqual(0.98);
  });

  it.skipIf(!haveData)("a CNN (the TF.js tutorial net) trains 1 epoch to ≥ 97.5% test accuracy; its file keeps the stack", async () => {
    const { summary, out } = await train(["--layers", "conv 8 5, maxpool 2, conv 16 5, maxpool 2", "--epochs", "1"]);
    expect(summary.testAccuracy).toBeGreaterThanOrEqual(0.975);
    const model = decodeModel(readFileSync(out), out);
    expect(model.spec.layers?.map((l) => l.type)).toEqual(["conv2d", "maxPooling2d", "conv2d", "maxPooling2d"]);
    expect(model.spec.inputShape).toEqual([28, 28, 1]);
  });
});
