// `simdnet export` → real TensorFlow.js: load model.json + weights.bin from disk with
// tf.loadLayersModel and check it predicts what simdnet predicts, for every hidden activation.
// Real MNIST from $SIMDNET_MNIST_DIR (required in CI); outside CI without it, synthetic digits, and
// one line says so. Every test exports its own model: none depends on files another one wrote.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { hasMnistFiles } from "../src/data/files.js";
import { loadMnist, saveModel } from "../src/node.js";
import { Model } from "../src/model/model.js";
import type { Dataset } from "../src/data/dataset.js";
import type { Activation } from "../src/model/spec.js";
import type { TfjsModelJson } from "../src/export/tfjs.js";
import { syntheticDigits } from "./fixtures.js";
import { realMnistDir } from "./helpers.js";

const root = resolve(import.meta.dirname, "..");
const mnistDir = realMnistDir("tfjs export", hasMnistFiles, "using synthetic digits instead");
const haveMnist = mnistDir !== undefined;
const N_TEST = 1000;

function head(d: Dataset, n: number): Dataset {
  return { ...d, images: d.images.subarray(0, n * d.inputSize), labels: d.labels?.subarray(0, n) ?? null, count: n };
}

/** An IOHandler reading the exported files from disk, as a user of tfjs in Node would. */
function fileHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
      const parts = json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p))));
      const all = Buffer.concat(parts);
      return {
        modelTopology: json.modelTopology as unknown as tf.io.ModelArtifacts["modelTopology"],
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

describe("TensorFlow.js export", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-tfjs-"));
  let train: Dataset;
  let test: Dataset;

  beforeAll(async () => {
    await tf.setBackend("cpu");
    if (haveMnist) {
      const m = loadMnist(mnistDir!);
      train = head(m.train, 6000);
      test = head(m.test, N_TEST);
    } else {
      train = syntheticDigits(2000, 1);
      test = syntheticDigits(N_TEST, 2);
    }
  });

  const cases: [Activation, number[]][] = [["relu", [64, 32]], ["tanh", [32]], ["sigmoid", [32]], ["leaky-relu", [32]], ["gelu", [64, 32]]];
  it.each(cases)(`%s %j: tf.loadLayersModel predicts what simdnet predicts on ${N_TEST} test images`, async (activation, hidden) => {
    const model = Model.create({ hidden, activation, seed: 5 });
    await model.fit(train, { epochs: 1, batchSize: 64, lr: 0.1 });
    const file = join(dir, `${activation}.simdnet`);
    saveModel(model, file);
    const out = join(dir, activation);
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), "export", "--model", file, "--out", out], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);

    const ours = model.predict(test.images, test.count);
    const oursClasses = model.predictClasses(test.images, test.count);
    if (haveMnist) expect(model.evaluate(test).accuracy).toBeGreaterThan(0.6); // a trained model, not noise

    const tfModel = await tf.loadLayersModel(fileHandler(out));
    const x = tf.tensor2d(Float32Array.from(test.images, (v) => v / 255), [test.count, 784]);
    const y = tfModel.predict(x) as tf.Tensor;
    const theirs = (await y.data()) as Float32Array;
    const theirClasses = (await y.argMax(1).data()) as Int32Array;
    tf.dispose([x, y]);
    tfModel.dispose();

    expect(theirs.length).toBe(ours.length);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(Array.from(theirClasses)).toEqual(Array.from(oursClasses));
  });

  it("a gelu model is a functional graph of stock layers (no custom or unloadable activation)", () => {
    const own = mkdtempSync(join(tmpdir(), "simdnet-tfjs-gelu-"));
    const file = join(own, "gelu.simdnet");
    saveModel(Model.create({ hidden: [16, 8], activation: "gelu", seed: 3 }), file);
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), "export", "--model", file, "--out", join(own, "gelu")], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(own, "gelu", "model.json"), "utf8")) as TfjsModelJson;
    expect(json.modelTopology.class_name).toBe("Functional");
    const layers = json.modelTopology.config.layers as { class_name: string; config: { activation?: string } }[];
    expect(new Set(layers.map((l) => l.class_name))).toEqual(new Set(["InputLayer", "Dense", "Multiply", "Add", "Activation"]));
    expect(layers.filter((l) => l.config.activation !== undefined).every((l) => ["linear", "tanh", "softmax"].includes(l.config.activation!))).toBe(true);
  });
});
