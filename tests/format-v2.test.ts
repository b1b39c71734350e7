// Model file format v2 and checkpoints v2: round trips (MLP and a CNN with batch norm, params and
// state bit for bit), the committed v1 fixtures still loading and predicting exactly as before,
// extra header fields kept, the Keras-style summary and `simdnet info`.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import { splitTrainVal } from "../src/data/dataset.js";
import { crc32, decodeModel, encodeModel, MODEL_FORMAT_VERSION } from "../src/model/format.js";
import { Model } from "../src/model/model.js";
import { Network } from "../src/model/network.js";
import type { ModelSpec } from "../src/model/spec.js";
import { modelSummary } from "../src/model/summary.js";
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint, type Checkpoint } from "../src/train/checkpoint.js";
import { createOptimizer } from "../src/train/optimizers.js";
import { LrSchedule } from "../src/train/schedules.js";
import { fit } from "../src/train/trainer.js";
import { infoCommand } from "../src/cli/info.js";
import { syntheticDigits } from "./fixtures.js";
import { encodeModelV1, SMALL_CNN } from "./format-helpers.js";

const FIXTURES = join(import.meta.dirname, "fixtures");
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const hex8 = (v: number) => v.toString(16).padStart(8, "0");
const probHex = (p: Float32Array) => Array.from(new Uint32Array(p.buffer, p.byteOffset, p.length), hex8);

// tests/fixtures/v1-784-16-10.simdnet was written by the v1 encoder (before format v2): Model.create
// ({ hidden: [16], seed: 42 }) fitted 2 epochs on syntheticDigits(400, 3) (batch 32, lr 0.05, seed 7).
// Its probabilities on syntheticDigits(5, 99), wasm backend, recorded with the v1 decoder, as float32 bits:
const V1_PROBS = "3f698648 3bdec21a 3b8e8572 3be3966a 3ba3bedd 3cacf426 3b3dcdca 3c1af40b 39ac1fba 3cfd3777 3bd6ae0e 3d0b4670 3bdfd05e 3dc28125 3b1a34b3 3d2722e8 3cef98f0 3d326fbb 3f259ca5 3dc20d5c 3c12f778 39fcbfae 3ac93168 3ada4aa1 39162e6a 3be27a61 3f78901e 3ac05e14 3a388a9d 3beb02a0 3f5ad16f 3c52f3ec 3b8985ee 3c220525 3c471e93 3d67923e 3b06c4e9 3c3d6986 39b9892c 3d11e663 3c1d0399 3a227784 3b03c8f8 3aee23e6 38225216 399ec9d9 3bc5053b 3b2d6b17 3b8b551c 3f7903f7".split(" ");
const V1_PARAMS_CRC = "83f7aa38";

describe("version-1 files (committed fixtures) still load", () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, "v1-784-16-10.simdnet")));
  const inputs = syntheticDigits(5, 99);

  it("the v1 model decodes to the same spec, weights and header", () => {
    const m = decodeModel(bytes, "v1.simdnet");
    expect(m.header.version).toBe(1);
    expect(m.spec).toEqual({ inputSize: 784, hidden: [16], outputSize: 10, activation: "relu" });
    expect(m.params.length).toBe(12730);
    expect(hex8(crc32(bits(m.params)))).toBe(V1_PARAMS_CRC);
    expect(m.state.length).toBe(0);
    expect(m.header.training).toEqual({ epochs: 2, batch: 32, lr: 0.05, optimizer: "sgd", seed: 7 });
  });

  it("and predicts exactly as before (wasm bit for bit; TypeScript within 1e-6)", () => {
    const wasm = Model.fromBytes(bytes);
    expect(probHex(wasm.predict(inputs.images))).toEqual(V1_PROBS);
    expect(Array.from(wasm.predictClasses(inputs.images))).toEqual(Array.from(inputs.labels!)); // 0 8 6 0 9
    const js = Model.fromBytes(bytes, { backend: "js" }).predict(inputs.images);
    const want = new Float32Array(Uint32Array.from(V1_PROBS, (h) => parseInt(h, 16)).buffer);
    for (let i = 0; i < want.length; i++) expect(Math.abs(js[i] - want[i])).toBeLessThan(1e-6);
  });

  it("saved again it is a v2 file with the same weights and predictions", () => {
    const v1 = decodeModel(bytes);
    const v2bytes = encodeModel(v1.spec, v1.params, { training: v1.header.training, createdAt: v1.header.createdAt });
    const v2 = decodeModel(v2bytes, "v2.simdnet");
    expect(v2.header.version).toBe(MODEL_FORMAT_VERSION);
    expect(v2.header.version).toBe(2);
    expect(v2.spec).toEqual(v1.spec);
    expect(bits(v2.params).equals(bits(v1.params))).toBe(true);
    expect(probHex(Model.fromBytes(v2bytes).predict(inputs.images))).toEqual(V1_PROBS);
  });

  it("the v1 checkpoint decodes (no state block) and restores into a network", () => {
    const ck = decodeCheckpoint(new Uint8Array(readFileSync(join(FIXTURES, "v1-784-4-10.simdckpt"))), "v1.simdckpt");
    expect(ck.spec).toEqual({ inputSize: 784, hidden: [4], outputSize: 10, activation: "tanh" });
    expect(ck.state.length).toBe(0);
    expect(ck.optState.length).toBe(ck.params.length);
    expect([ck.optimizer, ck.position, ck.seed, ck.config]).toEqual([{ name: "sgd-momentum", slots: 1, steps: 17 }, { epoch: 2, batch: 3, lossSum: 4.5, correct: 60, done: 96 }, 11, { argv: ["--hidden", "4", "--activation", "tanh"] }]);
    expect(ck.schedule.best).toBe(Infinity);
    // its weights are Network.init(3, "he") of that spec
    const fresh = new Network(ck.spec, new JsBackend("f32"), 1);
    fresh.init(3, "he");
    expect(bits(ck.params).equals(bits(fresh.getParams()))).toBe(true);
    const opt = createOptimizer({ name: "sgd", momentum: 0.9, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const net = new Network(ck.spec, new JsBackend("f32"), 4, opt.stateSlots);
    restoreCheckpoint(ck, net, opt, new LrSchedule({ name: "constant", lr: 0.1, epochs: 3, warmupEpochs: 0, gamma: 0.1, stepSize: 1, minLr: 0, patience: 1 }));
    expect(bits(net.getParams()).equals(bits(ck.params))).toBe(true);
    expect(opt.steps).toBe(17);
  });
});

describe("version 2 round trips", () => {
  it("an MLP: the header lists dense layers, the spec reads back as hidden widths, weights bit for bit", () => {
    const spec: ModelSpec = { inputSize: 20, hidden: [7, 5], outputSize: 4, activation: "tanh" };
    const net = new Network(spec, new JsBackend("f32"), 1);
    net.init(9, "xavier");
    const bytes = encodeModel(spec, net.getParams(), { createdAt: "2025-02-03T04:05:06.000Z", metrics: { valAccuracy: 0.5 } });
    const m = decodeModel(bytes, "mlp.simdnet");
    expect(m.spec).toEqual(spec);
    expect(bits(m.params).equals(bits(net.getParams()))).toBe(true);
    expect(m.state.length).toBe(0);
    const { weightsCrc32, ...h } = m.header;
    expect(weightsCrc32).toMatch(/^[0-9a-f]{8}$/);
    expect(h).toEqual({
      format: "simdnet-model",
      version: 2,
      input: [20],
      layers: [{ type: "dense", units: 7, activation: "tanh" }, { type: "dense", units: 5, activation: "tanh" }],
      outputSize: 4,
      activation: "tanh",
      paramCount: 20 * 7 + 7 + 7 * 5 + 5 + 5 * 4 + 4,
      stateCount: 0,
      createdAt: "2025-02-03T04:05:06.000Z",
      metrics: { valAccuracy: 0.5 },
    });
  });

  it("a layers-given MLP on a flat input reads back in the MLP form (same stack, same network)", () => {
    const spec: ModelSpec = { inputSize: 6, hidden: [], layers: [{ type: "dense", units: 3 }], outputSize: 2, activation: "relu" };
    const m = decodeModel(encodeModel(spec, new Float32Array(6 * 3 + 3 + 3 * 2 + 2)));
    expect(m.spec).toEqual({ inputSize: 6, hidden: [3], outputSize: 2, activation: "relu" });
    // a dense layer with another activation, or dropout, keeps the layers form
    const mixed: ModelSpec = { ...spec, layers: [{ type: "dense", units: 3, activation: "gelu" }, { type: "dropout", rate: 0.1 }] };
    expect(decodeModel(encodeModel(mixed, new Float32Array(29))).spec.layers).toEqual([{ type: "dense", units: 3, activation: "gelu" }, { type: "dropout", rate: 0.1 }]);
  });

  it("a CNN with batch norm: layers with every default, params and running statistics bit for bit, same predictions", async () => {
    const data = syntheticDigits(64, 2, 64, 3);
    const net = new Network(SMALL_CNN, new JsBackend("f32"), 16, 0);
    net.init(5, "he");
    const schedule = new LrSchedule({ name: "constant", lr: 0.05, epochs: 2, warmupEpochs: 0, gamma: 0.1, stepSize: 1, minLr: 0, patience: 1 });
    const { train } = splitTrainVal(data, 0, 1);
    await fit(net, train, null, { epochs: 2, batchSize: 16, schedule, seed: 3, optimizer: createOptimizer({ name: "sgd", momentum: 0, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }) });
    const state = net.getState();
    expect(state.length).toBe(8);
    expect(Array.from(state.subarray(0, 4)).some((v) => v !== 0)).toBe(true);
    const bytes = encodeModel(SMALL_CNN, net.getParams(), {}, state);
    const m = decodeModel(bytes, "cnn.simdnet");
    expect(m.header.input).toEqual([8, 8, 1]);
    expect(m.header.layers).toEqual([
      { type: "conv2d", filters: 4, kernelSize: 3, strides: 1, padding: "valid", activation: "relu" },
      { type: "batchNormalization", activation: "none" },
      { type: "maxPooling2d", poolSize: 2, strides: 2 },
      { type: "dropout", rate: 0.2 },
    ]);
    expect([m.header.paramCount, m.header.stateCount]).toEqual([159, 8]);
    expect(m.spec.inputShape).toEqual([8, 8, 1]);
    expect(m.spec.layers).toEqual(m.header.layers);
    expect(bits(m.params).equals(bits(net.getParams()))).toBe(true);
    expect(bits(m.state).equals(bits(state))).toBe(true);
    // a network built from the file predicts what the trained one does (eval mode: running statistics)
    const back = new Network(m.spec, new JsBackend("f32"), 16);
    back.setParams(m.params);
    back.setState(m.state);
    expect(bits(back.predictProbs(data.images, 64)).equals(bits(net.predictProbs(data.images, 64)))).toBe(true);
    // ...and without the state it would not (the test above would see it)
    back.resetState();
    expect(bits(back.predictProbs(data.images, 64)).equals(bits(net.predictProbs(data.images, 64)))).toBe(false);
  });

  it("keeps header fields it does not know (classNames, normalization, anything) and ignores attempts to override computed ones", () => {
    const spec: ModelSpec = { inputSize: 4, hidden: [], outputSize: 2, activation: "relu" };
    const extra = { classNames: ["cat", "dog"], normalization: { mean: 0.13, std: 0.31 }, createdAt: "x", version: 99, paramCount: 1, future: [1, { a: null }] };
    const m = decodeModel(encodeModel(spec, new Float32Array(10), extra));
    expect(m.header.classNames).toEqual(["cat", "dog"]);
    expect(m.header.normalization).toEqual({ mean: 0.13, std: 0.31 });
    expect(m.header.future).toEqual([1, { a: null }]);
    expect([m.header.version, m.header.paramCount]).toEqual([2, 10]);
  });

  it("the encoder refuses wrong block sizes and non-finite state", () => {
    expect(() => encodeModel(SMALL_CNN, new Float32Array(159), {}, new Float32Array(7))).toThrow(/model has 8 state values, got 7/);
    expect(() => encodeModel(SMALL_CNN, new Float32Array(158), {}, new Float32Array(8))).toThrow(/model has 159 parameters, got 158/);
    expect(() => encodeModel(SMALL_CNN, new Float32Array(159), {}, Float32Array.from({ length: 8 }, (_, i) => (i === 6 ? NaN : 1)))).toThrow(/non-finite state/);
  });

  it("a v2 checkpoint of a CNN carries every block bit for bit", () => {
    const P = 159;
    const ck: Checkpoint = {
      spec: SMALL_CNN,
      params: Float32Array.from({ length: P }, (_, i) => Math.sin(i)),
      state: Float32Array.from({ length: 8 }, (_, i) => (i < 4 ? i / 10 : 1 + i / 10)),
      optState: Float32Array.from({ length: 2 * P }, (_, i) => Math.cos(i) / 100),
      optimizer: { name: "adam", slots: 2, steps: 12 },
      epochsCompleted: 0,
      position: { epoch: 1, batch: 3, lossSum: 2.5, correct: 20, done: 48 },
      schedule: { plateauScale: 1, best: Infinity, bad: 0 },
      seed: 4,
      config: { argv: ["--layers", "conv 4 3, batchnorm, maxpool 2, dropout 0.2"] },
      data: { count: 90, labelsCrc32: "01234567" },
    };
    const bytes = encodeCheckpoint(ck);
    const back = decodeCheckpoint(bytes, "c.simdckpt");
    expect(bits(back.params).equals(bits(ck.params))).toBe(true);
    expect(bits(back.state).equals(bits(ck.state))).toBe(true);
    expect(bits(back.optState).equals(bits(ck.optState))).toBe(true);
    expect({ ...back, spec: 0, params: 0, state: 0, optState: 0 }).toEqual({ ...ck, spec: 0, params: 0, state: 0, optState: 0 });
    expect(back.spec).toEqual({ ...SMALL_CNN, layers: decodeModel(encodeModel(SMALL_CNN, ck.params, {}, ck.state)).header.layers });
    const H = new DataView(bytes.buffer).getUint32(8, true);
    const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + H)));
    expect([h.version, h.input, h.layers.length, h.paramCount, h.stateCount]).toEqual([2, [8, 8, 1], 4, P, 8]);
    // the float block is params, then state, then optimizer state
    expect(new DataView(bytes.buffer).getFloat32(12 + H + (P + 5) * 4, true)).toBe(ck.state[5]);
  });
});

// The Keras "simple MNIST convnet" (with a batch norm): Keras' model.summary() counts 320, 18,496 and 16,010.
const K: ModelSpec = {
  inputSize: 784,
  inputShape: [28, 28, 1],
  hidden: [],
  layers: [
    { type: "conv2d", filters: 32, kernelSize: 3 },
    { type: "maxPooling2d", poolSize: 2 },
    { type: "conv2d", filters: 64, kernelSize: 3 },
    { type: "batchNormalization" },
    { type: "maxPooling2d", poolSize: 2 },
    { type: "dropout", rate: 0.5 },
  ],
  outputSize: 10,
  activation: "relu",
};

describe("model summary and simdnet info", () => {
  it("rows, output shapes and Keras' parameter counts (batch-norm statistics non-trainable)", () => {
    const s = modelSummary(K);
    expect(s.inputShape).toEqual([28, 28, 1]);
    expect(s.rows).toEqual([
      { name: "conv 32 3 act=relu", type: "conv2d", outputShape: [26, 26, 32], params: 320 },
      { name: "maxpool 2", type: "maxPooling2d", outputShape: [13, 13, 32], params: 0 },
      { name: "conv 64 3 act=relu", type: "conv2d", outputShape: [11, 11, 64], params: 18496 },
      { name: "batchnorm", type: "batchNormalization", outputShape: [11, 11, 64], params: 256 },
      { name: "maxpool 2", type: "maxPooling2d", outputShape: [5, 5, 64], params: 0 },
      { name: "dropout 0.5", type: "dropout", outputShape: [5, 5, 64], params: 0 },
      { name: "dense 10", type: "dense", outputShape: [10], params: 16010 },
    ]);
    expect([s.totalParams, s.trainableParams, s.nonTrainable]).toEqual([34954 + 128, 34954, 128]);
    expect(modelSummary({ inputSize: 784, hidden: [128], outputSize: 10, activation: "relu" })).toMatchObject({ totalParams: 101770, trainableParams: 101770, nonTrainable: 0 });
  });

  describe("simdnet info", () => {
    let out: string[] = [];
    afterEach(() => vi.restoreAllMocks());
    const run = async (file: string, ...args: string[]) => {
      out = [];
      vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
      expect(await infoCommand(["--model", file, ...args])).toBe(0);
      return out.join("\n");
    };

    it("a v1 MLP: today's lines, then the table", async () => {
      const text = await run(join(FIXTURES, "v1-784-16-10.simdnet"));
      expect(text).toMatch(/format\s+simdnet-model v1/);
      expect(text).toMatch(/layers\s+784-16-10/);
      expect(text).toMatch(/params\s+12,730/);
      expect(text).toMatch(/epochs\s+2/);
      expect(text).toMatch(/Layer \(type\)\s+Output Shape\s+Param #/);
      expect(text).toMatch(/dense 16 act=relu \(dense\)\s+\(None, 16\)\s+12,560/);
      expect(text).toMatch(/Total params: 12,730/);
      const j = JSON.parse(await run(join(FIXTURES, "v1-784-16-10.simdnet"), "--json"));
      expect([j.version, j.inputSize, j.hidden, j.paramCount]).toEqual([1, 784, [16], 12730]);
      expect(j.summary.rows.map((r: { params: number }) => r.params)).toEqual([12560, 170]);
    });

    it("a v2 CNN: Keras-style shapes and totals; --json holds the header and the same summary", async () => {
      const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
      const { tmpdir } = await import("node:os");
      const dir = mkdtempSync(join(tmpdir(), "simdnet-info-"));
      try {
        const file = join(dir, "k.simdnet");
        const net = new Network(K, new JsBackend("f32"), 1);
        net.init(1);
        writeFileSync(file, encodeModel(K, net.getParams(), { classNames: ["zero", "one"], training: { epochs: 3 } }, net.getState()));
        const text = await run(file);
        expect(text).toMatch(/format\s+simdnet-model v2/);
        expect(text).toContain("layers     28×28×1 → conv 32 3 act=relu → maxpool 2 → conv 64 3 act=relu → batchnorm → maxpool 2 → dropout 0.5 → dense 10");
        expect(text).toMatch(/params\s+34,954 trainable \+ 128 non-trainable/);
        expect(text).toMatch(/classNames zero,one/);
        expect(text).toMatch(/maxpool 2 \(maxPooling2d\)\s+\(None, 13, 13, 32\)\s+0\n/);
        expect(text).toMatch(/conv 64 3 act=relu \(conv2d\)\s+\(None, 11, 11, 64\)\s+18,496/);
        expect(text).toMatch(/Total params: 35,082 \(137\.04 KB\)\nTrainable params: 34,954 \(136\.54 KB\)\nNon-trainable params: 128 \(512 B\)/);
        const j = JSON.parse(await run(file, "--json"));
        expect(j.summary).toEqual(modelSummary(K));
        expect([j.version, j.stateCount, j.classNames, j.training]).toEqual([2, 128, ["zero", "one"], { epochs: 3 }]);
        expect(j.hidden).toBeUndefined();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
