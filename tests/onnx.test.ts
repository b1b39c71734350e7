// ONNX export and import, checked against real ONNX Runtime (onnxruntime-node):
//  - every model kind simdnet trains, exported, loads in ONNX Runtime and predicts what simdnet
//    predicts on 1000 MNIST test images (identical argmax, probabilities within 1e-5);
//  - export → import gives the same weights and state bit for bit (and the same ONNX bytes again);
//  - models made by PyTorch's torch.onnx.export (tests/fixtures/onnx, scripts/make-onnx-fixtures.py)
//    and graphs built here in PyTorch's layout (NCHW conv, transB Gemm, MatMul + Add, 3-channel
//    NCHW input) import and match ONNX Runtime; the imported models fine-tune and export again;
//  - what simdnet cannot take is refused, naming the operator or attribute.
// Real MNIST from $SIMDNET_MNIST_DIR (required in CI); synthetic digits outside CI without it.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { WasmBackend } from "../src/backend/wasm.js";
import type { Dataset } from "../src/data/dataset.js";
import { hasMnistFiles } from "../src/data/files.js";
import { SimdnetError } from "../src/errors.js";
import { fromOnnx, importOnnx } from "../src/export/onnx-import.js";
import { AT, DT_FLOAT, DT_INT64, decodeOnnx, encodeOnnx, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from "../src/export/onnx-proto.js";
import { toOnnx } from "../src/export/onnx.js";
import { toTfjsLayers } from "../src/export/tfjs.js";
import { fullStack, inputShapeOf, type LayerConfig } from "../src/layers/index.js";
import { argmaxRows } from "../src/model/metrics.js";
import { Model, type CreateOptions } from "../src/model/model.js";
import { loadMnist } from "../src/node.js";
import { syntheticDigits } from "./fixtures.js";

const root = resolve(import.meta.dirname, "..");
const fixtures = join(root, "tests/fixtures/onnx");
const mnistDir = process.env.SIMDNET_MNIST_DIR;
const haveMnist = Boolean(mnistDir && hasMnistFiles(mnistDir));
const N_TEST = 1000;
// the CNN kernels run in wasm once the backend has them, else in TypeScript
const cnnBackend = typeof (new WasmBackend() as unknown as { convForward?: unknown }).convForward === "function" ? "wasm" : "js";

function head(d: Dataset, n: number): Dataset {
  return { ...d, images: d.images.subarray(0, n * d.inputSize), labels: d.labels?.subarray(0, n) ?? null, count: n };
}

function softmaxRows(x: Float32Array, C: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / C; r++) {
    const row = x.subarray(r * C, r * C + C);
    const m = Math.max(...row);
    let s = 0;
    for (let j = 0; j < C; j++) s += Math.exp(row[j] - m);
    for (let j = 0; j < C; j++) out[r * C + j] = Math.exp(row[j] - m) / s;
  }
  return out;
}

/** ONNX Runtime's probabilities for a float input of the given dims (its softmax applied when the graph ends at the logits). */
async function runOrt(bytes: Uint8Array, x: Float32Array, dims: number[], classes = 10): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  expect(session.inputNames.length).toBe(1);
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor("float32", x, dims) });
  const y = out[session.outputNames[0]].data as Float32Array;
  return importOnnx(bytes).output === "logits" ? softmaxRows(y, classes) : y;
}

function compare(ours: Float32Array, theirs: Float32Array, classes = 10): { maxDiff: number; sameArgmax: number } {
  expect(theirs.length).toBe(ours.length);
  let maxDiff = 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
  const a = argmaxRows(ours, classes);
  const b = argmaxRows(theirs, classes);
  let same = 0;
  for (let i = 0; i < a.length; i++) same += a[i] === b[i] ? 1 : 0;
  return { maxDiff, sameArgmax: same };
}

const bits = (f: Float32Array) => Array.from(new Uint32Array(f.buffer, f.byteOffset, f.length));

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(SimdnetError);
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
}

let train: Dataset;
let test: Dataset;
let floatTest: Float32Array;

beforeAll(() => {
  if (process.env.CI) expect(haveMnist, "CI must set SIMDNET_MNIST_DIR to the MNIST folder").toBe(true);
  if (haveMnist) {
    const m = loadMnist(mnistDir!);
    train = head(m.train, 4000);
    test = head(m.test, N_TEST);
  } else {
    train = syntheticDigits(2000, 1);
    test = syntheticDigits(N_TEST, 2);
  }
  floatTest = Float32Array.from(test.images, (v) => v / 255);
});

const conv = (filters: number, kernelSize: number, extra: Partial<Extract<LayerConfig, { type: "conv2d" }>> = {}): LayerConfig => ({ type: "conv2d", filters, kernelSize, ...extra });

/** Every kind of model simdnet trains: MLPs of each activation, CNNs with batch norm, pooling, dropout, flatten. */
const KINDS: [string, CreateOptions, number][] = [
  ["mlp relu 64-32", { hidden: [64, 32], activation: "relu" }, 0.1],
  ["mlp tanh", { hidden: [32], activation: "tanh" }, 0.1],
  ["mlp sigmoid", { hidden: [32], activation: "sigmoid" }, 0.3],
  ["mlp leaky-relu", { hidden: [32], activation: "leaky-relu" }, 0.1],
  ["mlp gelu", { hidden: [48, 24], activation: "gelu" }, 0.1],
  ["softmax regression", { hidden: [] }, 0.1],
  [
    "cnn: same conv, batch norm, max pool, avg pool, flatten, dropout, dense batch norm",
    {
      input: [28, 28, 1],
      layers: [conv(6, 3, { padding: "same" }), { type: "batchNormalization", activation: "relu" }, { type: "maxPooling2d", poolSize: 2 }, conv(8, 3, { activation: "gelu" }), { type: "averagePooling2d", poolSize: 2 }, { type: "flatten" }, { type: "dropout", rate: 0.2 }, { type: "dense", units: 24, activation: "leaky-relu" }, { type: "batchNormalization", activation: "tanh" }],
    },
    0.01,
  ],
  ["cnn: strided same conv, implicit flatten", { input: [28, 28, 1], layers: [conv(8, 5, { strides: 2, padding: "same", activation: "relu" }), { type: "maxPooling2d", poolSize: 3, strides: 2 }, { type: "dense", units: 16, activation: "sigmoid" }] }, 0.01],
  ["cnn: global average pooling", { input: [28, 28, 1], layers: [conv(8, 3, { activation: "relu" }), conv(12, 3, { strides: 2, activation: "relu" }), { type: "batchNormalization", activation: "relu" }, { type: "globalAveragePooling2d" }, { type: "dense", units: 16, activation: "relu" }] }, 0.01],
];

describe("ONNX export: every model kind in ONNX Runtime", () => {
  it.each(KINDS)(`%s: ONNX Runtime predicts what simdnet predicts on ${N_TEST} test images; export → import is bit for bit`, async (_name, options, lr) => {
    const backend = options.layers ? cnnBackend : "wasm";
    const model = Model.create({ ...options, seed: 7, backend });
    await model.fit(train, { epochs: options.layers ? 2 : 1, batchSize: 32, lr, optimizer: options.layers ? "adam" : "sgd", schedule: "constant" });
    const ours = model.predict(test.images, test.count);
    const acc = model.evaluate(test).accuracy;
    expect(acc, "a trained model, not noise").toBeGreaterThan(haveMnist ? (options.layers ? 0.4 : 0.5) : 0.2);

    const bytes = toOnnx(model);
    const dims = options.layers ? [test.count, 28, 28, 1] : [test.count, 784];
    const theirs = await runOrt(bytes, floatTest, dims);
    const { maxDiff, sameArgmax } = compare(ours, theirs);
    console.log(`${_name}: accuracy ${acc.toFixed(3)}, max |Δp| ${maxDiff.toExponential(2)}, argmax equal ${sameArgmax}/${test.count}, ${bytes.length} bytes`);
    expect(maxDiff).toBeLessThan(1e-5);
    expect(sameArgmax).toBe(test.count);

    // the logits variant
    const logits = await (async () => {
      const s = await ort.InferenceSession.create(toOnnx(model, { output: "logits" }));
      expect(s.outputNames).toEqual(["logits"]);
      return (await s.run({ input: new ort.Tensor("float32", floatTest.subarray(0, 50 * 784), [50, ...dims.slice(1)]) })).logits.data as Float32Array;
    })();
    expect(compare(ours.subarray(0, 500), softmaxRows(logits, 10)).maxDiff).toBeLessThan(1e-5);

    // round trip: the same weights and state bit for bit, the same stack, the same ONNX bytes
    const back = importOnnx(bytes);
    expect(back.output).toBe("probabilities");
    expect(bits(back.params)).toEqual(bits(model.getParams()));
    expect(bits(back.state)).toEqual(bits(model.getState()));
    expect(fullStack(back.spec)).toEqual(fullStack(model.spec));
    expect(inputShapeOf(back.spec)).toEqual(inputShapeOf(model.spec));
    expect(toOnnx(back)).toEqual(bytes);
    const imported = fromOnnx(bytes, { backend });
    expect(Array.from(imported.predict(test.images.subarray(0, 200 * 784), 200))).toEqual(Array.from(ours.subarray(0, 2000)));
  });

  it("the graph: opset 13, named input and output with a dynamic batch, NHWC input transposed once", async () => {
    const model = Model.create({ input: [28, 28, 1], layers: [conv(4, 3), { type: "maxPooling2d", poolSize: 2 }, conv(4, 3)], seed: 1, backend: cnnBackend });
    const session = await ort.InferenceSession.create(toOnnx(model));
    expect(session.inputNames).toEqual(["input"]);
    expect(session.outputNames).toEqual(["probabilities"]);
    const m = decodeOnnx(toOnnx(model));
    expect(m.opsets).toEqual([{ domain: "", version: 13 }]);
    expect(m.graph.inputs[0].dims).toEqual(["N", 28, 28, 1]);
    expect(m.graph.outputs[0].dims).toEqual(["N", 10]);
    expect(m.graph.nodes.filter((n) => n.opType === "Transpose").length).toBe(2); // NHWC → NCHW once, back before the flatten
    for (const B of [1, 3]) {
      const x = floatTest.subarray(0, B * 784);
      const y = (await session.run({ input: new ort.Tensor("float32", x, [B, 28, 28, 1]) })).probabilities;
      expect(y.dims).toEqual([B, 10]);
    }
  });
});

// ---------- PyTorch's own exports ----------

const TORCH: [string, number[]][] = [
  ["torch-cnn", [1, 28, 28]], // Conv (pads = same) + BN folded, MaxPool, Pad + AveragePool, Flatten, Gemm transB, GELU tanh decomposed, Softmax; opset 13
  ["torch-mlp", [1, 28, 28]], // x.view(x.size(0), -1) (Shape/Gather/Unsqueeze/Concat/Reshape), LeakyRelu, BatchNormalization 1d, Tanh, Sigmoid; logits; opset 11
  ["torch-gap", [784]], // Reshape to [-1, 1, 28, 28], Conv, MaxPool before Relu, strided Conv, BN eps 1e-3, GlobalAveragePool; logits; opset 17
];

describe("ONNX import: models exported by PyTorch (torch.onnx.export)", () => {
  it.each(TORCH)(`%s imports and predicts what ONNX Runtime predicts on ${N_TEST} test images; it fine-tunes and exports again`, async (name, sample) => {
    const bytes = new Uint8Array(readFileSync(join(fixtures, `${name}.onnx`)));
    const model = fromOnnx(bytes, { backend: cnnBackend, file: `${name}.onnx` });
    const ours = model.predict(test.images, test.count);
    const theirs = await runOrt(bytes, floatTest, [test.count, ...sample]);
    const { maxDiff, sameArgmax } = compare(ours, theirs);
    const acc = model.evaluate(test).accuracy;
    console.log(`${name}: ${model.layers().map((l) => l.name).join(", ")}; accuracy ${acc.toFixed(3)}, max |Δp| ${maxDiff.toExponential(2)}, argmax equal ${sameArgmax}/${test.count}`);
    expect(maxDiff).toBeLessThan(1e-5);
    expect(sameArgmax).toBe(test.count);
    if (haveMnist) expect(acc, "trained in PyTorch").toBeGreaterThan(0.7);

    // it fine-tunes like a model trained here, and the result exports to ONNX and TF.js
    await model.fit(head(train, 1000), { epochs: 1, batchSize: 50, lr: 1e-3, optimizer: "adam", schedule: "constant" });
    const after = model.evaluate(test).accuracy;
    if (haveMnist) expect(after).toBeGreaterThan(acc - 0.1);
    const again = toOnnx(model);
    const c = compare(model.predict(test.images, 200), await runOrt(again, floatTest.subarray(0, 200 * 784), [200, ...(model.spec.inputShape ? model.spec.inputShape : [784])]));
    expect(c.maxDiff).toBeLessThan(1e-5);
    expect(() => toTfjsLayers(model.spec, model.getParams(), model.getState())).not.toThrow();
  });

  const REFUSED: [string, RegExp][] = [
    ["refuse-leaky-alpha", /LeakyRelu node .*alpha=0\.2.*slope 0\.01/],
    ["refuse-erf-gelu", /exact \(erf\) GELU.*approximate="tanh"/],
    ["refuse-conv-pads", /field attribute pads.*Conv node .*pads \[1, 1, 1, 1\].*'same' padding, which here is \[0, 0, 1, 1\]/],
    ["refuse-pool-pads", /MaxPool node .*pads \[1, 1, 1, 1\]; simdnet's pooling has no padding/],
    ["refuse-dilation", /Conv node .*dilations \[2, 2\]/],
    ["refuse-elu", /operator "Elu" .* is not supported; simdnet imports chains of Gemm/],
    ["refuse-residual", /branches at .* residual connections/],
  ];
  it.each(REFUSED)("%s is refused, naming what is not supported", (name, pattern) => {
    const bytes = new Uint8Array(readFileSync(join(fixtures, `${name}.onnx`)));
    expect(refusal(() => importOnnx(bytes, `${name}.onnx`))).toMatch(pattern);
  });
});

// ---------- graphs built here in PyTorch's layout ----------

class GraphBuilder {
  nodes: OnnxNode[] = [];
  inits: OnnxTensor[] = [];
  private n = 0;
  private seed = 1;
  rand(count: number, scale: number): Float32Array {
    return Float32Array.from({ length: count }, () => {
      this.seed = (this.seed * 1103515245 + 12345) >>> 0;
      return ((this.seed / 2 ** 32) * 2 - 1) * scale;
    });
  }
  init(dims: number[], data: ArrayLike<number>, dataType = DT_FLOAT): string {
    const name = `w${this.inits.length}`;
    this.inits.push(dataType === DT_FLOAT ? { name, dims, dataType, floats: Float32Array.from(data) } : { name, dims, dataType, ints: Array.from(data) });
    return name;
  }
  op(opType: string, inputs: string[], attributes: OnnxAttribute[] = [], extraOutputs: string[] = []): string {
    const out = `t${this.n++}`;
    this.nodes.push({ name: `${opType}_${this.n}`, opType, domain: "", inputs, outputs: [out, ...extraOutputs], attributes });
    return out;
  }
  /** The model: the last node's output is the graph output "y". */
  model(inputDims: (number | string)[], opset = 17): Uint8Array {
    this.nodes[this.nodes.length - 1].outputs[0] = "y";
    const m: OnnxModel = {
      irVersion: 8,
      opsets: [{ domain: "", version: opset }],
      producerName: "test",
      producerVersion: "",
      docString: "",
      graph: { name: "g", nodes: this.nodes, initializers: this.inits, inputs: [{ name: "x", elemType: DT_FLOAT, dims: inputDims }], outputs: [{ name: "y", elemType: DT_FLOAT, dims: ["N", 10] }] },
      metadata: {},
    };
    return encodeOnnx(m);
  }
}
const ints = (name: string, v: number[]): OnnxAttribute => ({ name, type: AT.INTS, ints: v });
const int = (name: string, v: number): OnnxAttribute => ({ name, type: AT.INT, i: v });
const float = (name: string, v: number): OnnxAttribute => ({ name, type: AT.FLOAT, f: v });
const str = (name: string, v: string): OnnxAttribute => ({ name, type: AT.STRING, s: v });

/** A PyTorch-layout CNN on 3-channel 12×12 NCHW input: OIHW convs, BN (eps 1e-3), NCHW Flatten, transB Gemm, MatMul + Add, Softmax. */
function pytorchStyleCnn(tweak: (g: GraphBuilder, at: string, cur: string) => string = (_g, _a, c) => c): Uint8Array {
  const g = new GraphBuilder();
  let x = g.op("Conv", ["x", g.init([6, 3, 3, 3], g.rand(162, 0.5)), g.init([6], g.rand(6, 0.1))], [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1]), ints("strides", [1, 1])]);
  x = tweak(g, "conv1", x);
  x = g.op("BatchNormalization", [x, g.init([6], g.rand(6, 0.5).map((v) => 1 + v)), g.init([6], g.rand(6, 0.2)), g.init([6], g.rand(6, 0.3)), g.init([6], g.rand(6, 0.5).map((v) => 1 + v))], [float("epsilon", 1e-3)]);
  x = g.op("Relu", [x]);
  x = tweak(g, "relu1", x);
  x = g.op("MaxPool", [x], [ints("kernel_shape", [2, 2]), ints("strides", [2, 2])]);
  x = g.op("Conv", [x, g.init([5, 6, 3, 3], g.rand(270, 0.4))], [ints("kernel_shape", [3, 3]), ints("strides", [2, 2])]); // 6×6 → 2×2, no bias
  x = g.op("Sigmoid", [x]);
  x = g.op("Flatten", [x], [int("axis", 1)]);
  x = tweak(g, "flatten", x);
  x = g.op("Gemm", [x, g.init([16, 20], g.rand(320, 0.5)), g.init([16], g.rand(16, 0.1))], [float("alpha", 1), float("beta", 1), int("transB", 1)]);
  x = g.op("Tanh", [x]);
  x = g.op("MatMul", [x, g.init([16, 10], g.rand(160, 0.6))]);
  x = g.op("Add", [x, g.init([10], g.rand(10, 0.2))]);
  x = tweak(g, "logits", x);
  g.op("Softmax", [x], [int("axis", 1)]);
  return g.model(["batch", 3, 12, 12]);
}

describe("ONNX import: hand-built graphs in PyTorch's layout", () => {
  const images = (n: number) => {
    const nchw = new Float32Array(n * 3 * 144);
    const seedImg = syntheticDigits(n * 3, 5, 144);
    for (let i = 0; i < nchw.length; i++) nchw[i] = seedImg.images[i] / 255;
    const u8 = new Uint8Array(n * 432);
    // simdnet takes the same images channels last
    for (let b = 0; b < n; b++) for (let c = 0; c < 3; c++) for (let p = 0; p < 144; p++) u8[b * 432 + p * 3 + c] = seedImg.images[b * 432 + c * 144 + p];
    return { nchw, u8 };
  };

  it("3-channel NCHW conv net (OIHW, same pads, BN eps 1e-3, NCHW Flatten, transB Gemm, MatMul + Add) matches ONNX Runtime", async () => {
    const bytes = pytorchStyleCnn();
    const r = importOnnx(bytes);
    expect(r.spec.inputShape).toEqual([12, 12, 3]);
    expect(fullStack(r.spec).map((l) => l.type)).toEqual(["conv2d", "batchNormalization", "maxPooling2d", "conv2d", "flatten", "dense", "dense"]);
    expect(r.notes.join(" ")).toMatch(/epsilon .* folded/);
    const { nchw, u8 } = images(64);
    const model = fromOnnx(bytes, { backend: cnnBackend });
    const ours = model.predict(u8, 64);
    const theirs = await runOrt(bytes, nchw, [64, 3, 12, 12]);
    const { maxDiff, sameArgmax } = compare(ours, theirs);
    expect(maxDiff).toBeLessThan(1e-5);
    expect(sameArgmax).toBe(64);
  });

  it("Reshape [-1, D], Constant nodes, Identity, Dropout (ratio as an input, mask output unused), LogSoftmax", async () => {
    const g = new GraphBuilder();
    const shapeNode: OnnxNode = { name: "c", opType: "Constant", domain: "", inputs: [], outputs: ["shape"], attributes: [{ name: "value", type: AT.TENSOR, t: { name: "", dims: [2], dataType: DT_INT64, ints: [-1, 784] } }] };
    g.nodes.push(shapeNode);
    let x = g.op("Reshape", ["x", "shape"]);
    x = g.op("Identity", [x]);
    x = g.op("Gemm", [x, g.init([784, 20], g.rand(784 * 20, 0.05)), g.init([20], g.rand(20, 0.1))]);
    x = g.op("Relu", [x]);
    x = g.op("Dropout", [x, g.init([], [0.3])], [], ["mask_unused"]);
    x = g.op("Gemm", [x, g.init([10, 20], g.rand(200, 0.3))], [int("transB", 1)]);
    g.op("LogSoftmax", [x], [int("axis", -1)]);
    const bytes = g.model(["N", 1, 28, 28], 13);
    const r = importOnnx(bytes);
    expect(fullStack(r.spec).map((l) => l.type)).toEqual(["flatten", "dense", "dropout", "dense"]);
    const model = fromOnnx(bytes, { backend: cnnBackend });
    const ours = model.predict(test.images.subarray(0, 100 * 784), 100);
    const logp = await (async () => {
      const s = await ort.InferenceSession.create(bytes);
      return (await s.run({ x: new ort.Tensor("float32", floatTest.subarray(0, 100 * 784), [100, 1, 28, 28]) })).y.data as Float32Array;
    })();
    expect(compare(ours, Float32Array.from(logp, Math.exp)).maxDiff).toBeLessThan(1e-5);
  });

  it("the Keras / tf2onnx layout: NHWC input, Transpose, Conv auto_pad SAME_UPPER, Transpose back, Shape/Slice/Concat/Reshape, MatMul + Add", async () => {
    const g = new GraphBuilder();
    let x = g.op("Transpose", ["x"], [ints("perm", [0, 3, 1, 2])]);
    x = g.op("Conv", [x, g.init([4, 1, 3, 3], g.rand(36, 0.5)), g.init([4], g.rand(4, 0.1))], [ints("kernel_shape", [3, 3]), ints("strides", [2, 2]), str("auto_pad", "SAME_UPPER")]);
    x = g.op("Relu", [x]);
    x = g.op("Transpose", [x], [ints("perm", [0, 2, 3, 1])]);
    const shape = g.op("Shape", [x]);
    const batch = g.op("Slice", [shape, g.init([1], [0], DT_INT64), g.init([1], [1], DT_INT64)]);
    const target = g.op("Concat", [batch, g.init([1], [-1], DT_INT64)], [int("axis", 0)]);
    x = g.op("Reshape", [x, target]);
    x = g.op("MatMul", [x, g.init([14 * 14 * 4, 10], g.rand(784 * 10, 0.1))]);
    x = g.op("Add", [x, g.init([10], g.rand(10, 0.1))]);
    g.op("Softmax", [x], [int("axis", -1)]);
    const bytes = g.model(["unk__1", 28, 28, 1], 13);
    const r = importOnnx(bytes);
    expect(r.spec.layers).toEqual([{ type: "conv2d", filters: 4, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }, { type: "flatten" }]);
    const model = fromOnnx(bytes, { backend: cnnBackend });
    const c = compare(model.predict(test.images.subarray(0, 200 * 784), 200), await runOrt(bytes, floatTest.subarray(0, 200 * 784), [200, 28, 28, 1]));
    expect(c.maxDiff).toBeLessThan(1e-5);
    expect(c.sameArgmax).toBe(200);
  });

  it("GELU as the opset-20 operator (approximate=tanh) imports; approximate=none is refused naming the attribute", async () => {
    const build = (approximate: string) => {
      const g = new GraphBuilder();
      let x = g.op("Gemm", ["x", g.init([784, 12], g.rand(784 * 12, 0.05))]);
      x = g.op("Gelu", [x], [str("approximate", approximate)]);
      g.op("Gemm", [x, g.init([12, 10], g.rand(120, 0.3))]);
      return g.model(["N", 784], 20);
    };
    const bytes = build("tanh");
    const model = fromOnnx(bytes);
    expect(model.spec.activation).toBe("gelu");
    const c = compare(model.predict(test.images.subarray(0, 100 * 784), 100), await runOrt(bytes, floatTest.subarray(0, 100 * 784), [100, 784]));
    expect(c.maxDiff).toBeLessThan(1e-5);
    expect(refusal(() => importOnnx(build("none")))).toMatch(/field attribute approximate.*Gelu node .*approximate="none".*exact \(erf\) GELU/);
  });

  const REFUSALS: [string, (g: GraphBuilder, at: string, x: string) => string, RegExp][] = [
    ["a grouped conv", (g, at, x) => (at === "relu1" ? g.op("Conv", [x, g.init([6, 3, 1, 1], g.rand(18, 0.3))], [int("group", 2)]) : x), /field attribute group: .*group=2/],
    ["an unknown operator", (g, at, x) => (at === "relu1" ? g.op("Elu", [x]) : x), /operator "Elu" .*not supported/],
    ["a leaky relu of slope 0.1", (g, at, x) => (at === "conv1" ? g.op("LeakyRelu", [x], [float("alpha", 0.1)]) : x), /field attribute alpha.*alpha=0\.1.*slope 0\.01/],
    ["two activations in a row", (g, at, x) => (at === "relu1" ? g.op("Tanh", [x]) : x), /second activation/],
    ["a Softmax over the wrong axis", (g, at, x) => (at === "flatten" ? g.op("Softmax", [x], [int("axis", 0)]) : x), /field attribute axis.*Softmax .*axis 0/],
    ["a Transpose other than NHWC ↔ NCHW", (g, at, x) => (at === "relu1" ? g.op("Transpose", [x], [ints("perm", [0, 1, 3, 2])]) : x), /field attribute perm.*perm \[0, 1, 3, 2\]/],
    ["an output activation", (g, at, x) => (at === "logits" ? g.op("Sigmoid", [x]) : x), /output layer ends in sigmoid/],
    ["a branch", (g, at, x) => (at === "flatten" ? (g.op("Relu", [x]), x) : x), /branches at/],
    ["a BatchNormalization in training mode", (g, at, x) => (at === "conv1" ? g.op("BatchNormalization", [x, ...[1, 0, 0, 1].map((v) => g.init([6], new Array(6).fill(v)))], [int("training_mode", 1)]) : x), /training_mode=1/],
    ["a Conv with a non-square kernel", (g, at, x) => (at === "relu1" ? g.op("Conv", [x, g.init([2, 6, 1, 3], g.rand(36, 0.3))]) : x), /kernel 1×3; simdnet's conv kernels are square/],
    ["a weight that is computed, not a constant", (g, at, x) => (at === "flatten" ? g.op("MatMul", [x, x]) : x), /must be a constant/],
    ["a MaxPool with ceil_mode adding a partial window", (g, at, x) => (at === "relu1" ? g.op("MaxPool", [x], [ints("kernel_shape", [5, 5]), ints("strides", [2, 2]), int("ceil_mode", 1)]) : x), /field attribute ceil_mode/],
  ];
  it.each(REFUSALS)("refuses %s, naming it", (_name, tweak, pattern) => {
    expect(refusal(() => importOnnx(pytorchStyleCnn(tweak)))).toMatch(pattern);
  });

  it("refuses graphs simdnet cannot hold: two inputs, integer input, an operator of another domain, too old an opset", () => {
    const base = () => {
      const g = new GraphBuilder();
      g.op("Gemm", ["x", g.init([4, 10], g.rand(40, 0.3))]);
      return g;
    };
    const g1 = base();
    const m1 = decodeOnnx(g1.model(["N", 4]));
    m1.graph.inputs.push({ name: "x2", elemType: DT_FLOAT, dims: ["N", 4] });
    expect(refusal(() => importOnnx(encodeOnnx(m1)))).toMatch(/2 inputs \(x, x2\)/);
    const m2 = decodeOnnx(base().model(["N", 4]));
    m2.graph.inputs[0].elemType = DT_INT64;
    expect(refusal(() => importOnnx(encodeOnnx(m2)))).toMatch(/input "x" is INT64; simdnet takes FLOAT/);
    const m3 = decodeOnnx(base().model(["N", 4]));
    m3.graph.nodes[0].domain = "com.microsoft";
    expect(refusal(() => importOnnx(encodeOnnx(m3)))).toMatch(/"Gemm" of domain "com.microsoft"/);
    const m4 = decodeOnnx(base().model(["N", 4], 5));
    expect(refusal(() => importOnnx(encodeOnnx(m4)))).toMatch(/opset 5 \(simdnet reads opsets 7–23\)/);
  });
});
