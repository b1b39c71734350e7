// predict, evaluate and info as a user runs them: child processes against a model trained by the CLI,
// checked against the same model run in-process.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeDigitsCsv } from "../src/data/csv.js";
import { allOf } from "../src/data/dataset.js";
import { decodeModel } from "../src/model/format.js";
import { Network } from "../src/model/network.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { argmaxRows } from "../src/model/metrics.js";
import { syntheticDigits } from "./fixtures.js";

const root = resolve(import.meta.dirname, "..");
function simdnet(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), ...args], {
    cwd,
    env: { ...process.env, SIMDNET_MNIST_DIR: undefined },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("simdnet predict / evaluate / info (CLI)", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-cmd-"));
  const model = join(dir, "m.simdnet");
  const test = syntheticDigits(157, 9); // not a multiple of the inference batch
  const labelledCsv = join(dir, "labelled.csv");
  const unlabelledCsv = join(dir, "test.csv");
  const inProcess = () => {
    const m = decodeModel(readFileSync(model), model);
    const net = new Network(m.spec, new WasmBackend(), 64);
    net.setParams(m.params);
    return { m, net };
  };

  beforeAll(() => {
    writeFileSync(join(dir, "train.csv"), encodeDigitsCsv(syntheticDigits(300, 3)));
    writeFileSync(labelledCsv, encodeDigitsCsv(test));
    writeFileSync(unlabelledCsv, encodeDigitsCsv({ ...test, labels: null }));
    const r = simdnet(["train", "--data", "train.csv", "--epochs", "2", "--hidden", "12,8", "--activation", "tanh", "--out", model], dir);
    expect(r.code, r.stderr).toBe(0);
  });

  it("predict writes Kaggle's submission format, matching in-process predictions", () => {
    const out = join(dir, "submission.csv");
    const r = simdnet(["predict", "--model", model, "--data", unlabelledCsv, "--out", out], dir);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).not.toContain("\r");
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe("ImageId,Label");
    expect(lines).toHaveLength(test.count + 1);
    const { m, net } = inProcess();
    const expected = argmaxRows(net.predictProbs(test.images, test.count), m.spec.outputSize);
    lines.slice(1).forEach((line, i) => expect(line).toBe(`${i + 1},${expected[i]}`));
    // a labelled CSV gives the same predictions (labels ignored)
    const out2 = join(dir, "sub2.csv");
    expect(simdnet(["predict", "--model", model, "--data", labelledCsv, "--out", out2], dir).code).toBe(0);
    expect(readFileSync(out2, "utf8")).toBe(text);
  });

  it("predict on a Kaggle-sized test.csv (28000 unlabelled rows): 28000 ids in row order", () => {
    const kaggle = syntheticDigits(28_000, 17);
    const csv = join(dir, "kaggle-test.csv");
    const text28k = encodeDigitsCsv({ ...kaggle, labels: null });
    expect(text28k.slice(0, 16)).toBe("pixel0,pixel1,pi"); // Kaggle's test.csv header: no label column
    writeFileSync(csv, text28k);
    const out = join(dir, "submission-28k.csv");
    const r = simdnet(["predict", "--model", model, "--data", csv, "--out", out], dir);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, "utf8");
    const lines = text.split("\n");
    expect(lines.pop()).toBe(""); // LF-terminated, no CR anywhere
    expect(text).not.toContain("\r");
    expect(lines).toHaveLength(28_001);
    expect(lines[0]).toBe("ImageId,Label");
    const { m, net } = inProcess();
    const expected = argmaxRows(net.predictProbs(kaggle.images, kaggle.count), m.spec.outputSize);
    for (let i = 1; i <= 28_000; i++) if (lines[i] !== `${i},${expected[i - 1]}`) expect(lines[i]).toBe(`${i},${expected[i - 1]}`);
  });

  it("evaluate --json: accuracy and loss equal in-process evaluate; the confusion matrix sums to n", () => {
    const r = simdnet(["evaluate", "--model", model, "--data", labelledCsv, "--json"], dir);
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    const { net } = inProcess();
    const ref = net.evaluate(allOf(test));
    expect(rep.accuracy).toBe(ref.accuracy);
    expect(rep.loss).toBeCloseTo(ref.loss, 6);
    expect(rep.count).toBe(test.count);
    const flat: number[] = rep.confusion.flat();
    expect(rep.confusion).toHaveLength(10);
    expect(flat.reduce((a, b) => a + b, 0)).toBe(test.count);
    const diag = rep.confusion.reduce((s: number, row: number[], i: number) => s + row[i], 0);
    expect(diag / test.count).toBeCloseTo(ref.accuracy, 10);
    expect(rep.classes.map((c: { support: number }) => c.support).reduce((a: number, b: number) => a + b, 0)).toBe(test.count);
    const text = simdnet(["evaluate", "--model", model, "--data", labelledCsv], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`accuracy ${(100 * ref.accuracy).toFixed(2)}%`);
    expect(text.stdout).toMatch(/confusion matrix/);
  });

  it("evaluate refuses an unlabelled CSV with a named error", () => {
    const r = simdnet(["evaluate", "--model", model, "--data", unlabelledCsv], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("test.csv");
  });

  it("info shows the layer sizes and training config; --json is the header", () => {
    const r = simdnet(["info", "--model", model], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("784-12-8-10");
    expect(r.stdout).toContain("tanh");
    expect(r.stdout).toMatch(/epochs\s+2/);
    const j = simdnet(["info", "--model", model, "--json"], dir);
    const h = JSON.parse(j.stdout);
    expect(h.hidden).toEqual([12, 8]);
    expect(h.paramCount).toBe(784 * 12 + 12 + 12 * 8 + 8 + 8 * 10 + 10);
  });

  it("a missing or corrupt model file: exit 2 naming the file, no stack", () => {
    const bad = join(dir, "bad.simdnet");
    writeFileSync(bad, "not a model at all");
    for (const [cmd, file] of [["info", join(dir, "missing.simdnet")], ["predict", bad], ["evaluate", bad]]) {
      const r = simdnet([cmd, "--model", file, ...(cmd === "info" ? [] : ["--data", labelledCsv])], dir);
      expect(r.code, cmd).toBe(2);
      expect(r.stderr).toContain(file);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("--help works and unknown options are errors", () => {
    for (const cmd of ["predict", "evaluate", "info", "export"]) {
      const h = simdnet([cmd, "--help"], dir);
      expect(h.code).toBe(0);
      expect(h.stdout).toContain("--model");
      const r = simdnet([cmd, "--bogus"], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/bogus/);
    }
    const f = simdnet(["export", "--model", model, "--format", "caffe", "--out", join(dir, "x")], dir);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/--format.*unknown export format "caffe"; expected tfjs or onnx/);
  });
});
