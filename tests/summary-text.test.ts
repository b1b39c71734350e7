// The Keras-style text table of `simdnet info` (formatSummary): columns aligned whatever the names'
// lengths, rules as wide as the table, parameter counts right-aligned, sizes in B / KB / MB at the
// 1024 boundaries.
import { describe, expect, it } from "vitest";
import { formatSummary, modelSummary } from "../src/model/summary.js";
import type { ModelSpec } from "../src/model/spec.js";

const CNN: ModelSpec = {
  inputSize: 64,
  inputShape: [8, 8, 1],
  hidden: [],
  layers: [{ type: "conv2d", filters: 4, kernelSize: 3 }, { type: "batchNormalization" }, { type: "maxPooling2d", poolSize: 2 }],
  outputSize: 3,
  activation: "relu",
};
const softmax = (inputSize: number, outputSize: number): ModelSpec => ({ inputSize, hidden: [], outputSize, activation: "relu" });
const sizes = (text: string) => text.split("\n").slice(-3).map((l) => l.match(/\(([^)]*)\)$/)![1]);

describe("formatSummary", () => {
  it("a CNN: input line, rules as wide as the table, one aligned row per layer, totals", () => {
    const lines = formatSummary(modelSummary(CNN)).split("\n");
    expect(lines[0]).toBe("Input: (None, 8, 8, 1)  (8×8×1 per sample)");
    const rules = [1, 3, 8].map((i) => lines[i]);
    for (const r of rules) expect(r).toMatch(/^━+$/);
    const width = rules[0].length;
    expect(new Set(rules.map((r) => r.length))).toEqual(new Set([width]));
    const table = [lines[2], ...lines.slice(4, 8)];
    expect(table.map((l) => l.split(/ {3,}/))).toEqual([
      ["Layer (type)", "Output Shape", "Param #"],
      ["conv 4 3 act=relu (conv2d)", "(None, 6, 6, 4)", "40"],
      ["batchnorm (batchNormalization)", "(None, 6, 6, 4)", "16"],
      ["maxpool 2 (maxPooling2d)", "(None, 3, 3, 4)", "0"],
      ["dense 3 (dense)", "(None, 3)", "111"],
    ]);
    // the widest name sets the first column: 30 characters, then 3 spaces before every shape
    for (const l of table) expect(l.indexOf(l.includes("Output") ? "Output" : "(None")).toBe("batchnorm (batchNormalization)".length + 3);
    // counts end at the right edge of the rules
    for (const l of table) expect(l.length).toBe(width);
    expect(lines.slice(9)).toEqual(["Total params: 167 (668 B)", "Trainable params: 159 (636 B)", "Non-trainable params: 8 (32 B)"]);
  });

  it("thousands separators, and a header wider than its column", () => {
    const lines = formatSummary(modelSummary({ inputSize: 784, hidden: [800], outputSize: 10, activation: "relu" })).split("\n");
    expect(lines[4].split(/ {3,}/)).toEqual(["dense 800 act=relu (dense)", "(None, 800)", "628,000"]);
    expect(lines[5]).toMatch(/^dense 10 \(dense\) +\(None, 10\) +8,010$/);
    expect(lines[5].indexOf("(None")).toBe(lines[2].indexOf("Output Shape")); // "Output Shape" (12) is wider than "(None, 800)" (11)
    expect(lines[5].length).toBe(lines[1].length);
    expect(lines[7]).toBe("Total params: 636,010 (2.43 MB)");
  });

  it("sizes: bytes below 1 KB, KB below 1 MB, then MB", () => {
    expect(sizes(formatSummary(modelSummary(softmax(84, 3))))[0]).toBe("1020 B"); // 255 params
    expect(sizes(formatSummary(modelSummary(softmax(127, 2))))[0]).toBe("1.00 KB"); // 256 params = 1024 B
    expect(sizes(formatSummary(modelSummary(softmax(87380, 3))))[0]).toBe("1024.00 KB"); // 262,143 params
    expect(sizes(formatSummary(modelSummary(softmax(131071, 2))))[0]).toBe("1.00 MB"); // 262,144 params = 1 MiB
    expect(sizes(formatSummary(modelSummary(CNN)))).toEqual(["668 B", "636 B", "32 B"]);
  });

  it("a flat input's summary starts from its size", () => {
    expect(modelSummary(softmax(5, 2)).inputShape).toEqual([5]);
    expect(formatSummary(modelSummary(softmax(5, 2))).split("\n")[0]).toBe("Input: (None, 5)  (5 per sample)");
  });
});
