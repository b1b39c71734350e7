// Model-file decoding at the edges the mutation audit found untested (TESTING.md): each limit on
// both sides, each header check with its own field, and the MLP-or-stack reading of a v2 header.
import { describe, expect, it } from "vitest";
import { architectureHeader, decodeModel, encodeFramed, encodeModel, MODEL_MAGIC } from "../src/model/format.js";
import type { ModelSpec } from "../src/model/spec.js";
import { encodeModelV1, SMALL_CNN, withFloat, withHeader } from "./format-helpers.js";
import { rejects } from "./helpers.js";

const headerLength = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
const headerOf = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength(bytes))));

const MLP: ModelSpec = { inputSize: 6, hidden: [4], outputSize: 3, activation: "relu" };
const MLP_PARAMS = Float32Array.from({ length: 6 * 4 + 4 + 4 * 3 + 3 }, (_, i) => Math.cos(i));
const good = encodeModel(MLP, MLP_PARAMS);
const CNN_PARAMS = Float32Array.from({ length: 159 }, (_, i) => Math.sin(i) / 3);
const CNN_STATE = Float32Array.from([0.1, -0.2, 0.3, 0, 1, 0.5, 2, 1.5]); // running means, then variances
const goodCnn = encodeModel(SMALL_CNN, CNN_PARAMS, {}, CNN_STATE);

describe("model files: the framing", () => {
  it("pads the header with spaces to the next 4-byte boundary, never more", () => {
    for (let extra = 0; extra < 8; extra++) {
      const bytes = encodeModel(MLP, MLP_PARAMS, { note: "x".repeat(extra) });
      const H = headerLength(bytes);
      const json = JSON.stringify(headerOf(bytes));
      expect((12 + H) % 4).toBe(0);
      expect(H - new TextEncoder().encode(json).length).toBeGreaterThanOrEqual(0);
      expect(H - new TextEncoder().encode(json).length).toBeLessThan(4);
      expect(bytes.length).toBe(12 + H + MLP_PARAMS.length * 4);
    }
  });

  it("a header that ends exactly at the end of the file is read; the missing weights are named", () => {
    rejects(() => decodeModel(good.subarray(0, 12 + headerLength(good)), "m"), { field: "weights" }, /truncated weights: expected 172 bytes of float32, found 0/);
    rejects(() => decodeModel(good.subarray(0, 11 + headerLength(good)), "m"), { field: "header", byteOffset: 8 }, /runs past the end of the file/);
  });

  it("a header that is not a JSON object, or not valid UTF-8", () => {
    const payload = good.subarray(12 + headerLength(good));
    for (const h of [[1, 2], null, 7, "simdnet-model"])
      rejects(() => decodeModel(encodeFramed(MODEL_MAGIC, h as object, payload), "m"), { field: "header", byteOffset: 12 }, /^m, byte 12, field header: header must be a JSON object$/);
    const json = Buffer.from(JSON.stringify({ ...headerOf(good), note: "ab" }));
    json[json.indexOf('"ab"') + 1] = 0xff; // a lone 0xff byte inside a string: JSON, but never UTF-8
    const raw = new Uint8Array(12 + json.length + payload.length);
    raw.set(good.subarray(0, 8));
    new DataView(raw.buffer).setUint32(8, json.length, true);
    raw.set(json, 12);
    raw.set(payload, 12 + json.length);
    rejects(() => decodeModel(raw, "m"), { field: "header" }, /header is not valid JSON: /);
    rejects(() => decodeModel(withHeader(good, () => {}).map((b, k) => (k === 12 ? 0x5b : b)), "m"), { field: "header" }, /header is not valid JSON/); // "{" → "["
  });

  it("a checkpoint given as a model says so; another file does not get that hint", () => {
    const ck = Uint8Array.from(good);
    ck.set(new TextEncoder().encode("SIMDCKPT"), 0);
    rejects(() => decodeModel(ck, "run.simdckpt"), { file: "run.simdckpt", field: "magic", byteOffset: 0 }, /not a simdnet model file \(magic "SIMDCKPT", expected "SIMDNET\\n"\): this is a training checkpoint \(use it with simdnet train --resume\)$/);
    const other = Uint8Array.from(good);
    other.set(new TextEncoder().encode("PK\u0003\u0004zip!"), 0);
    const e = rejects(() => decodeModel(other, "a.zip"), { field: "magic" }, /not a simdnet model file \(magic "PK\\u0003\\u0004zip!", expected "SIMDNET\\n"\)$/);
    expect(e.message).not.toMatch(/checkpoint/);
  });
});

describe("model files: header limits", () => {
  it("outputSize up to 2^24 is a size (then checked against paramCount); 2^24 + 1 and non-integers are refused", () => {
    rejects(() => decodeModel(withHeader(good, (h) => (h.outputSize = 2 ** 24)), "m"), { field: "paramCount" }, /does not match the layers/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.outputSize = 2 ** 24 + 1)), "m"), { field: "outputSize", byteOffset: 12 }, /outputSize must be a positive integer, got 16777217/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.outputSize = "3")), "m"), { field: "outputSize" }, /got "3"/);
  });

  it("an input of more than 2^24 values is refused even when each side is allowed", () => {
    rejects(() => decodeModel(withHeader(goodCnn, (h) => (h.input = [4096, 4097, 1])), "m"), { field: "input" }, /at most 2\^24 values\), got \[4096,4097,1\]/);
    rejects(() => decodeModel(withHeader(goodCnn, (h) => (h.input = [4096, 4096, 1])), "m"), { field: "paramCount" }, /does not match the layers/); // exactly 2^24: a size
  });

  it("more than 4096 layers are refused before any is read", () => {
    const many = Array.from({ length: 4097 }, () => ({ type: "dense", units: 4, activation: "relu" }));
    rejects(() => decodeModel(withHeader(good, (h) => (h.layers = many)), "m"), { field: "layers" }, /^m, byte 12, field layers: layers must be an array of layer configs, got \[\{"type":"dense","units":4,"activation":"relu"\},\{"type":"dense","units":4,/);
    rejects(() => decodeModel(withHeader(good, (h) => (h.layers = many.slice(0, 4096))), "m"), { field: "paramCount" }, /does not match the layers/);
    rejects(() => decodeModel(withHeader(good, (h) => delete h.layers), "m"), { field: "layers" }, /layers must be an array of layer configs, got undefined/);
  });

  it("v1 headers: inputSize and outputSize are checked by name", () => {
    const v1 = encodeModelV1(MLP, MLP_PARAMS);
    rejects(() => decodeModel(withHeader(v1, (h) => (h.inputSize = 0)), "old.simdnet"), { file: "old.simdnet", field: "inputSize", byteOffset: 12 }, /inputSize must be a positive integer, got 0/);
    rejects(() => decodeModel(withHeader(v1, (h) => (h.inputSize = 6.5)), "m"), { field: "inputSize" }, /got 6\.5/);
    rejects(() => decodeModel(withHeader(v1, (h) => (h.outputSize = -3)), "m"), { field: "outputSize", byteOffset: 12 }, /outputSize must be a positive integer, got -3/);
  });

  it("a running variance of exactly 0 is a variance; below 0 it is refused", () => {
    expect(decodeModel(withFloat(goodCnn, 159 + 4, 0), "m").state[4]).toBe(0);
    rejects(() => decodeModel(withFloat(goodCnn, 159 + 4, -1e-30), "m"), { field: "state" }, /negative running variance/);
  });
});

describe("model files: which v2 headers read back as an MLP", () => {
  const roundTrip = (spec: ModelSpec) => decodeModel(encodeModel(spec, new Float32Array(architectureHeader(spec).paramCount)), "m").spec;

  it("a flat input and dense layers with the model's activation: hidden widths", () => {
    const spec = roundTrip({ inputSize: 6, hidden: [], layers: [{ type: "dense", units: 5, activation: "tanh" }, { type: "dense", units: 4, activation: "tanh" }], outputSize: 3, activation: "tanh" });
    expect(spec.hidden).toEqual([5, 4]);
    expect(spec.layers).toBeUndefined();
    expect(spec.inputShape).toBeUndefined();
  });

  it("an image input, another activation or another layer kind keep the layer list", () => {
    const image = roundTrip({ inputSize: 16, inputShape: [4, 4, 1], hidden: [], layers: [{ type: "dense", units: 5, activation: "relu" }], outputSize: 3, activation: "relu" });
    expect(image.inputShape).toEqual([4, 4, 1]);
    expect(image.layers).toEqual([{ type: "dense", units: 5, activation: "relu" }]);
    const otherAct = roundTrip({ inputSize: 6, hidden: [], layers: [{ type: "dense", units: 5, activation: "tanh" }], outputSize: 3, activation: "relu" });
    expect(otherAct.layers).toEqual([{ type: "dense", units: 5, activation: "tanh" }]);
    expect(otherAct.hidden).toEqual([]);
    const withDropout = roundTrip({ inputSize: 6, hidden: [], layers: [{ type: "dense", units: 5, activation: "relu" }, { type: "dropout", rate: 0.2 }], outputSize: 3, activation: "relu" });
    expect(withDropout.layers?.map((c) => c.type)).toEqual(["dense", "dropout"]);
  });
});

describe("model files: the encoder", () => {
  it("refuses a wrong parameter count by name, and non-finite weights and state with their index", () => {
    expect(() => encodeModel(MLP, MLP_PARAMS.subarray(1))).toThrow(/^model has 43 parameters, got 42$/);
    expect(() => encodeModel(SMALL_CNN, CNN_PARAMS, {}, CNN_STATE.subarray(1))).toThrow(/^model has 8 state values, got 7$/);
    const nanAt = Float32Array.from(MLP_PARAMS, (v, i) => (i === 41 ? NaN : v));
    const e = rejects(() => encodeModel(MLP, nanAt), { field: "weights" }, /^field weights: refusing to save a model with a non-finite weight \(NaN at parameter 41\)$/);
    expect(e.file).toBeUndefined();
    rejects(() => encodeModel(SMALL_CNN, CNN_PARAMS, {}, Float32Array.from(CNN_STATE, (v, i) => (i === 7 ? -Infinity : v))), { field: "state" }, /^field state: refusing to save a model with a non-finite state \(-Infinity at state value 7\)$/);
  });

  it("extra header fields are kept unless undefined or reserved", () => {
    const h = headerOf(encodeModel(MLP, MLP_PARAMS, { note: "kept", gone: undefined, paramCount: 1, format: "evil" }));
    expect(h.note).toBe("kept");
    expect("gone" in h).toBe(false);
    expect(h.paramCount).toBe(43);
    expect(h.format).toBe("simdnet-model");
  });
});
