// The MNIST sample shipped in data/mnist-sample/: the normal loader reads it, it holds 500 of each
// digit for training and 100 of each for testing, it is at most 2 MB, and — with the real MNIST in
// $SIMDNET_MNIST_DIR — its images and labels are exactly what the selection rule in its README picks.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { hasMnistFiles, loadMnistDir } from "../src/data/files.js";
import { SAMPLE_TEST_COUNT, SAMPLE_TRAIN_COUNT, sampleDir } from "../src/data/sample.js";
import type { Dataset } from "../src/data/dataset.js";

const root = resolve(import.meta.dirname, "..");
const dir = join(root, "data", "mnist-sample");
const mnistDir = process.env.SIMDNET_MNIST_DIR;
const haveData = Boolean(mnistDir && hasMnistFiles(mnistDir));
const inCI = Boolean(process.env.CI);

const perClass = (d: Dataset) => Array.from({ length: 10 }, (_, k) => d.labels!.filter((y) => y === k).length);

/** The rule: the first `n` of each class, in file order. */
function firstOfEachClass(d: Dataset, n: number): { images: Uint8Array; labels: Uint8Array } {
  const counts = new Array(10).fill(0);
  const keep: number[] = [];
  for (let i = 0; i < d.count; i++) if (counts[d.labels![i]] < n) counts[d.labels![i]]++, keep.push(i);
  const images = new Uint8Array(keep.length * d.inputSize);
  keep.forEach((src, i) => images.set(d.images.subarray(src * d.inputSize, (src + 1) * d.inputSize), i * d.inputSize));
  return { images, labels: Uint8Array.from(keep, (i) => d.labels![i]) };
}

describe("the shipped MNIST sample", () => {
  it("is where the CLI looks, four gzipped IDX files and a README, ≤ 2 MB", () => {
    expect(sampleDir()).toBe(dir);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(["README.md", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]);
    for (const f of files.filter((f) => f.endsWith(".gz"))) expect(readFileSync(join(dir, f)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const bytes = files.filter((f) => f.endsWith(".gz")).reduce((s, f) => s + statSync(join(dir, f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(2_000_000); // 972,347
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    for (const s of ["Yann LeCun", "Corinna Cortes", "Christopher J.C. Burges", "CC BY-SA 3.0", "first **500 images of each", "first **100 images of each"]) expect(readme).toContain(s);
  });

  it("loads with the MNIST loader: 5,000 train and 1,000 test, 500 and 100 of each digit", () => {
    const { train, test } = loadMnistDir(dir);
    expect(train.count).toBe(SAMPLE_TRAIN_COUNT);
    expect(test.count).toBe(SAMPLE_TEST_COUNT);
    expect(train.inputSize).toBe(784);
    expect(perClass(train)).toEqual(new Array(10).fill(500));
    expect(perClass(test)).toEqual(new Array(10).fill(100));
  });

  it("real MNIST is available in CI", () => {
    if (inCI) expect(haveData, "CI must set SIMDNET_MNIST_DIR to the MNIST folder").toBe(true);
  });

  it.skipIf(!haveData)("holds exactly the first 500 (train) and 100 (t10k) of each digit of MNIST, in file order", () => {
    const sample = loadMnistDir(dir);
    const mnist = loadMnistDir(mnistDir!);
    for (const [got, from, n] of [[sample.train, mnist.train, 500], [sample.test, mnist.test, 100]] as const) {
      const want = firstOfEachClass(from, n);
      expect(Buffer.from(got.labels!).equals(Buffer.from(want.labels))).toBe(true);
      expect(Buffer.from(got.images).equals(Buffer.from(want.images))).toBe(true);
    }
  });
});
