import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeIdx, idxToDataset, parseIdx } from "../src/data/idx.js";
import { encodeDigitsCsv, parseDigitsCsv } from "../src/data/csv.js";
import { loadCsvFile, loadMnistDir, MNIST_FILES } from "../src/data/files.js";
import { splitTrainVal, type Dataset } from "../src/data/dataset.js";
import { SimdnetError } from "../src/errors.js";
import { thrown } from "./helpers.js";
import { Rng } from "../src/rng.js";

function fixture(count: number, seed = 1, D = 784): Dataset {
  const rng = new Rng(seed);
  return {
    images: new Uint8Array(count * D).map(() => (rng.next() < 0.6 ? 0 : rng.int(256))),
    labels: new Uint8Array(count).map(() => rng.int(10)),
    count,
    inputSize: D,
    source: "fixture",
  };
}

function writeMnistDir(train: Dataset, test: Dataset, gz: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-idx-"));
  const put = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, gz ? name + ".gz" : name), gz ? gzipSync(bytes) : bytes);
  put(MNIST_FILES.trainImages, encodeIdx([train.count, 28, 28], train.images));
  put(MNIST_FILES.trainLabels, encodeIdx([train.count], train.labels!));
  put(MNIST_FILES.testImages, encodeIdx([test.count, 28, 28], test.images));
  put(MNIST_FILES.testLabels, encodeIdx([test.count], test.labels!));
  return dir;
}

describe("IDX", () => {
  it("round-trips raw and gzipped folders", () => {
    const train = fixture(50, 1);
    const test = fixture(20, 2);
    for (const gz of [false, true]) {
      const m = loadMnistDir(writeMnistDir(train, test, gz));
      expect(m.train.count).toBe(50);
      expect(m.test.count).toBe(20);
      expect(Buffer.from(m.train.images).equals(Buffer.from(train.images))).toBe(true);
      expect(Array.from(m.test.labels!)).toEqual(Array.from(test.labels!));
    }
  });

  it("reports wrong magic, truncation, extra bytes and count mismatches", () => {
    const good = encodeIdx([3, 28, 28], new Uint8Array(3 * 784));
    const bad = good.slice();
    bad[2] = 0x0d;
    expect(thrown(() => parseIdx(bad, "x.idx")).message).toMatch(/x\.idx, byte 2, field magic: unsupported IDX element type/);
    const notIdx = good.slice();
    notIdx[0] = 0x42;
    expect(thrown(() => parseIdx(notIdx, "x.idx")).field).toBe("magic");
    const short = thrown(() => parseIdx(good.subarray(0, good.length - 10), "x.idx"));
    expect(short.message).toMatch(/truncated: header claims 3×28×28 = 2352 data bytes but only 2342 follow/);
    expect(thrown(() => parseIdx(new Uint8Array([...good, 1]), "x.idx")).message).toMatch(/1 unexpected bytes/);
    const labels = parseIdx(encodeIdx([4], new Uint8Array(4)), "l.idx");
    expect(thrown(() => idxToDataset(parseIdx(good, "i.idx"), labels, "i.idx", "l.idx")).message).toMatch(/label count 4 does not match image count 3/);
  });
});

describe("Kaggle CSV", () => {
  it("round-trips train and test layouts, and IDX and CSV give identical arrays", async () => {
    const d = fixture(30, 3);
    const dir = mkdtempSync(join(tmpdir(), "simdnet-csv-"));
    const path = join(dir, "train.csv");
    writeFileSync(path, encodeDigitsCsv(d));
    const fromCsv = await loadCsvFile(path, { requireLabels: true });
    const fromIdx = loadMnistDir(writeMnistDir(d, fixture(2, 4), true)).train;
    expect(Buffer.from(fromCsv.images).equals(Buffer.from(fromIdx.images))).toBe(true);
    expect(Array.from(fromCsv.labels!)).toEqual(Array.from(fromIdx.labels!));

    const unlabelled = parseDigitsCsv(new TextEncoder().encode(encodeDigitsCsv({ ...d, labels: null })), "test.csv");
    expect(unlabelled.labels).toBeNull();
    expect(Buffer.from(unlabelled.images).equals(Buffer.from(d.images))).toBe(true);
  });

  it("streams a file larger than one read chunk", async () => {
    const d = fixture(1500, 5); // ≈ 2.5 MB of CSV: several 1 MiB chunks, rows split across them
    const path = join(mkdtempSync(join(tmpdir(), "simdnet-csv-")), "train.csv");
    writeFileSync(path, encodeDigitsCsv(d));
    const got = await loadCsvFile(path);
    expect(got.count).toBe(1500);
    expect(Buffer.from(got.images).equals(Buffer.from(d.images))).toBe(true);
  });

  it("accepts a BOM, CRLF, blank lines, spaces and no final newline", () => {
    const D = 4;
    const text = "\ufefflabel,pixel0,pixel1,pixel2,pixel3\r\n3, 0,255 ,7,  1\r\n\r\n\n9,1,2,3,4.0   ";
    const d = parseDigitsCsv(new TextEncoder().encode(text), "t.csv", { inputSize: D });
    expect(d.count).toBe(2);
    expect(Array.from(d.labels!)).toEqual([3, 9]);
    expect(Array.from(d.images)).toEqual([0, 255, 7, 1, 1, 2, 3, 4]);
  });

  it("names file, line and field for bad input", () => {
    const head = "label,pixel0,pixel1,pixel2\n";
    const parse = (body: string, opts = {}) => parseDigitsCsv(new TextEncoder().encode(body), "t.csv", { inputSize: 3, ...opts });
    expect(thrown(() => parse("")).message).toMatch(/t\.csv, line 1: empty file/);
    expect(thrown(() => parse("pixel0,label,pixel1,pixel2\n1,2,3,4\n", { requireLabels: true })).message).toMatch(/first column must be "label"/);
    expect(thrown(() => parse("label,pixel0,pixel1\n1,2,3\n")).message).toMatch(/header has 2 pixel columns, expected 3/);
    expect(thrown(() => parse(head + "1,2,3\n")).message).toMatch(/t\.csv, line 2, field pixel2: too few fields: expected 4, got 3/);
    expect(thrown(() => parse(head + "1,2,3,4,5\n")).message).toMatch(/line 2, field column 5: too many fields/);
    expect(thrown(() => parse(head + "1,2,3,4\n1,2,x,4\n")).message).toMatch(/line 3, field pixel1: unexpected character "x"/);
    expect(thrown(() => parse(head + "1,-2,3,4\n")).message).toMatch(/field pixel0: negative value/);
    expect(thrown(() => parse(head + "1,2,3.5,4\n")).message).toMatch(/field pixel1: expected an integer 0–255, got a fractional number/);
    expect(thrown(() => parse(head + "1,2,256,4\n")).message).toMatch(/field pixel1: value greater than 255/);
    expect(thrown(() => parse(head + "10,2,3,4\n")).message).toMatch(/field label: label 10 is outside 0–9/);
    expect(thrown(() => parse(head)).message).toMatch(/no data rows/);
  });
});

describe("train/validation split", () => {
  it("shuffles with the seed, then splits, disjointly", () => {
    const d = fixture(100);
    const a = splitTrainVal(d, 0.1, 42);
    const b = splitTrainVal(d, 0.1, 42);
    expect(a.val!.indices.length).toBe(10);
    expect(Array.from(a.val!.indices)).toEqual(Array.from(b.val!.indices));
    expect(Array.from(a.val!.indices)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const all = new Set([...a.train.indices, ...a.val!.indices]);
    expect(all.size).toBe(100);
    expect(splitTrainVal(d, 0, 1).val).toBeNull();
  });
});
