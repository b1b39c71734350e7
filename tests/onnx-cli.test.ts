// The command line's ONNX directions: simdnet export --format onnx, simdnet import, and fine-tuning
// an imported model with simdnet train --init-from (on the shipped MNIST sample).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeModel } from "../src/model/format.js";
import { Model } from "../src/model/model.js";
import { fullStack } from "../src/layers/index.js";
import { saveModel } from "../src/node.js";
import { syntheticDigits } from "./fixtures.js";

const root = resolve(import.meta.dirname, "..");
const sample = join(root, "data/mnist-sample");
const dir = mkdtempSync(join(tmpdir(), "simdnet-onnx-cli-"));

function cli(...args: string[]) {
  return spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), ...args], { encoding: "utf8", cwd: dir });
}
const bits = (f: Float32Array) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));

describe("simdnet export --format onnx / simdnet import", () => {
  let model: Model;
  const file = join(dir, "mlp.simdnet");
  beforeAll(async () => {
    model = Model.create({ hidden: [24], activation: "tanh", seed: 4 });
    await model.fit(syntheticDigits(500, 1), { epochs: 1, batchSize: 50 });
    saveModel(model, file);
  });

  it("exports a model file to ONNX that ONNX Runtime runs, and imports it back bit for bit", async () => {
    const r = cli("export", "--model", file, "--format", "onnx", "--out", join(dir, "mlp.onnx"));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ONNX model \(opset 13, .* bytes\) written to .*mlp\.onnx \(input "input" \[N, features\]: pixels \/ 255; output "probabilities"\)/);
    const bytes = readFileSync(join(dir, "mlp.onnx"));
    const x = syntheticDigits(20, 9);
    const session = await ort.InferenceSession.create(bytes);
    const y = (await session.run({ input: new ort.Tensor("float32", Float32Array.from(x.images, (v) => v / 255), [20, 784]) })).probabilities.data as Float32Array;
    const ours = model.predict(x.images, 20);
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i] - y[i])).toBeLessThan(1e-5);

    const back = cli("import", join(dir, "mlp.onnx"), "--out", join(dir, "back.simdnet"));
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/imported .*mlp\.onnx \(simdnet, opset 13\) → .*back\.simdnet/);
    const m = decodeModel(readFileSync(join(dir, "back.simdnet")));
    expect(bits(m.params)).toEqual(bits(model.getParams()));
    expect(m.spec.hidden).toEqual([24]);
    expect(m.header.imported).toMatchObject({ format: "onnx", producer: "simdnet", opset: 13 });

    const logits = cli("export", "--model", file, "--format", "onnx", "--logits", "--out", join(dir, "logits.onnx"));
    expect(logits.status, logits.stderr).toBe(0);
    expect((await ort.InferenceSession.create(readFileSync(join(dir, "logits.onnx")))).outputNames).toEqual(["logits"]);
  });

  it("refuses clearly: an unsupported graph names the operator; a missing file, a bad format, a stray --logits", () => {
    const elu = cli("import", join(root, "tests/fixtures/onnx/refuse-elu.onnx"), "--out", join(dir, "x.simdnet"));
    expect(elu.status).toBe(2);
    expect(elu.stderr).toMatch(/refuse-elu\.onnx, field node: cannot import this ONNX model: operator "Elu"/);
    const junk = cli("import", file, "--out", join(dir, "x.simdnet")); // a .simdnet file is not ONNX
    expect(junk.status).toBe(2);
    expect(junk.stderr).toMatch(/not a valid ONNX file/);
    expect(cli("import", join(dir, "nope.onnx"), "--out", "x").stderr).toMatch(/no such ONNX file/);
    expect(cli("import", "--out", "x").stderr).toMatch(/missing the ONNX file/);
    expect(cli("export", "--model", file, "--format", "caffe", "--out", "x").stderr).toMatch(/unknown export format "caffe"; expected tfjs or onnx/);
    expect(cli("export", "--model", file, "--logits", "--out", "x").stderr).toMatch(/--logits is an option of --format onnx/);
  });
});

describe("simdnet train --init-from: fine-tuning an imported PyTorch model", () => {
  it("imports torch-mlp.onnx, fine-tunes it on the MNIST sample, keeps its architecture; a different --hidden is refused", () => {
    const imported = join(dir, "torch-mlp.simdnet");
    const r = cli("import", join(root, "tests/fixtures/onnx/torch-mlp.onnx"), "--out", imported);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pytorch 1\.13.*opset 11, logits output/);
    const start = decodeModel(readFileSync(imported));

    const tuned = join(dir, "tuned.simdnet");
    const t = cli("train", "--init-from", imported, "--data", sample, "--epochs", "1", "--lr", "0.01", "--backend", "js", "--json", "--out", tuned);
    expect(t.status, t.stderr).toBe(0);
    const summary = JSON.parse(t.stdout.trim().split("\n").pop()!);
    console.log(`torch-mlp fine-tuned 1 epoch on the sample: test accuracy ${summary.testAccuracy}`);
    expect(summary.testAccuracy).toBeGreaterThan(0.8); // it starts from PyTorch's weights (~88%), not from random ones
    const after = decodeModel(readFileSync(tuned));
    expect(fullStack(after.spec)).toEqual(fullStack(start.spec));
    expect(bits(after.params)).not.toEqual(bits(start.params));

    const bad = cli("train", "--init-from", imported, "--hidden", "64", "--data", sample, "--epochs", "1", "--out", join(dir, "bad.simdnet"));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/field --init-from: --init-from .*torch-mlp\.simdnet is a .* model; --hidden gives 784-64-10 relu: leave it out/);
  });
});
