// Export to ONNX (opset 13, IR version 7): every simdnet model as a chain of standard operators.
//   input        "input", float32: [N, D] for MLPs and flat inputs, [N, H, W, C] (NHWC, like simdnet and
//                TF.js) for image models; N is dynamic. Values are pixels / 255 (or raw features), as in
//                the TF.js export: simdnet divides its uint8 pixels by 255 inside the first layer.
//   output       "probabilities" [N, classes] (Softmax over the logits), or "logits" with output: "logits".
//   dense        Gemm (transB = 0: simdnet's W is (in, out) row-major, written as it is)
//   conv2d       Conv, weights converted HWIO (K, K, C, F) → OIHW (F, C, K, K), pads from TF's 'same'
//                split (the odd pixel last) or 0 for 'valid'. The input is transposed to NCHW once,
//                before the first spatial layer.
//   pooling      MaxPool / AveragePool (no padding), GlobalAveragePool + Flatten (simdnet's gap is flat)
//   batch norm   BatchNormalization (epsilon 1e-5, the running statistics)
//   dropout      Dropout (ratio as an input: identity at inference)
//   flatten      Transpose NCHW → NHWC then Flatten, so the order is simdnet's channels-last flatten;
//                a dense layer straight after a spatial one flattens the same way ("implicit_flatten")
//   activations  Relu, LeakyRelu (alpha 0.01), Tanh, Sigmoid; gelu (simdnet's tanh form, which has no
//                operator before opset 20) as Mul/Add/Tanh: 0.5·z·(1 + tanh(k·(z + c·z·z·z)))
// Browser-safe.
import { LEAKY_SLOPE } from "../backend/activations.js";
import { SimdnetError } from "../errors.js";
import { BN_EPSILON, convGeometry, inputShapeOf, type LayerConfig, type LayerLayout } from "../layers/index.js";
import { computeLayout } from "../model/arena.js";
import type { Activation, ModelSpec } from "../model/spec.js";
import { AT, DT_FLOAT, encodeOnnx, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from "./onnx-proto.js";

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;
export const ONNX_INPUT = "input";
export const ONNX_PROBABILITIES = "probabilities";
export const ONNX_LOGITS = "logits";
/** Name suffix of the Flatten that simdnet's dense layer does by itself (no flatten layer in the stack). */
export const IMPLICIT_FLATTEN = "/implicit_flatten";

export const GELU_K = Math.sqrt(2 / Math.PI);
export const GELU_C = 0.044715;

/** What toOnnx needs of a model: its spec, flat parameters and state (batch-norm running statistics). */
export interface OnnxSource {
  spec: ModelSpec;
  params: Float32Array;
  state?: Float32Array;
}

export interface OnnxExportOptions {
  /** "probabilities" (default): Softmax at the end; "logits": the output layer as it is (regression, or losses that take logits). */
  output?: "probabilities" | "logits";
  /**
   * A per-feature affine transform of the input, (x − mean) / std, written as Sub and Div at the
   * start of the graph (for models trained on normalised features). One value per input feature
   * (inputSize, in simdnet's order), or one for all.
   */
  inputTransform?: { mean: ArrayLike<number>; std: ArrayLike<number> };
  /** Graph name and doc string (default: "simdnet"). */
  name?: string;
}

const ints = (name: string, v: number[]): OnnxAttribute => ({ name, type: AT.INTS, ints: v });
const int = (name: string, v: number): OnnxAttribute => ({ name, type: AT.INT, i: v });
const float = (name: string, v: number): OnnxAttribute => ({ name, type: AT.FLOAT, f: v });

/** The ONNX model of a simdnet model, as bytes (a .onnx file). */
export function toOnnx(model: OnnxSource | { spec: ModelSpec; getParams(): Float32Array; getState?(): Float32Array }, options: OnnxExportOptions = {}): Uint8Array {
  return encodeOnnx(toOnnxModel(model, options));
}

/** The ONNX model as a message tree (what toOnnx encodes). */
export function toOnnxModel(model: OnnxSource | { spec: ModelSpec; getParams(): Float32Array; getState?(): Float32Array }, options: OnnxExportOptions = {}): OnnxModel {
  const src: OnnxSource = "params" in model ? model : { spec: model.spec, params: model.getParams(), state: model.getState?.() };
  const { spec, params } = src;
  const layout = computeLayout(spec, 1);
  if (params.length !== layout.paramCount) throw new SimdnetError(`the model has ${layout.paramCount} parameters, got ${params.length}`);
  const state = src.state ?? new Float32Array(0);
  if (state.length !== layout.stateCount)
    throw new SimdnetError(`the model has ${layout.stateCount} state values (batch-norm running statistics), got ${state.length}${state.length === 0 ? ": pass the model's state" : ""}`);

  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const init = (name: string, dims: number[], data: ArrayLike<number>): string => {
    initializers.push({ name, dims, dataType: DT_FLOAT, floats: Float32Array.from(data) });
    return name;
  };
  const scalars = new Map<number, string>();
  const scalar = (v: number): string => {
    let n = scalars.get(v);
    if (!n) scalars.set(v, (n = init(`const_${scalars.size}`, [], [v])));
    return n;
  };
  let cur = ONNX_INPUT;
  const node = (opType: string, name: string, inputs: string[], attributes: OnnxAttribute[] = [], output = name): string => {
    nodes.push({ name, opType, domain: "", inputs, outputs: [output], attributes });
    return output;
  };

  const shape = inputShapeOf(spec);
  const image = spec.layers !== undefined && shape.length === 3;
  let form: "flat" | "nhwc" | "nchw" = image ? "nhwc" : "flat";
  const inputDims: (number | string)[] = image ? ["N", ...shape] : ["N", spec.inputSize];

  if (options.inputTransform) {
    const { mean, std } = options.inputTransform;
    const D = spec.inputSize;
    const dims = (n: number) => (n === 1 ? [] : image ? [...shape] : [D]);
    for (const [what, v] of [["mean", mean], ["std", std]] as const) {
      if (v.length !== 1 && v.length !== D) throw new SimdnetError(`inputTransform.${what} has ${v.length} values; the model has ${D} input features`);
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]) || (what === "std" && v[i] === 0)) throw new SimdnetError(`inputTransform.${what}[${i}] is ${v[i]}`);
    }
    cur = node("Sub", "normalise/sub_mean", [cur, init("normalise/mean", dims(mean.length), mean)]);
    cur = node("Div", "normalise/div_std", [cur, init("normalise/std", dims(std.length), std)]);
  }

  const toNchw = (base: string) => {
    if (form === "nhwc") cur = node("Transpose", `${base}/to_nchw`, [cur], [ints("perm", [0, 3, 1, 2])]);
    form = "nchw";
  };
  const toFlat = (name: string) => {
    if (form === "nchw") cur = node("Transpose", `${name}/to_nhwc`, [cur], [ints("perm", [0, 2, 3, 1])]);
    cur = node("Flatten", name, [cur], [int("axis", 1)]);
    form = "flat";
  };
  const activation = (act: Activation | undefined, base: string) => {
    switch (act ?? "none") {
      case "none":
        return;
      case "relu":
        cur = node("Relu", `${base}/relu`, [cur]);
        return;
      case "leaky-relu":
        cur = node("LeakyRelu", `${base}/leaky_relu`, [cur], [float("alpha", LEAKY_SLOPE)]);
        return;
      case "tanh":
        cur = node("Tanh", `${base}/tanh`, [cur]);
        return;
      case "sigmoid":
        cur = node("Sigmoid", `${base}/sigmoid`, [cur]);
        return;
      case "gelu": {
        // the order of simdnet's kernel: 0.5·z·(1 + tanh(k·(z + ((c·z)·z)·z)))
        const z = cur;
        const g = `${base}/gelu`;
        const cz3 = node("Mul", `${g}/cz3`, [node("Mul", `${g}/cz2`, [node("Mul", `${g}/cz`, [z, scalar(GELU_C)]), z]), z]);
        const t = node("Tanh", `${g}/tanh`, [node("Mul", `${g}/k_inner`, [node("Add", `${g}/inner`, [z, cz3]), scalar(GELU_K)])]);
        cur = node("Mul", g, [node("Mul", `${g}/half_z`, [z, scalar(0.5)]), node("Add", `${g}/one_plus`, [t, scalar(1)])]);
        return;
      }
    }
  };

  const P = (L: LayerLayout, block: string, size: number) => params.subarray(L.params[block] - layout.params, L.params[block] - layout.params + size);
  const S = (L: LayerLayout, block: string, size: number) => state.subarray(L.state[block] - layout.state, L.state[block] - layout.state + size);
  const count: Record<string, number> = {};
  const last = layout.layers.length - 1;
  for (const L of layout.layers) {
    const cfg = L.config as LayerConfig & { activation?: Activation };
    const base = `${L.type}_${(count[L.type] = (count[L.type] ?? 0) + 1)}`;
    switch (cfg.type) {
      case "dense": {
        if (form !== "flat") toFlat(`${base}${IMPLICIT_FLATTEN}`);
        const IN = L.input.size;
        const OUT = cfg.units;
        cur = node("Gemm", L.index === last ? ONNX_LOGITS : base, [cur, init(`${base}/W`, [IN, OUT], P(L, "W", IN * OUT)), init(`${base}/b`, [OUT], P(L, "b", OUT))], [int("transB", 0)]);
        if (L.index !== last) activation(cfg.activation, base);
        break;
      }
      case "conv2d": {
        toNchw(base);
        const g = convGeometry(cfg, L.input.shape);
        const { K, C, F } = g;
        const hwio = P(L, "W", K * K * C * F);
        const oihw = new Float32Array(hwio.length);
        for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) oihw[((f * C + c) * K + kh) * K + kw] = hwio[((kh * K + kw) * C + c) * F + f];
        const padH = Math.max((g.OH - 1) * g.S + K - g.H, 0);
        const padW = Math.max((g.OW - 1) * g.S + K - g.W, 0);
        const pads = cfg.padding === "same" ? [g.padT, g.padL, padH - g.padT, padW - g.padL] : [0, 0, 0, 0];
        cur = node("Conv", base, [cur, init(`${base}/W`, [F, C, K, K], oihw), init(`${base}/b`, [F], P(L, "b", F))], [
          ints("kernel_shape", [K, K]),
          ints("strides", [g.S, g.S]),
          ints("pads", pads),
          ints("dilations", [1, 1]),
          int("group", 1),
        ]);
        activation(cfg.activation, base);
        break;
      }
      case "maxPooling2d":
      case "averagePooling2d": {
        toNchw(base);
        const attrs = [ints("kernel_shape", [cfg.poolSize, cfg.poolSize]), ints("strides", [cfg.strides ?? cfg.poolSize, cfg.strides ?? cfg.poolSize]), ints("pads", [0, 0, 0, 0])];
        cur = node(cfg.type === "maxPooling2d" ? "MaxPool" : "AveragePool", base, [cur], attrs);
        break;
      }
      case "globalAveragePooling2d":
        toNchw(base);
        cur = node("GlobalAveragePool", base, [cur]);
        cur = node("Flatten", `${base}/flatten`, [cur], [int("axis", 1)]);
        form = "flat";
        break;
      case "batchNormalization": {
        if (form !== "flat") toNchw(base);
        const C = L.input.shape[L.input.shape.length - 1];
        cur = node("BatchNormalization", base, [cur, init(`${base}/gamma`, [C], P(L, "gamma", C)), init(`${base}/beta`, [C], P(L, "beta", C)), init(`${base}/running_mean`, [C], S(L, "runMean", C)), init(`${base}/running_var`, [C], S(L, "runVar", C))], [float("epsilon", BN_EPSILON)]);
        activation(cfg.activation, base);
        break;
      }
      case "dropout":
        cur = node("Dropout", base, [cur, init(`${base}/ratio`, [], [cfg.rate])]);
        break;
      case "flatten":
        toFlat(base);
        break;
    }
  }
  let outputName = ONNX_LOGITS;
  if ((options.output ?? "probabilities") === "probabilities") outputName = node("Softmax", ONNX_PROBABILITIES, [cur], [int("axis", 1)]);
  const name = options.name ?? "simdnet";
  return {
    irVersion: ONNX_IR_VERSION,
    opsets: [{ domain: "", version: ONNX_OPSET }],
    producerName: "simdnet",
    producerVersion: "",
    docString: `${name}: input "${ONNX_INPUT}" ${image ? "[N, H, W, C] (NHWC)" : "[N, features]"} float32 ${options.inputTransform ? "raw features (normalised inside the graph)" : "pixels / 255 (or raw features)"}; output "${outputName}" [N, ${spec.outputSize}]`,
    graph: {
      name,
      nodes,
      initializers,
      inputs: [{ name: ONNX_INPUT, elemType: DT_FLOAT, dims: inputDims }],
      outputs: [{ name: outputName, elemType: DT_FLOAT, dims: ["N", spec.outputSize] }],
    },
    metadata: { "simdnet.input_layout": image ? "NHWC" : "flat", "simdnet.input_scale": options.inputTransform ? "normalised in graph" : "pixels / 255" },
  };
}
