// The page's file picking (web/data.ts): which picked file is which, gzip through
// DecompressionStream (a web API Node has too), and errors that say what to pick instead.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { datasetsFromFiles } from "../web/data.js";
import { encodeIdx } from "../src/data/idx.js";
import { encodeDigitsCsv } from "../src/data/csv.js";
import { syntheticDigits } from "./fixtures.js";

const train = syntheticDigits(30, 1);
const test = syntheticDigits(12, 2);
const images = (d: typeof train) => encodeIdx([d.count, 28, 28], d.images);
const labels = (d: typeof train) => encodeIdx([d.count], d.labels!);
const bytes = (s: string) => new TextEncoder().encode(s);

describe("datasetsFromFiles", () => {
  it("pairs the four MNIST files by content and name, gunzipping any of them", async () => {
    const r = await datasetsFromFiles([
      { name: "t10k-labels-idx1-ubyte", bytes: labels(test) },
      { name: "train-images-idx3-ubyte.gz", bytes: gzipSync(images(train)) },
      { name: "t10k-images-idx3-ubyte.gz", bytes: gzipSync(images(test)) },
      { name: "train-labels-idx1-ubyte", bytes: labels(train) },
    ]);
    expect(r.train!.count).toBe(30);
    expect(r.train!.images).toEqual(train.images);
    expect(r.train!.labels).toEqual(train.labels);
    expect(r.test!.count).toBe(12);
    expect(r.test!.labels).toEqual(test.labels);
    expect(r.description).toBe("30 training images + 12 test images (MNIST IDX)");
  });

  it("accepts only the test files (enough to test a loaded model)", async () => {
    const r = await datasetsFromFiles([{ name: "t10k-images-idx3-ubyte", bytes: images(test) }, { name: "t10k-labels-idx1-ubyte", bytes: labels(test) }]);
    expect(r.train).toBeNull();
    expect(r.test!.count).toBe(12);
    expect(r.description).toBe("12 test images (MNIST IDX)");
  });

  it("reads a Kaggle train.csv (gzipped too) as the training set", async () => {
    const r = await datasetsFromFiles([{ name: "train.csv.gz", bytes: gzipSync(bytes(encodeDigitsCsv(train))) }]);
    expect(r.test).toBeNull();
    expect(r.train!.images).toEqual(train.images);
    expect(r.train!.labels).toEqual(train.labels);
  });

  it("says what is missing or wrong", async () => {
    await expect(datasetsFromFiles([{ name: "train-images-idx3-ubyte", bytes: images(train) }])).rejects.toThrow(/images without labels: also pick the matching train-labels file/);
    await expect(datasetsFromFiles([{ name: "t10k-labels-idx1-ubyte", bytes: labels(test) }])).rejects.toThrow(/labels without images/);
    await expect(datasetsFromFiles([])).rejects.toThrow(/no files picked/);
    // a gzipped file that is not data: gunzipped first, then refused by what it holds ("# hi")
    await expect(datasetsFromFiles([{ name: "README.md.gz", bytes: gzipSync(bytes("# hi")) }])).rejects.toThrow(/README\.md\.gz, byte 0, field magic: not an IDX file.*0x23206869/);
    // an IDX file that is neither images (3 dimensions) nor labels (1)
    await expect(datasetsFromFiles([{ name: "train-images-idx2-ubyte", bytes: encodeIdx([30, 784], train.images) }])).rejects.toThrow(/train-images-idx2-ubyte, byte 3, field dimensions: an IDX file with 2 dimensions/);
    await expect(datasetsFromFiles([{ name: "train.csv", bytes: bytes(encodeDigitsCsv(train)) }, { name: "train-images-idx3-ubyte", bytes: images(train) }])).rejects.toThrow(/either one Kaggle CSV or MNIST IDX files, not both/);
    const unlabelled = encodeDigitsCsv({ ...test, labels: null });
    await expect(datasetsFromFiles([{ name: "test.csv", bytes: bytes(unlabelled) }])).rejects.toThrow(/test\.csv, line 1, field label: .*no label column/);
    await expect(datasetsFromFiles([{ name: "train-images-idx3-ubyte.gz", bytes: gzipSync(images(train)).subarray(0, 100) }])).rejects.toThrow(/train-images-idx3-ubyte\.gz, field gzip: corrupt or truncated gzip/);
    await expect(datasetsFromFiles([{ name: "notes.txt", bytes: bytes("hello") }])).rejects.toThrow(/notes\.txt, byte 0, field magic: not an IDX file/);
  });
});
