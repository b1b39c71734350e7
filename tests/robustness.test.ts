// Every loader rejects bad input with a SimdnetError naming the file, the line or byte offset and
// the field; the five harmless CSV quirks load correctly. One case per test row (issue #5).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { encodeDigitsCsv, parseDigitsCsv } from "../src/data/csv.js";
import { encodeIdx, idxToDataset, parseIdx } from "../src/data/idx.js";
import { loadCsvFile, loadMnistDir, MNIST_FILES, readMaybeGzip } from "../src/data/files.js";
import { crc32, decodeModel, encodeModel } from "../src/model/format.js";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "../src/train/checkpoint.js";
import { resolveTrainConfig, runTrain } from "../src/cli/train.js";
import type { Reporter } from "../src/cli/output.js";
import { SimdnetError, type ErrorPlace } from "../src/errors.js";
import { syntheticDigits } from "./fixtures.js";
import { encodeCheckpointV1, encodeModelV1, SMALL_CNN, withFloat } from "./format-helpers.js";
import { rejects } from "./helpers.js";

const scratch = mkdtempSync(join(tmpdir(), "simdnet-robust-"));
let made = 0;
const tmp = () => mkdtempSync(join(scratch, `t${made++}-`));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const utf8 = (s: string) => new TextEncoder().encode(s);
const silent: Reporter = { info() {}, warn() {}, batch() {}, epoch() {}, event() {} };

describe("Kaggle CSV: bad input", () => {
  const D = 3;
  const head = "label,pixel0,pixel1,pixel2\n";
  const parse = (text: string, requireLabels?: boolean) => parseDigitsCsv(utf8(text), "train.csv", { inputSize: D, requireLabels });
  const cases: [string, string, ErrorPlace, RegExp, boolean?][] = [
    ["empty file", "", { file: "train.csv", line: 1 }, /empty file: expected a header line/],
    ["only a BOM and spaces", "\ufeff  \r\n", { file: "train.csv", line: 1 }, /empty header line|empty file/],
    ["label not first", "pixel0,label,pixel1,pixel2\n1,2,3,4\n", { line: 1, field: "header" }, /first column must be "label".*"label" is column 2/, true],
    ["header missing (a data row first)", "5,0,0,0\n1,2,3,4\n", { line: 1, field: "header" }, /first column must be "label" for training data, got "5"/, true],
    ["wrong pixel count", "label,pixel0,pixel1\n1,2,3\n", { line: 1, field: "header" }, /header has 2 pixel columns, expected 3/],
    ["misnamed pixel column", "label,pixel0,pixelX,pixel2\n", { line: 1, field: "header" }, /header column 3 is "pixelX", expected "pixel1"/],
    ["too few fields", head + "1,2,3\n", { line: 2, field: "pixel2" }, /too few fields: expected 4, got 3/],
    ["too many fields", head + "1,2,3,4\n1,2,3,4,5\n", { line: 3, field: "column 5" }, /too many fields: expected 4/],
    ["empty field", head + "1,2,,4\n", { line: 2, field: "pixel1" }, /empty value/],
    ["non-numeric pixel", head + "1,2,abc,4\n", { line: 2, field: "pixel1" }, /unexpected character "a"/],
    ["negative pixel", head + "1,-2,3,4\n", { line: 2, field: "pixel0" }, /negative value/],
    ["fractional pixel", head + "1,2,3.25,4\n", { line: 2, field: "pixel1" }, /fractional/],
    ["pixel > 255", head + "1,2,3,256\n", { line: 2, field: "pixel2" }, /greater than 255/],
    ["pixel with an exponent", head + "1,2,3,1e2\n", { line: 2, field: "pixel2" }, /unexpected character "e"/],
    ["label 10", head + "10,2,3,4\n", { line: 2, field: "label" }, /label 10 is outside 0–9/],
    ["negative label", head + "-1,2,3,4\n", { line: 2, field: "label" }, /negative value/],
    ["space inside a number", head + "1,2 5,3,4\n", { line: 2, field: "pixel0" }, /a space inside a number/],
    ["header only", head, { line: 2 }, /no data rows/],
    ["a label column in test data", head + "1,2,3,4\n", { line: 1, field: "header" }, /unexpected "label" column/, false],
  ];
  for (const [name, text, place, message, requireLabels] of cases) {
    it(name, () => {
      rejects(() => parse(text, requireLabels), { file: "train.csv", ...place }, message);
    });
  }

  it("a bad value in a streamed file names the right line across 1 MiB read chunks", async () => {
    const d = syntheticDigits(1200, 4);
    const lines = encodeDigitsCsv(d).split("\n");
    lines[1001] = lines[1001].replace(/,(\d+)$/, ",300"); // data row 1001 is file line 1002
    const path = join(tmp(), "train.csv");
    writeFileSync(path, lines.join("\n"));
    const e = await loadCsvFile(path).then(
      () => null,
      (x) => x as SimdnetError,
    );
    expect(e).toBeInstanceOf(SimdnetError);
    expect([e!.file, e!.line, e!.field]).toEqual([path, 1002, "pixel783"]);
  });
});

describe("Kaggle CSV: harmless quirks load correctly", () => {
  const D = 3;
  const expected = { labels: [3, 9], images: [0, 255, 7, 1, 2, 3] };
  const variants: [string, string][] = [
    ["blank lines", "label,pixel0,pixel1,pixel2\n\n3,0,255,7\n\n\n9,1,2,3\n\n"],
    ["CRLF endings", "label,pixel0,pixel1,pixel2\r\n3,0,255,7\r\n9,1,2,3\r\n"],
    ["a UTF-8 BOM", "\ufefflabel,pixel0,pixel1,pixel2\n3,0,255,7\n9,1,2,3\n"],
    ["trailing spaces", "label,pixel0,pixel1,pixel2  \n3,0,255,7   \n9 , 1,2,3\t\n"],
    ["no final newline", "label,pixel0,pixel1,pixel2\n3,0,255,7\n9,1,2,3"],
    ["all five at once", "\ufefflabel,pixel0,pixel1,pixel2 \r\n\r\n3,0,255,7  \r\n\r\n9,1,2,3   "],
  ];
  for (const [name, text] of variants) {
    it(name, async () => {
      const d = parseDigitsCsv(utf8(text), "t.csv", { inputSize: D, requireLabels: true });
      expect(Array.from(d.labels!)).toEqual(expected.labels);
      expect(Array.from(d.images)).toEqual(expected.images);
      // the same through the streaming file reader
      const path = join(tmp(), "t.csv");
      writeFileSync(path, text);
      const f = await loadCsvFile(path, { inputSize: D });
      expect(Array.from(f.images)).toEqual(expected.images);
    });
  }
});

describe("MNIST IDX and gzip: bad input", () => {
  const images = encodeIdx([3, 28, 28], new Uint8Array(3 * 784).fill(7));
  const labels = encodeIdx([3], new Uint8Array([1, 2, 3]));

  it("wrong magic number", () => {
    const bad = images.slice();
    bad[0] = 0x1f;
    rejects(() => parseIdx(bad, "img"), { file: "img", byteOffset: 0, field: "magic" }, /not an IDX file: magic number must start with two zero bytes, got 0x1f000803/);
    const type = images.slice();
    type[2] = 0x0b;
    rejects(() => parseIdx(type, "img"), { byteOffset: 2, field: "magic" }, /unsupported IDX element type 0x0b/);
  });

  it("wrong dimensions", () => {
    rejects(() => idxToDataset(parseIdx(labels, "l"), null, "l"), { file: "l", byteOffset: 3, field: "dimensions" }, /expected an image file with 3 dimensions.*got 1/);
    rejects(() => idxToDataset(parseIdx(images, "i"), parseIdx(images, "i2"), "i", "i2"), { file: "i2", field: "dimensions" }, /expected a label file with 1 dimension, got 3/);
    const zeroDims = images.slice();
    zeroDims[3] = 0;
    rejects(() => parseIdx(zeroDims, "i"), { byteOffset: 3, field: "magic" }, /dimension count 0/);
  });

  it("fewer bytes than the header claims, and a file ending inside the header", () => {
    rejects(() => parseIdx(images.subarray(0, 1000), "i"), { file: "i", byteOffset: 1000, field: "data" }, /truncated: header claims 3×28×28 = 2352 data bytes but only 984 follow/);
    rejects(() => parseIdx(images.subarray(0, 10), "i"), { byteOffset: 10, field: "dimensions" }, /file ends inside the IDX header \(10 of 16 bytes\)/);
    rejects(() => parseIdx(new Uint8Array(0), "i"), { byteOffset: 0, field: "magic" }, /too short/);
  });

  it("images of another size than 28×28: the training and test sets must agree, and the CLI wants 784 pixels", async () => {
    const dir = tmp();
    const put = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, name), bytes);
    put(MNIST_FILES.trainImages, encodeIdx([2, 28, 27], new Uint8Array(2 * 756)));
    put(MNIST_FILES.trainLabels, encodeIdx([2], new Uint8Array(2)));
    put(MNIST_FILES.testImages, encodeIdx([2, 28, 28], new Uint8Array(2 * 784)));
    put(MNIST_FILES.testLabels, encodeIdx([2], new Uint8Array(2)));
    rejects(() => loadMnistDir(dir), { file: join(dir, MNIST_FILES.testImages), byteOffset: 8, field: "dimensions" }, /test images have 784 pixels each, the training images 756/);
    put(MNIST_FILES.testImages, encodeIdx([2, 28, 27], new Uint8Array(2 * 756)));
    const cfg = resolveTrainConfig(["--data", dir, "--out", join(dir, "m.simdnet")]);
    if (cfg === "help") throw new Error("unexpected help");
    const e = await runTrain(cfg, silent).then(
      () => null,
      (x) => x as SimdnetError,
    );
    expect(e).toBeInstanceOf(SimdnetError);
    expect([e!.file, e!.field]).toEqual([join(dir, MNIST_FILES.trainImages), "dimensions"]);
    expect(e!.message).toMatch(/images have 756 pixels each; simdnet's models take 784 \(28×28\)/);
  });

  it("image and label counts that disagree, and a label outside 0–9", () => {
    rejects(() => idxToDataset(parseIdx(images, "i"), parseIdx(encodeIdx([2], new Uint8Array(2)), "l"), "i", "l"), { file: "l", byteOffset: 4, field: "count" }, /label count 2 does not match image count 3/);
    rejects(() => idxToDataset(parseIdx(images, "i"), parseIdx(encodeIdx([3], new Uint8Array([1, 12, 3])), "l"), "i", "l"), { file: "l", byteOffset: 9, field: "label" }, /label 12 of item 1 is outside 0–9/);
  });

  it("a truncated or corrupt .gz names the file", () => {
    const dir = tmp();
    const gz = gzipSync(images);
    const truncated = join(dir, "truncated.gz");
    writeFileSync(truncated, gz.subarray(0, gz.length - 20));
    rejects(() => readMaybeGzip(truncated), { file: truncated, field: "gzip" }, /corrupt or truncated gzip data/);
    const corrupt = join(dir, "corrupt.gz");
    const flipped = Uint8Array.from(gz);
    flipped[20] ^= 0xff;
    flipped[21] ^= 0x55;
    writeFileSync(corrupt, flipped);
    rejects(() => readMaybeGzip(corrupt), { file: corrupt, field: "gzip" }, /corrupt or truncated gzip data/);
  });

  it("a folder with a truncated .gz among the four files fails on that file", () => {
    const dir = tmp();
    const put = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, name + ".gz"), gzipSync(bytes));
    put(MNIST_FILES.trainImages, images);
    put(MNIST_FILES.testImages, images);
    put(MNIST_FILES.testLabels, labels);
    const gz = gzipSync(labels);
    const bad = join(dir, MNIST_FILES.trainLabels + ".gz");
    writeFileSync(bad, gz.subarray(0, gz.length - 4));
    rejects(() => loadMnistDir(dir), { file: bad, field: "gzip" }, /truncated/);
  });
});

// A model file whose weight bytes are patched, with a header checksum that matches the patch.
function withWeight(bytes: Uint8Array, index: number, value: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const H = new DataView(out.buffer).getUint32(8, true);
  new DataView(out.buffer).setFloat32(12 + H + index * 4, value, true);
  const header = new TextDecoder().decode(out.subarray(12, 12 + H));
  const fixed = header.replace(/"weightsCrc32":"[0-9a-f]{8}"/, `"weightsCrc32":"${crc32(out.subarray(12 + H)).toString(16).padStart(8, "0")}"`);
  out.set(utf8(fixed), 12);
  return out;
}

function withHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const H = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + H)));
  edit(h);
  const json = utf8(JSON.stringify(h));
  const padded = Math.ceil((12 + json.length) / 4) * 4 - 12;
  const out = new Uint8Array(12 + padded + bytes.length - 12 - H);
  out.set(bytes.subarray(0, 8));
  new DataView(out.buffer).setUint32(8, padded, true);
  out.fill(32, 12, 12 + padded);
  out.set(json, 12);
  out.set(bytes.subarray(12 + H), 12 + padded);
  return out;
}

describe("model files: bad input", () => {
  const spec = { inputSize: 6, hidden: [4], outputSize: 3, activation: "relu" as const };
  const params = Float32Array.from({ length: 6 * 4 + 4 + 4 * 3 + 3 }, (_, i) => Math.sin(i));
  const good = encodeModel(spec, params);

  const goodV1 = encodeModelV1(spec, params);

  it("round-trips (v2), and a v1 file loads", () => {
    expect(Array.from(decodeModel(good, "m").params)).toEqual(Array.from(params));
    expect(Array.from(decodeModel(goodV1, "m").params)).toEqual(Array.from(params));
    expect(decodeModel(goodV1, "m").spec).toEqual(decodeModel(good, "m").spec);
  });
  it("wrong version", () => {
    rejects(() => decodeModel(withHeader(good, (h) => (h.version = 3)), "m.simdnet"), { file: "m.simdnet", field: "version" }, /unsupported model format version 3; this simdnet reads versions 1 and 2/);
  });
  it("wrong shapes (v1 header)", () => {
    rejects(() => decodeModel(withHeader(goodV1, (h) => (h.hidden = [5])), "m"), { field: "paramCount" }, /paramCount 43 does not match the layer sizes 6-5-3 \(53\)/);
    rejects(() => decodeModel(withHeader(goodV1, (h) => (h.hidden = [4, -1])), "m"), { field: "hidden" }, /hidden must be an array of positive integers/);
    rejects(() => decodeModel(withHeader(goodV1, (h) => (h.activation = "swish")), "m"), { field: "activation" }, /unknown activation "swish"/);
  });
  it("wrong shapes (v2 header)", () => {
    rejects(() => decodeModel(withHeader(good, (h) => ((h.layers as { units: number }[])[0].units = 5)), "m"), { file: "m", byteOffset: 12, field: "paramCount" }, /paramCount 43 does not match the layers \(53\)/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.activation = "swish")), "m"), { field: "activation" }, /unknown activation "swish"/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.input = [7])), "m"), { field: "paramCount" }, /does not match the layers/);
  });
  it("a bad checksum", () => {
    const bad = Uint8Array.from(good);
    bad[bad.length - 3] ^= 1;
    rejects(() => decodeModel(bad, "m"), { field: "weightsCrc32" }, /checksum mismatch .* the file is corrupt/);
  });
  it("truncated weights, and a file cut inside the header", () => {
    rejects(() => decodeModel(good.subarray(0, good.length - 8), "m"), { field: "weights", byteOffset: good.length - 8 }, /truncated weights: expected 172 bytes of float32, found 164/);
    rejects(() => decodeModel(good.subarray(0, 40), "m"), { field: "header", byteOffset: 8 }, /header length \d+ runs past the end of the file/);
    rejects(() => decodeModel(good.subarray(0, 5), "m"), { field: "magic", byteOffset: 0 }, /too short/);
  });
  it("NaN or Inf anywhere in the weights, even with a matching checksum", () => {
    for (const [i, v] of [[0, NaN], [17, Infinity], [params.length - 1, -Infinity]] as const) {
      const bad = withWeight(good, i, v);
      const e = rejects(() => decodeModel(bad, "m"), { field: "weights" }, new RegExp(`non-finite weight ${v} at parameter ${i}`));
      expect(e.byteOffset).toBe(bad.length - (params.length - i) * 4);
    }
    expect(() => encodeModel(spec, Float32Array.from(params, (v, i) => (i === 3 ? NaN : v)))).toThrow(/refusing to save a model with a non-finite weight/);
  });
  it("a checkpoint given as a model, and garbage", () => {
    rejects(() => decodeModel(utf8("SIMDCKPT\0\0\0\0"), "c"), { field: "magic" }, /not a simdnet model file/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.format = "x")), "m"), { field: "format" }, /"format" must be "simdnet-model"/);
  });
});

describe("model files v2: layer configs, impossible stacks, the state block", () => {
  // 8×8×1 → conv 4 3 → batchnorm → maxpool 2 → dropout 0.2 → dense 3: 159 params, 8 state floats
  const P = 159;
  const params = Float32Array.from({ length: P }, (_, i) => Math.sin(i) / 3);
  const state = Float32Array.from([0.1, -0.2, 0.3, 0, 1, 0.5, 2, 1.5]);
  const good = encodeModel(SMALL_CNN, params, {}, state);
  const layer = (i: number, edit: (c: Record<string, unknown>) => void) => (h: Record<string, unknown>) => edit((h.layers as Record<string, unknown>[])[i]);

  it("round-trips", () => {
    const m = decodeModel(good, "cnn.simdnet");
    expect(Array.from(m.params)).toEqual(Array.from(params));
    expect(Array.from(m.state)).toEqual(Array.from(state));
  });
  it("a bad layer config names the layer and the field", () => {
    rejects(() => decodeModel(withHeader(good, layer(0, (c) => (c.kernelSize = 9))), "cnn.simdnet"), { file: "cnn.simdnet", byteOffset: 12, field: "layers[0]" }, /layer 1: layer "conv 4 9 act=relu": kernelSize must be an integer 1–7, got 9/);
    rejects(() => decodeModel(withHeader(good, layer(0, (c) => delete c.strides)), "m"), { field: "layers[0]" }, /strides must be an integer 1–7, got undefined/);
    rejects(() => decodeModel(withHeader(good, layer(0, (c) => (c.padding = "full"))), "m"), { field: "layers[0]" }, /padding must be valid or same, got full/);
    rejects(() => decodeModel(withHeader(good, layer(0, (c) => (c.activation = "swish"))), "m"), { field: "layers[0].activation" }, /layer 1 \(conv2d\): activation must be one of .*got "swish"/);
    rejects(() => decodeModel(withHeader(good, layer(1, (c) => (c.type = "lstm"))), "m"), { field: "layers[1].type" }, /layer 2: unknown layer type "lstm"; expected one of dense, conv2d/);
    rejects(() => decodeModel(withHeader(good, layer(1, (c) => (c.type = "toString"))), "m"), { field: "layers[1].type" }, /unknown layer type "toString"/);
    rejects(() => decodeModel(withHeader(good, layer(3, (c) => (c.rate = 1))), "m"), { field: "layers[3]" }, /layer 4: layer "dropout 1": rate must be in \[0, 1\), got 1/);
    rejects(() => decodeModel(withHeader(good, (h) => ((h.layers as unknown[])[2] = 7)), "m"), { field: "layers[2]" }, /layer 3 must be an object, got 7/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.layers = "conv 4 3")), "m"), { field: "layers" }, /layers must be an array/);
  });
  it("an impossible stack names the layer and the shapes", () => {
    rejects(() => decodeModel(withHeader(good, layer(2, (c) => ((c.poolSize = 7), (c.strides = 7)))), "cnn.simdnet"), { file: "cnn.simdnet", byteOffset: 12, field: "layers" }, /impossible layer stack: layer 3 \(maxpool 7\): pool 7×7 is larger than its input 6×6×4/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.layers = [{ type: "dense", units: 4, activation: "relu" }, ...(h.layers as unknown[])])), "m"), { field: "layers" }, /layer 2 \(conv 4 3 act=relu\): a conv needs an image input \(H×W×C\), got flat 4/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.input = [2, 2, 1])), "m"), { field: "layers" }, /kernel 3×3 is larger than its input 2×2×1/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.input = [8, 8])), "m"), { field: "input" }, /input must be \[size\] or \[height, width, channels\]/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.input = [8, 0, 1])), "m"), { field: "input" }, /got \[8,0,1\]/);
  });
  it("wrong stateCount or paramCount", () => {
    rejects(() => decodeModel(withHeader(good, (h) => (h.stateCount = 6)), "cnn.simdnet"), { file: "cnn.simdnet", byteOffset: 12, field: "stateCount" }, /stateCount 6 does not match the layers \(8\)/);
    rejects(() => decodeModel(withHeader(good, (h) => delete h.stateCount), "m"), { field: "stateCount" }, /stateCount undefined does not match the layers \(8\)/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.paramCount = 160)), "m"), { field: "paramCount" }, /paramCount 160 does not match the layers \(159\)/);
  });
  it("a truncated or oversized state block", () => {
    rejects(() => decodeModel(good.subarray(0, good.length - 4), "cnn.simdnet"), { file: "cnn.simdnet", byteOffset: good.length - 4, field: "state" }, /truncated state: expected 32 bytes of float32 \(8 batch-norm running statistics\) after the weights, found 28/);
    rejects(() => decodeModel(good.subarray(0, good.length - 32), "m"), { field: "state" }, /truncated state: .* found 0/);
    rejects(() => decodeModel(good.subarray(0, good.length - 36), "m"), { field: "weights" }, /truncated weights: expected 636 bytes of float32 \(then 32 of state\), found 632/);
    const longer = new Uint8Array(good.length + 4);
    longer.set(good);
    rejects(() => decodeModel(longer, "m"), { field: "state", byteOffset: good.length }, /oversized payload: expected 668 bytes of float32 \(159 weights \+ 8 state\), found 672/);
  });
  it("a bad checksum (a flipped bit in the state), NaN or a negative variance in the state", () => {
    const bad = Uint8Array.from(good);
    bad[bad.length - 2] ^= 4;
    const payload = good.length - (P + 8) * 4;
    rejects(() => decodeModel(bad, "cnn.simdnet"), { file: "cnn.simdnet", byteOffset: payload, field: "weightsCrc32" }, /weights checksum mismatch .* the file is corrupt/);
    const nan = withFloat(good, P + 2, NaN);
    rejects(() => decodeModel(nan, "m"), { field: "state", byteOffset: nan.length - 6 * 4 }, /non-finite state value NaN at state index 2/);
    const neg = withFloat(good, P + 5, -0.5);
    rejects(() => decodeModel(neg, "m"), { field: "state", byteOffset: neg.length - 3 * 4 }, /negative running variance -0\.5 at state index 5/);
    // a negative running mean is fine
    expect(decodeModel(withFloat(good, P + 1, -3), "m").state[1]).toBe(-3);
  });
});

describe("checkpoints: bad input", () => {
  const spec = { inputSize: 5, hidden: [3], outputSize: 2, activation: "tanh" as const };
  const P = 5 * 3 + 3 + 3 * 2 + 2;
  const ck: Checkpoint = {
    spec,
    params: Float32Array.from({ length: P }, (_, i) => i / 7),
    state: new Float32Array(0),
    optState: Float32Array.from({ length: 2 * P }, (_, i) => -i / 9),
    optimizer: { name: "adam", slots: 2, steps: 42 },
    epochsCompleted: 2,
    position: { epoch: 3, batch: 5, lossSum: 12.5, correct: 100, done: 160 },
    schedule: { plateauScale: 0.5, best: Infinity, bad: 1 },
    seed: 9,
    config: { argv: ["--lr", "0.01"] },
    data: { count: 1000, labelsCrc32: "0badf00d" },
  };
  const good = encodeCheckpoint(ck);

  it("round-trips every field (Infinity included)", () => {
    const back = decodeCheckpoint(good, "c");
    expect(Array.from(back.params)).toEqual(Array.from(ck.params));
    expect(Array.from(back.optState)).toEqual(Array.from(ck.optState));
    expect({ ...back, params: null, optState: null }).toEqual({ ...ck, params: null, optState: null });
  });
  it("wrong version, wrong magic, a model file", () => {
    rejects(() => decodeCheckpoint(withHeader(good, (h) => (h.version = 7)), "c.simdckpt"), { file: "c.simdckpt", field: "version" }, /unsupported checkpoint version 7/);
    rejects(() => decodeCheckpoint(encodeModel({ inputSize: 2, hidden: [], outputSize: 2, activation: "relu" }, new Float32Array(6)), "m"), { field: "magic" }, /this is a model file/);
  });
  it("inconsistent header fields", () => {
    rejects(() => decodeCheckpoint(withHeader(good, (h) => (h.epochsCompleted = 5)), "c"), { field: "epochsCompleted" }, /position\.epoch − 1 = 2/);
    rejects(() => decodeCheckpoint(withHeader(good, (h) => ((h.position as { correct: number }).correct = 1000)), "c"), { field: "position" }, /correct ≤ done/);
    rejects(() => decodeCheckpoint(withHeader(good, (h) => ((h.optimizer as { slots: number }).slots = 1)), "c"), { field: "weights" }, /oversized float block/);
  });
  it("truncation and corruption", () => {
    rejects(() => decodeCheckpoint(good.subarray(0, good.length - 1), "c"), { field: "weights" }, /truncated float block/);
    const bad = Uint8Array.from(good);
    bad[bad.length - 10] ^= 0x40;
    rejects(() => decodeCheckpoint(bad, "c"), { field: "floatsCrc32" }, /checksum mismatch/);
  });
  it("a v1 checkpoint still loads, and its header errors are still named", () => {
    const { state, ...v1ck } = ck;
    const v1 = encodeCheckpointV1(v1ck);
    const back = decodeCheckpoint(v1, "c1");
    expect(state.length).toBe(0);
    expect({ ...back, params: null, optState: null }).toEqual({ ...ck, params: null, optState: null });
    expect(Array.from(back.optState)).toEqual(Array.from(ck.optState));
    rejects(() => decodeCheckpoint(withHeader(v1, (h) => (h.hidden = [2])), "c1"), { file: "c1", field: "paramCount" }, /paramCount must be 18 for layers 5-2-2, got 26/);
    rejects(() => decodeCheckpoint(v1.subarray(0, v1.length - 4), "c1"), { field: "weights" }, /truncated float block/);
  });
});

describe("checkpoints v2: a CNN's state block", () => {
  const P = 159;
  const ck: Checkpoint = {
    spec: SMALL_CNN,
    params: Float32Array.from({ length: P }, (_, i) => i / 100),
    state: Float32Array.from([0, 0.5, -1, 2, 1, 1, 0.25, 3]),
    optState: Float32Array.from({ length: P }, (_, i) => -i / 900),
    optimizer: { name: "sgd-momentum", slots: 1, steps: 7 },
    epochsCompleted: 0,
    position: { epoch: 1, batch: 7, lossSum: 1.5, correct: 30, done: 112 },
    schedule: { plateauScale: 1, best: Infinity, bad: 0 },
    seed: 2,
    config: { argv: [] },
    data: { count: 160, labelsCrc32: "00c0ffee" },
  };
  const good = encodeCheckpoint(ck);
  const stateAt = good.length - (P + P + 8) * 4 + P * 4;

  it("round-trips the state", () => {
    expect(Array.from(decodeCheckpoint(good, "c").state)).toEqual(Array.from(ck.state));
  });
  it("a cut inside the state block, a wrong stateCount, a bad layer, NaN in the state, a bad checksum", () => {
    const cut = good.subarray(0, stateAt + 12);
    rejects(() => decodeCheckpoint(cut, "c.simdckpt"), { file: "c.simdckpt", byteOffset: cut.length, field: "state" }, /truncated float block: expected 1304 bytes \(159 parameters \+ 8 state \+ 1×159 optimizer state\), found 648/);
    rejects(() => decodeCheckpoint(withHeader(good, (h) => (h.stateCount = 0)), "c"), { field: "stateCount" }, /stateCount 0 does not match the layers \(8\)/);
    rejects(() => decodeCheckpoint(withHeader(good, (h) => ((h.layers as { filters: number }[])[0].filters = 0)), "c"), { field: "layers[0]" }, /filters must be a positive integer, got 0/);
    rejects(() => decodeCheckpoint(withHeader(good, (h) => ((h.layers as { poolSize: number }[])[2].poolSize = 9)), "c"), { field: "layers" }, /impossible layer stack: layer 3 \(maxpool 9 stride=2\): pool 9×9 is larger than its input 6×6×4/);
    rejects(() => decodeCheckpoint(withFloat(good, P + 3, Infinity), "c"), { field: "state", byteOffset: stateAt + 12 }, /non-finite state value at state index 3: Infinity/);
    const bad = Uint8Array.from(good);
    bad[stateAt + 1] ^= 1;
    rejects(() => decodeCheckpoint(bad, "c"), { field: "floatsCrc32" }, /checksum mismatch/);
  });
});

describe("CLI options name the option", () => {
  const cases: [string[], string, RegExp][] = [
    [["--lr", "abc"], "--lr", /expected a positive number, got "abc"/],
    [["--lr", "-1"], "--lr", /expected a positive number/],
    [["--epochs", "1.5"], "--epochs", /a positive integer/],
    [["--batch", "0"], "--batch", /a positive integer or "full"/],
    [["--hidden", "64,,32"], "--hidden", /comma-separated layer widths/],
    [["--activation", "swish"], "--activation", /unknown activation "swish"/],
    [["--val-split", "1"], "--val-split", /a fraction in \[0, 1\)/],
    [["--seed", "-3"], "--seed", /an integer in \[0, 2\^32\)/],
    [["--on-divergence", "ignore"], "--on-divergence", /expected stop or warn/],
    [["--init-scale", "0"], "--init-scale", /a positive number/],
    [["--resume", "x.simdckpt", "--optimizer", "adam"], "--optimizer", /cannot be changed when resuming/],
  ];
  for (const [argv, field, message] of cases) {
    it(argv.join(" "), () => {
      rejects(() => resolveTrainConfig(argv), { field }, message);
    });
  }
  it("unknown options and a missing value are named", () => {
    rejects(() => resolveTrainConfig(["--learning-rate", "0.1"]), { field: "--learning-rate" }, /Unknown option '--learning-rate'/);
    rejects(() => resolveTrainConfig(["--lr"]), { field: "--lr" }, /argument missing/);
  });
  it("--resume of a missing file names the file", () => {
    const path = join(tmp(), "nope.simdckpt");
    rejects(() => resolveTrainConfig(["--resume", path]), { file: path, field: "--resume" }, /cannot read checkpoint/);
  });
});
