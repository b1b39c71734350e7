// `simdnet export` of table models → real TensorFlow.js: a normalised classifier and a (multi-output)
// regression model, loaded with tf.loadLayersModel from disk, fed raw feature values, must give what
// simdnet gives (the scaling and target units are folded into the weights).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCsv, saveModel } from "../src/node.js";
import { Model } from "../src/model/model.js";
import type { TfjsModelJson } from "../src/export/tfjs.js";
import type { NormalizeKind } from "../src/data/table.js";
import { Rng } from "../src/rng.js";

const root = resolve(import.meta.dirname, "..");

function fileHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, "model.json"), "utf8")) as TfjsModelJson;
      const all = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
      return {
        modelTopology: json.modelTopology as unknown as tf.io.ModelArtifacts["modelTopology"],
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

/** Features on very different scales (so a missing scaling shows): a ~ 1000 ± 300, b ~ 0.01 ± 0.003, c constant. */
function table(n: number, seed: number): string {
  const rng = new Rng(seed);
  const rows = ["a,b,c,kind,y1,y2"];
  for (let i = 0; i < n; i++) {
    const a = 1000 + 300 * rng.normal(), b = 0.01 + 0.003 * rng.normal();
    const kind = a / 300 + b / 0.003 > 1000 / 300 + 0.01 / 0.003 ? "high" : "low";
    rows.push(`${a.toFixed(2)},${b.toExponential(4)},5,${kind},${(0.02 * a - 500 * b + rng.normal()).toFixed(4)},${(3 * a + 10).toFixed(2)}`);
  }
  return rows.join("\n") + "\n";
}

describe("TensorFlow.js export of table models", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-tfjs-tab-"));
  writeFileSync(join(dir, "t.csv"), table(300, 1));
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  const cases: [string, string[], NormalizeKind][] = [
    ["normalised classifier (standard)", ["kind"], "standard"],
    ["normalised classifier (minmax)", ["kind"], "minmax"],
    ["two-output regression", ["y1", "y2"], "standard"],
  ];
  it.each(cases)("%s: tf.loadLayersModel on raw features gives simdnet's outputs", async (name, label, normalize) => {
    const data = await loadCsv(join(dir, "t.csv"), { label, features: ["a", "b", "c"], normalize });
    const model = Model.create({ data, hidden: [8, 4], activation: "tanh", seed: 3 });
    await model.fit(data, { epochs: 20, batchSize: 16, optimizer: "adam", lr: 0.01, validation: 0.2 });
    const file = join(dir, `${name}.simdnet`);
    saveModel(model, file);
    const out = join(dir, name.replace(/\W+/g, "-"));
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), "export", "--model", file, "--out", out], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
    expect(json.userDefinedMetadata.simdnet.features).toEqual(["a", "b", "c"]);

    const ours = model.predict(data.values, data.count); // raw features in, probabilities or targets' units out
    const tfModel = await tf.loadLayersModel(fileHandler(out));
    const x = tf.tensor2d(data.values, [data.count, 3]);
    const y = tfModel.predict(x) as tf.Tensor;
    const theirs = (await y.data()) as Float32Array;
    tf.dispose([x, y]);
    tfModel.dispose();
    expect(theirs.length).toBe(ours.length);
    let maxRel = 0;
    for (let i = 0; i < ours.length; i++) maxRel = Math.max(maxRel, Math.abs(ours[i] - theirs[i]) / Math.max(1, Math.abs(ours[i])));
    expect(maxRel).toBeLessThan(1e-4);
    if (label.length === 2) {
      expect(json.userDefinedMetadata.simdnet.targets).toEqual(["y1", "y2"]);
      expect(Math.abs(theirs[1] - (3 * data.values[0] + 10))).toBeLessThan(0.05 * 3000); // y2 in its own units
    } else expect(json.userDefinedMetadata.simdnet.classNames).toEqual(["high", "low"]);
  });
});
