// Import from ONNX: a graph that is a chain of the operators simdnet has layers for, as PyTorch's
// torch.onnx.export, Keras exporters and simdnet's own export write them, becomes a simdnet model
// (spec, flat parameters, batch-norm state). Layouts are converted to simdnet's: Conv weights OIHW →
// HWIO, Gemm transB = 1 → (in, out), the rows of a dense layer after an NCHW Flatten permuted to
// simdnet's channels-last flatten order. Anything else is refused with an error naming the operator
// or the attribute. See README "ONNX" for the list. Browser-safe.
import { LEAKY_SLOPE } from "../backend/activations.js";
import { SimdnetError } from "../errors.js";
import { BN_EPSILON, convAxis, type LayerConfig } from "../layers/index.js";
import { computeLayout } from "../model/arena.js";
import type { Activation, ModelSpec } from "../model/spec.js";
import { encodeModel } from "../model/format.js";
import { Model } from "../model/model.js";
import type { BackendName } from "../backend/types.js";
import { AT, DT_FLOAT, dataTypeName, decodeOnnx, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from "./onnx-proto.js";
import { GELU_C, GELU_K, IMPLICIT_FLATTEN } from "./onnx.js";

/** Opsets of the default domain the importer reads (the operators it takes are stable across them). */
export const ONNX_IMPORT_OPSETS = { min: 7, max: 23 };

export interface OnnxImported {
  spec: ModelSpec;
  params: Float32Array;
  state: Float32Array;
  /** Whether the graph ended in Softmax (probabilities) or gave the logits as they are. */
  output: "probabilities" | "logits";
  opset: number;
  producer: string;
  /** Conversions made on the way (folded epsilon, commuted activation), for the user to read. */
  notes: string[];
}

/** Elementwise operators an activation can be built from (one node, or a subgraph like GELU's). */
const ELEMENTWISE = new Set(["Relu", "LeakyRelu", "Tanh", "Sigmoid", "Gelu", "Mul", "Add", "Sub", "Div", "Pow", "Neg", "Erf", "Sqrt", "Exp"]);
/** Shape arithmetic PyTorch writes for x.view(x.size(0), -1) (and tf2onnx for Keras' Flatten): folded to constants. */
const SHAPE_OPS = new Set(["Shape", "Gather", "Slice", "Unsqueeze", "Squeeze", "Concat", "Cast"]);
const SUPPORTED =
  "Gemm, MatMul (+ Add), Conv, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Relu, LeakyRelu (alpha 0.01), Tanh, Sigmoid, GELU (tanh form), Flatten, Reshape to [N, -1], Transpose (NHWC ↔ NCHW), Dropout, Identity, Pad of zero, Softmax / LogSoftmax at the end";

type Dim = number | "N";

/** The chain's current tensor: flat features, or an image in NCHW or NHWC order. */
type Tensor =
  | { kind: "flat"; size: number; /** simdnet feature i is ONNX feature perm[i] (after an NCHW Flatten) */ perm?: Int32Array; /** [N, C, 1, 1] in ONNX after GlobalAveragePool */ gap?: boolean }
  | { kind: "image"; order: "nchw" | "nhwc"; H: number; W: number; C: number };

interface Built {
  cfg: LayerConfig & { activation?: Activation };
  params: Record<string, Float32Array>;
  state: Record<string, Float32Array>;
}

const fround = Math.fround;

/** Reads an ONNX model (bytes) as a simdnet model: spec, parameters, state. */
export function importOnnx(bytes: Uint8Array, file?: string): OnnxImported {
  return convert(decodeOnnx(bytes, file), file);
}

function convert(m: OnnxModel, file?: string): OnnxImported {
  const refuse = (message: string, field?: string) => new SimdnetError(`cannot import this ONNX model: ${message}`, { file, field });
  const g = m.graph;
  const opsetEntry = m.opsets.find((o) => o.domain === "" || o.domain === "ai.onnx");
  const opset = opsetEntry?.version ?? 0;
  if (!opsetEntry) throw refuse("it imports no opset of the default ONNX domain", "opset_import");
  if (opset < ONNX_IMPORT_OPSETS.min || opset > ONNX_IMPORT_OPSETS.max) throw refuse(`opset ${opset} (simdnet reads opsets ${ONNX_IMPORT_OPSETS.min}–${ONNX_IMPORT_OPSETS.max})`, "opset_import");
  const notes: string[] = [];

  // constants: initializers and Constant nodes
  const consts = new Map<string, OnnxTensor>();
  for (const t of g.initializers) consts.set(t.name, t);
  const nodes: OnnxNode[] = [];
  const where = (n: OnnxNode) => `${n.opType} node${n.name ? ` "${n.name}"` : ""}`;
  for (const n of g.nodes) {
    if (n.domain !== "" && n.domain !== "ai.onnx") throw refuse(`operator "${n.opType}" of domain "${n.domain}" (${where(n)}) is not a standard ONNX operator; simdnet imports ${SUPPORTED}`, "node");
    if (n.opType === "Constant") {
      const a = n.attributes[0];
      if (n.attributes.length !== 1 || !a) throw refuse(`${where(n)} has ${n.attributes.length} attributes`, "node");
      let t: OnnxTensor | undefined;
      if (a.name === "value" && a.t) t = a.t;
      else if (a.name === "value_float") t = { name: "", dims: [], dataType: DT_FLOAT, floats: Float32Array.of(a.f ?? 0) };
      else if (a.name === "value_floats") t = { name: "", dims: [a.floats?.length ?? 0], dataType: DT_FLOAT, floats: Float32Array.from(a.floats ?? []) };
      else if (a.name === "value_int") t = { name: "", dims: [], dataType: 7, ints: [a.i ?? 0] };
      else if (a.name === "value_ints") t = { name: "", dims: [a.ints?.length ?? 0], dataType: 7, ints: a.ints ?? [] };
      if (!t) throw refuse(`${where(n)}: attribute "${a.name}" is not supported`, "node");
      consts.set(n.outputs[0], { ...t, name: n.outputs[0] });
      continue;
    }
    nodes.push(n);
  }

  // the one input and the one output
  const inputs = g.inputs.filter((v) => !consts.has(v.name));
  if (inputs.length !== 1) throw refuse(`the graph has ${inputs.length} inputs (${inputs.map((v) => v.name).join(", ")}); simdnet models take one`, "graph.input");
  if (g.outputs.length !== 1) throw refuse(`the graph has ${g.outputs.length} outputs (${g.outputs.map((v) => v.name).join(", ")}); simdnet models give one`, "graph.output");
  const input = inputs[0];
  if (input.elemType !== DT_FLOAT) throw refuse(`input "${input.name}" is ${dataTypeName(input.elemType)}; simdnet takes FLOAT`, "graph.input");
  const dims = input.dims;
  if (!dims || (dims.length !== 2 && dims.length !== 4)) throw refuse(`input "${input.name}" has ${dims ? `rank ${dims.length}` : "no shape"}; simdnet takes [N, features] or [N, C, H, W] / [N, H, W, C]`, "graph.input");
  const sample = dims.slice(1);
  if (!sample.every((d) => typeof d === "number" && Number.isInteger(d) && d > 0)) throw refuse(`input "${input.name}" has dimensions [${dims.map((d) => d ?? "?").join(", ")}]: all but the batch must be fixed positive sizes`, "graph.input");
  const sd = sample as number[];

  // who reads each tensor; file order must be topological
  const consumers = new Map<string, number[]>();
  const defined = new Set<string>([input.name, ...consts.keys()]);
  nodes.forEach((n, k) => {
    for (const i of n.inputs) {
      if (i === "") continue;
      if (!defined.has(i)) throw refuse(`${where(n)} reads "${i}", which no earlier node, initializer or input defines (the graph must be a topologically sorted chain)`, "node");
      const list = consumers.get(i) ?? [];
      list.push(k);
      consumers.set(i, list);
    }
    for (const o of n.outputs) if (o !== "") defined.add(o);
  });
  const outputName = g.outputs[0].name;
  const readers = (t: string) => consumers.get(t) ?? [];

  const floatConst = (n: OnnxNode, idx: number, what: string): OnnxTensor & { floats: Float32Array } => {
    const name = n.inputs[idx];
    const t = name ? consts.get(name) : undefined;
    if (!t) throw refuse(`${where(n)}: its ${what} ("${name ?? ""}") must be a constant (an initializer)`, "node");
    if (!t.floats) throw refuse(`${where(n)}: its ${what} "${name}" is ${dataTypeName(t.dataType)}; simdnet takes FLOAT weights`, "node");
    return t as OnnxTensor & { floats: Float32Array };
  };
  const attr = (n: OnnxNode, name: string): OnnxAttribute | undefined => n.attributes.find((a) => a.name === name);
  const attrInt = (n: OnnxNode, name: string, def: number) => attr(n, name)?.i ?? def;
  const attrInts = (n: OnnxNode, name: string) => attr(n, name)?.ints;
  const known = (n: OnnxNode, names: string[]) => {
    for (const a of n.attributes) if (!names.includes(a.name)) throw refuse(`${where(n)}: attribute "${a.name}" is not supported`, `attribute ${a.name}`);
  };
  const only1 = (n: OnnxNode) => {
    for (const o of n.outputs.slice(1)) if (o !== "" && (readers(o).length || o === outputName)) throw refuse(`${where(n)}: its output "${o}" is used; simdnet takes only the first output`, "node");
  };
  const sizeOfT = (t: Tensor) => (t.kind === "flat" ? t.size : t.H * t.W * t.C);
  const onnxDims = (t: Tensor): Dim[] => (t.kind === "flat" ? (t.gap ? ["N", t.size, 1, 1] : ["N", t.size]) : t.order === "nchw" ? ["N", t.C, t.H, t.W] : ["N", t.H, t.W, t.C]);

  // the walk
  let cur = input.name;
  let t: Tensor;
  let inputShape: number[] | undefined;
  if (dims.length === 2) t = { kind: "flat", size: sd[0] };
  else {
    // NHWC when the graph transposes it to NCHW first (simdnet's and Keras' exports), else NCHW (PyTorch)
    const first = nodes.find((n) => n.inputs.includes(input.name));
    const nhwc = first?.opType === "Transpose" && sameInts(attrInts(first, "perm"), [0, 3, 1, 2]);
    t = nhwc ? { kind: "image", order: "nhwc", H: sd[0], W: sd[1], C: sd[2] } : { kind: "image", order: "nchw", C: sd[0], H: sd[1], W: sd[2] };
    inputShape = [t.H, t.W, t.C];
    if (!nhwc && t.C > 1) notes.push(`the ONNX input is NCHW [N, ${t.C}, ${t.H}, ${t.W}]; the simdnet model takes its images channels last (NHWC), as simdnet always does`);
  }
  const layers: Built[] = [];
  const shapes = new Map<string, Dim[]>();
  let output: "probabilities" | "logits" = "logits";
  let ended = false;

  const attach = (act: Activation, n: OnnxNode) => {
    const monotone = act !== "gelu";
    let through = "";
    for (let i = layers.length - 1; i >= 0; i--) {
      const L = layers[i];
      const ty = L.cfg.type;
      if (ty === "dropout" || ty === "flatten") continue;
      if (ty === "maxPooling2d" && monotone) {
        through = " (moved before the MaxPool: the two commute for a non-decreasing activation)";
        continue;
      }
      if (ty === "dense" || ty === "conv2d" || ty === "batchNormalization") {
        if ((L.cfg.activation ?? "none") !== "none") throw refuse(`${where(n)}: a second activation after layer ${i + 1} (${ty} already has ${L.cfg.activation})`, "node");
        L.cfg.activation = act;
        if (through) notes.push(`${act} after a max pool${through}`);
        return;
      }
      throw refuse(`${where(n)}: ${act} right after a ${ty} layer (simdnet puts activations on dense, conv2d and batch-norm layers)`, "node");
    }
    throw refuse(`${where(n)}: an activation on the input itself`, "node");
  };

  for (let k = 0; k < nodes.length; k++) {
    const n = nodes[k];
    if (ended) throw refuse(`${where(n)} comes after the output`, "node");
    const op = n.opType;
    const data = n.inputs[0];

    // shape arithmetic (PyTorch's x.view(x.size(0), -1)) folds to constants
    if (SHAPE_OPS.has(op) && (op !== "Cast" || shapes.has(data) || consts.get(data)?.ints)) {
      const vals = (name: string): Dim[] | undefined => shapes.get(name) ?? consts.get(name)?.ints;
      let v: Dim[] | undefined;
      if (op === "Shape") {
        if (data !== cur) throw refuse(`${where(n)} reads "${data}", which is not the chain's current tensor`, "node");
        known(n, []);
        v = onnxDims(t);
      } else if (op === "Gather") {
        const src = vals(data);
        const idx = vals(n.inputs[1]);
        if (!src || !idx || attrInt(n, "axis", 0) !== 0 || !idx.every((i) => typeof i === "number")) throw refuse(`${where(n)} is not shape arithmetic simdnet can fold`, "node");
        v = (idx as number[]).map((i) => src[i < 0 ? i + src.length : i]);
        if (v.some((x) => x === undefined)) throw refuse(`${where(n)}: index out of range`, "node");
      } else if (op === "Slice") {
        // 1-D slices of a shape (tf2onnx's Flatten): starts/ends as inputs (opset 10+) or attributes
        const src = vals(data);
        const one = (i: number, a: string) => (n.inputs[i] ? vals(n.inputs[i]) : attrInts(n, a));
        const starts = one(1, "starts");
        const ends = one(2, "ends");
        const axes = one(3, "axes");
        const steps = one(4, "steps");
        const plain = (v: Dim[] | undefined) => v === undefined || (v.length === 1 && typeof v[0] === "number");
        if (!src || !starts || !ends || !plain(starts) || !plain(ends) || !plain(axes) || !plain(steps) || (axes && axes[0] !== 0) || (steps && steps[0] !== 1))
          throw refuse(`${where(n)} is not shape arithmetic simdnet can fold`, "node");
        const clamp = (x: number) => Math.max(0, Math.min(src.length, x < 0 ? x + src.length : x));
        v = src.slice(clamp(starts[0] as number), clamp(ends[0] as number));
      } else if (op === "Concat") {
        const parts = n.inputs.map(vals);
        if (parts.some((p) => !p)) throw refuse(`${where(n)} is not shape arithmetic simdnet can fold (it joins tensors, not shapes)`, "node");
        v = parts.flat() as Dim[];
      } else v = vals(data); // Unsqueeze, Squeeze, Cast of a shape: the values stay
      if (!v) throw refuse(`${where(n)} is not shape arithmetic simdnet can fold`, "node");
      shapes.set(n.outputs[0], v);
      continue;
    }

    if (!n.inputs.includes(cur)) throw refuse(`${where(n)} is not on the chain (it does not read "${cur}"); simdnet imports a chain of layers, without branches`, "node");
    const others = readers(cur).filter((r) => r !== k && nodes[r].opType !== "Shape");
    if (others.length && (!ELEMENTWISE.has(op) || others.some((r) => !ELEMENTWISE.has(nodes[r].opType))))
      throw refuse(`the graph branches at "${cur}" (read by ${[k, ...others].map((r) => where(nodes[r])).join(", ")}); simdnet imports a chain without branches or residual connections`, "node");
    if (data !== cur && !ELEMENTWISE.has(op)) throw refuse(`${where(n)}: the chain's tensor "${cur}" must be its first input`, "node");

    const dense = (W: Float32Array, IN: number, OUT: number, bias: Float32Array | null) => {
      if (t.kind !== "flat" || t.gap) throw refuse(`${where(n)} on a ${onnxDims(t).length}-D tensor [${onnxDims(t).join(", ")}]: Flatten it first`, "node");
      if (IN !== t.size) throw refuse(`${where(n)}: weights for ${IN} inputs, the tensor has ${t.size} features`, "node");
      const perm = t.perm;
      const w = new Float32Array(IN * OUT);
      if (perm) for (let i = 0; i < IN; i++) w.set(W.subarray(perm[i] * OUT, perm[i] * OUT + OUT), i * OUT);
      else w.set(W);
      let b = bias ?? new Float32Array(OUT);
      // a following Add of a constant vector is the bias (MatMul + Add, or a Gemm without C)
      const next = nodes[k + 1];
      if (next && next.opType === "Add" && readers(n.outputs[0]).length === 1 && next.inputs.includes(n.outputs[0])) {
        const other = next.inputs[0] === n.outputs[0] ? next.inputs[1] : next.inputs[0];
        const c = consts.get(other);
        if (c?.floats && (c.floats.length === OUT || c.floats.length === 1) && c.dims.length <= 2) {
          const add = c.floats;
          b = Float32Array.from(b, (v, o) => (bias ? fround(v + add[add.length === 1 ? 0 : o]) : add[add.length === 1 ? 0 : o]));
          k++;
          cur = next.outputs[0];
        }
      }
      layers.push({ cfg: { type: "dense", units: OUT, activation: "none" }, params: { W: w, b }, state: {} });
      t = { kind: "flat", size: OUT };
    };

    switch (op) {
      case "Gemm": {
        known(n, ["alpha", "beta", "transA", "transB"]);
        if (attrInt(n, "transA", 0) !== 0) throw refuse(`${where(n)}: transA=1 is not supported`, "attribute transA");
        const transB = attrInt(n, "transB", 0);
        const alpha = attr(n, "alpha")?.f ?? 1;
        const beta = attr(n, "beta")?.f ?? 1;
        const B = floatConst(n, 1, "weight B");
        if (B.dims.length !== 2) throw refuse(`${where(n)}: weight B has shape [${B.dims.join(", ")}]`, "node");
        const [IN, OUT] = transB ? [B.dims[1], B.dims[0]] : [B.dims[0], B.dims[1]];
        let W = B.floats;
        if (transB) {
          W = new Float32Array(IN * OUT);
          for (let o = 0; o < OUT; o++) for (let i = 0; i < IN; i++) W[i * OUT + o] = B.floats[o * IN + i];
        }
        if (alpha !== 1) W = Float32Array.from(W, (v) => v * alpha);
        let bias: Float32Array | null = null;
        if (n.inputs[2]) {
          const C = floatConst(n, 2, "bias C");
          if (C.floats.length !== OUT && C.floats.length !== 1) throw refuse(`${where(n)}: bias C has shape [${C.dims.join(", ")}], expected [${OUT}]`, "node");
          bias = Float32Array.from({ length: OUT }, (_, o) => C.floats[C.floats.length === 1 ? 0 : o] * beta);
        }
        cur = n.outputs[0];
        dense(W, IN, OUT, bias);
        break;
      }
      case "MatMul": {
        known(n, []);
        const B = floatConst(n, 1, "weight");
        if (B.dims.length !== 2) throw refuse(`${where(n)}: weight has shape [${B.dims.join(", ")}]`, "node");
        cur = n.outputs[0];
        dense(B.floats, B.dims[0], B.dims[1], null);
        break;
      }
      case "Conv": {
        known(n, ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"]);
        if (t.kind !== "image" || t.order !== "nchw") throw refuse(`${where(n)} on a tensor of shape [${onnxDims(t).join(", ")}]: Conv takes NCHW images`, "node");
        const Wt = floatConst(n, 1, "weight");
        if (Wt.dims.length !== 4) throw refuse(`${where(n)}: weight has shape [${Wt.dims.join(", ")}]; simdnet takes 2-D convolutions`, "node");
        const [F, C, KH, KW] = Wt.dims;
        if (attrInt(n, "group", 1) !== 1) throw refuse(`${where(n)}: group=${attrInt(n, "group", 1)} (grouped or depthwise convolution) is not supported`, "attribute group");
        if (C !== t.C) throw refuse(`${where(n)}: weight for ${C} input channels, the tensor has ${t.C}`, "node");
        if (KH !== KW) throw refuse(`${where(n)}: kernel ${KH}×${KW}; simdnet's conv kernels are square`, "attribute kernel_shape");
        const K = KH;
        const ks = attrInts(n, "kernel_shape");
        if (ks && !sameInts(ks, [K, K])) throw refuse(`${where(n)}: kernel_shape [${ks.join(", ")}] does not match the weight`, "attribute kernel_shape");
        const dil = attrInts(n, "dilations");
        if (dil && !dil.every((d) => d === 1)) throw refuse(`${where(n)}: dilations [${dil.join(", ")}] are not supported`, "attribute dilations");
        const st = attrInts(n, "strides") ?? [1, 1];
        if (st.length !== 2 || st[0] !== st[1]) throw refuse(`${where(n)}: strides [${st.join(", ")}]; simdnet takes equal strides`, "attribute strides");
        const S = st[0];
        const padding = convPadding(n, t.H, t.W, K, S, refuse, where);
        const bias = n.inputs[2] ? floatConst(n, 2, "bias").floats : new Float32Array(F);
        if (bias.length !== F) throw refuse(`${where(n)}: bias of ${bias.length} values for ${F} filters`, "node");
        const hwio = new Float32Array(K * K * C * F);
        for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) hwio[((kh * K + kw) * C + c) * F + f] = Wt.floats[((f * C + c) * K + kh) * K + kw];
        layers.push({ cfg: { type: "conv2d", filters: F, kernelSize: K, strides: S, padding, activation: "none" }, params: { W: hwio, b: Float32Array.from(bias) }, state: {} });
        const r = convAxis(t.H, K, S, padding);
        const c = convAxis(t.W, K, S, padding);
        if (r.out < 1 || c.out < 1) throw refuse(`${where(n)}: kernel ${K}×${K} is larger than its input ${t.H}×${t.W}`, "node");
        t = { kind: "image", order: "nchw", H: r.out, W: c.out, C: F };
        cur = n.outputs[0];
        break;
      }
      case "MaxPool":
      case "AveragePool": {
        known(n, ["kernel_shape", "strides", "pads", "auto_pad", "ceil_mode", "dilations", "storage_order", "count_include_pad"]);
        only1(n);
        if (t.kind !== "image" || t.order !== "nchw") throw refuse(`${where(n)} on a tensor of shape [${onnxDims(t).join(", ")}]: pooling takes NCHW images`, "node");
        const ks = attrInts(n, "kernel_shape") ?? [];
        if (ks.length !== 2 || ks[0] !== ks[1]) throw refuse(`${where(n)}: kernel_shape [${ks.join(", ")}]; simdnet's pooling windows are square`, "attribute kernel_shape");
        const P = ks[0];
        const st = attrInts(n, "strides") ?? [1, 1];
        if (st.length !== 2 || st[0] !== st[1]) throw refuse(`${where(n)}: strides [${st.join(", ")}]; simdnet takes equal strides`, "attribute strides");
        const S = st[0];
        const pads = attrInts(n, "pads");
        if (pads && pads.some((p) => p !== 0)) throw refuse(`${where(n)}: pads [${pads.join(", ")}]; simdnet's pooling has no padding`, "attribute pads");
        const ap = attr(n, "auto_pad")?.s ?? "NOTSET";
        if (ap !== "NOTSET" && ap !== "VALID") throw refuse(`${where(n)}: auto_pad ${ap}; simdnet's pooling has no padding`, "attribute auto_pad");
        const dil = attrInts(n, "dilations");
        if (dil && !dil.every((d) => d === 1)) throw refuse(`${where(n)}: dilations [${dil.join(", ")}] are not supported`, "attribute dilations");
        if (attrInt(n, "storage_order", 0) !== 0) throw refuse(`${where(n)}: storage_order=1 is not supported`, "attribute storage_order");
        if (t.H < P || t.W < P) throw refuse(`${where(n)}: pool ${P}×${P} is larger than its input ${t.H}×${t.W}`, "node");
        if (attrInt(n, "ceil_mode", 0) !== 0 && ((t.H - P) % S !== 0 || (t.W - P) % S !== 0)) throw refuse(`${where(n)}: ceil_mode=1 adds a partial window here (input ${t.H}×${t.W}, pool ${P}, stride ${S}); simdnet drops it`, "attribute ceil_mode");
        layers.push({ cfg: { type: op === "MaxPool" ? "maxPooling2d" : "averagePooling2d", poolSize: P, strides: S }, params: {}, state: {} });
        t = { kind: "image", order: "nchw", H: Math.floor((t.H - P) / S) + 1, W: Math.floor((t.W - P) / S) + 1, C: t.C };
        cur = n.outputs[0];
        break;
      }
      case "GlobalAveragePool":
        known(n, []);
        if (t.kind !== "image" || t.order !== "nchw") throw refuse(`${where(n)} on a tensor of shape [${onnxDims(t).join(", ")}]: it takes NCHW images`, "node");
        layers.push({ cfg: { type: "globalAveragePooling2d" }, params: {}, state: {} });
        t = { kind: "flat", size: t.C, gap: true };
        cur = n.outputs[0];
        break;
      case "BatchNormalization": {
        known(n, ["epsilon", "momentum", "spatial", "training_mode", "is_test", "consumed_inputs"]);
        only1(n);
        if (attrInt(n, "training_mode", 0) !== 0) throw refuse(`${where(n)}: training_mode=1 (export the model in eval mode)`, "attribute training_mode");
        if (attrInt(n, "spatial", 1) !== 1) throw refuse(`${where(n)}: spatial=0 is not supported`, "attribute spatial");
        if (t.kind === "image" && t.order !== "nchw") throw refuse(`${where(n)} on an NHWC tensor (ONNX normalises axis 1)`, "node");
        const C = t.kind === "image" ? t.C : t.size;
        const get = (i: number, what: string) => {
          const v = floatConst(n, i, what).floats;
          if (v.length !== C) throw refuse(`${where(n)}: ${what} has ${v.length} values for ${C} channels`, "node");
          return t.kind === "flat" && t.perm ? Float32Array.from(t.perm, (p) => v[p]) : Float32Array.from(v);
        };
        const gamma = get(1, "scale");
        const beta = get(2, "bias");
        const mean = get(3, "mean");
        let variance = get(4, "var");
        const eps = attr(n, "epsilon")?.f ?? 1e-5;
        if (fround(eps) !== fround(BN_EPSILON)) {
          // var + eps is what is used: move the difference into the variance
          variance = Float32Array.from(variance, (v) => v + (eps - BN_EPSILON));
          if (variance.some((v) => !(v + BN_EPSILON > 0))) throw refuse(`${where(n)}: epsilon=${eps} cannot be folded into the variance (simdnet's epsilon is 1e-5)`, "attribute epsilon");
          notes.push(`${where(n)}: epsilon ${eps} folded into the running variance (simdnet uses 1e-5)`);
        }
        layers.push({ cfg: { type: "batchNormalization", activation: "none" }, params: { gamma, beta }, state: { runMean: mean, runVar: variance } });
        cur = n.outputs[0];
        break;
      }
      case "Dropout": {
        known(n, ["ratio", "seed", "is_test"]);
        only1(n);
        let rate = attr(n, "ratio")?.f ?? 0.5;
        if (n.inputs[1]) rate = floatConst(n, 1, "ratio").floats[0];
        if (n.inputs[2]) {
          const tm = consts.get(n.inputs[2]);
          if (!tm || (tm.ints?.[0] ?? 1) !== 0) throw refuse(`${where(n)}: training_mode must be a constant false`, "node");
        }
        if (!(rate >= 0 && rate < 1)) throw refuse(`${where(n)}: ratio ${rate}`, "node");
        layers.push({ cfg: { type: "dropout", rate: fround(rate) === fround(Number(rate.toPrecision(7))) ? Number(rate.toPrecision(7)) : rate }, params: {}, state: {} });
        cur = n.outputs[0];
        break;
      }
      case "Identity":
        cur = n.outputs[0];
        break;
      case "Pad": {
        // PyTorch writes a zero Pad before AveragePool: taken as the identity, any other padding refused
        known(n, ["mode", "pads", "value"]);
        const pads = n.inputs[1] ? consts.get(n.inputs[1])?.ints : attrInts(n, "pads");
        if (!pads || pads.some((p) => p !== 0)) throw refuse(`${where(n)}: pads [${pads?.join(", ") ?? "computed"}]; simdnet takes only a Pad that adds nothing`, "attribute pads");
        cur = n.outputs[0];
        break;
      }
      case "Flatten":
      case "Reshape": {
        let target: Dim[] | undefined;
        if (op === "Flatten") {
          known(n, ["axis"]);
          const axis = attrInt(n, "axis", 1);
          if (axis !== 1) throw refuse(`${where(n)}: axis=${axis}; simdnet flattens everything but the batch (axis=1)`, "attribute axis");
        } else {
          known(n, ["allowzero"]);
          target = shapes.get(n.inputs[1]) ?? consts.get(n.inputs[1])?.ints;
          if (!target) throw refuse(`${where(n)}: its shape "${n.inputs[1]}" is neither a constant nor shape arithmetic simdnet can fold`, "node");
        }
        const D = sizeOfT(t);
        if (target && target.length === 4 && layers.length === 0 && t.kind === "flat" && !t.perm) {
          // flat input reshaped to an image at the graph start (an MNIST model that takes [N, 784])
          const d = target.slice(1).map((x) => (x === -1 ? -1 : x));
          const known3 = d.filter((x) => x !== -1);
          if (!d.every((x) => typeof x === "number") || known3.length < 2) throw refuse(`${where(n)}: shape [${target.join(", ")}]`, "node");
          const prod = (known3 as number[]).reduce((a, b) => a * b, 1);
          const full = d.map((x) => (x === -1 ? D / prod : x)) as number[];
          if (full.reduce((a, b) => a * b, 1) !== D || !full.every((x) => Number.isInteger(x) && x > 0)) throw refuse(`${where(n)}: shape [${target.join(", ")}] does not hold ${D} features`, "node");
          const nextOp = nodes[k + 1]?.opType === "Transpose" ? sameInts(attrInts(nodes[k + 1], "perm"), [0, 3, 1, 2]) : false;
          if (nextOp) t = { kind: "image", order: "nhwc", H: full[0], W: full[1], C: full[2] };
          else if (full[0] === 1) t = { kind: "image", order: "nchw", C: 1, H: full[1], W: full[2] };
          else throw refuse(`${where(n)}: a flat input reshaped to NCHW [N, ${full.join(", ")}] with ${full[0]} channels; simdnet's flat order is channels last: reshape to NHWC (then Transpose) instead`, "node");
          inputShape = [t.H, t.W, t.C];
          cur = n.outputs[0];
          break;
        }
        if (target) {
          const ok = target.length === 2 && (target[0] === "N" || target[0] === 0 || target[0] === -1 || target[0] === dims[0]) && (target[1] === -1 || target[1] === D) && !(target[0] === -1 && target[1] === -1);
          if (!ok) throw refuse(`${where(n)}: shape [${target.map((x) => (x === "N" ? "batch" : x)).join(", ")}]; simdnet takes a Reshape to [N, -1] (a flatten)`, "node");
        }
        const implicit = n.name.endsWith(IMPLICIT_FLATTEN);
        if (t.kind === "image") {
          if (t.order === "nchw" && t.C > 1 && (t.H > 1 || t.W > 1)) {
            const { H, W, C } = t;
            const perm = new Int32Array(H * W * C);
            for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) perm[(h * W + w) * C + c] = (c * H + h) * W + w;
            if (!implicit) layers.push({ cfg: { type: "flatten" }, params: {}, state: {} });
            t = { kind: "flat", size: D, perm };
          } else {
            if (!implicit) layers.push({ cfg: { type: "flatten" }, params: {}, state: {} });
            t = { kind: "flat", size: D };
          }
        } else if (t.gap) t = { kind: "flat", size: t.size };
        else if (op === "Flatten" && !implicit) layers.push({ cfg: { type: "flatten" }, params: {}, state: {} });
        cur = n.outputs[0];
        break;
      }
      case "Transpose": {
        known(n, ["perm"]);
        const perm = attrInts(n, "perm");
        if (t.kind === "image" && t.order === "nhwc" && sameInts(perm, [0, 3, 1, 2])) t = { ...t, order: "nchw" };
        else if (t.kind === "image" && t.order === "nchw" && sameInts(perm, [0, 2, 3, 1])) t = { ...t, order: "nhwc" };
        else if (t.kind === "flat" && !t.gap && sameInts(perm, [0, 1])) {
          /* identity */
        } else throw refuse(`${where(n)}: perm [${perm?.join(", ") ?? "reversed"}] on a tensor [${onnxDims(t).join(", ")}]; simdnet takes only NHWC ↔ NCHW transposes`, "attribute perm");
        cur = n.outputs[0];
        break;
      }
      case "Softmax":
      case "LogSoftmax": {
        known(n, ["axis"]);
        const axis = attrInt(n, "axis", opset >= 13 ? -1 : 1);
        if (t.kind !== "flat" || t.gap || (axis !== 1 && axis !== -1)) throw refuse(`${where(n)}: softmax over axis ${axis} of [${onnxDims(t).join(", ")}]; simdnet's softmax is over the classes of [N, classes]`, "attribute axis");
        if (n.outputs[0] !== outputName) throw refuse(`${where(n)} is not the last node (a softmax is only taken at the output)`, "node");
        output = "probabilities";
        cur = n.outputs[0];
        ended = true;
        break;
      }
      default: {
        if (!ELEMENTWISE.has(op)) throw refuse(`operator "${op}" (${where(n)}) is not supported; simdnet imports chains of ${SUPPORTED}`, "node");
        const { act, end, last } = matchActivation(nodes, k, cur, consts, readers, outputName, refuse, where);
        if (t.kind === "flat" && t.gap) throw refuse(`${where(n)}: ${act} after a global average pool (simdnet puts activations on dense, conv2d and batch-norm layers)`, "node");
        attach(act, n);
        k = end;
        cur = last;
        break;
      }
    }
  }
  if (cur !== outputName) throw refuse(`the chain ends at "${cur}", not at the graph output "${outputName}"`, "graph.output");

  // the stack: hidden layers, then the output dense layer (linear logits)
  const out = layers[layers.length - 1];
  if (!out || out.cfg.type !== "dense") throw refuse(`the model must end in a dense layer (Gemm or MatMul) giving the logits${out ? `, it ends in ${out.cfg.type}` : ""}`, "graph.output");
  if ((out.cfg.activation ?? "none") !== "none") throw refuse(`the output layer ends in ${out.cfg.activation}; simdnet's output layer gives logits (optionally followed by Softmax)`, "graph.output");
  const hidden = layers.slice(0, -1);
  const inputSize = dims.length === 2 ? sd[0] : sd[0] * sd[1] * sd[2];
  const acts = hidden.map((L) => L.cfg.activation).filter((a): a is Activation => a !== undefined && a !== "none");
  const mlp = !inputShape && hidden.every((L) => L.cfg.type === "dense" && L.cfg.activation !== "none" && L.cfg.activation === hidden[0].cfg.activation);
  const spec: ModelSpec = mlp
    ? { inputSize, hidden: hidden.map((L) => (L.cfg as { units: number }).units), outputSize: (out.cfg as { units: number }).units, activation: hidden[0]?.cfg.activation ?? "relu" }
    : { inputSize, ...(inputShape ? { inputShape } : {}), hidden: [], layers: hidden.map((L) => L.cfg), outputSize: (out.cfg as { units: number }).units, activation: acts[0] ?? "relu" };
  let layout;
  try {
    layout = computeLayout(spec, 1);
  } catch (e) {
    if (e instanceof SimdnetError) throw refuse(`the graph maps to a simdnet stack that is not possible: ${e.message}`, "node");
    throw e;
  }
  const params = new Float32Array(layout.paramCount);
  const state = new Float32Array(layout.stateCount);
  layout.layers.forEach((L, i) => {
    const b = layers[i];
    for (const [name, at] of Object.entries(L.params)) params.set(b.params[name], at - layout.params);
    for (const [name, at] of Object.entries(L.state)) state.set(b.state[name], at - layout.state);
  });
  for (let i = 0; i < params.length; i++) if (!Number.isFinite(params[i])) throw refuse(`a non-finite weight (${params[i]} at parameter ${i})`, "initializer");
  for (let i = 0; i < state.length; i++) if (!Number.isFinite(state[i])) throw refuse(`a non-finite batch-norm statistic (${state[i]})`, "initializer");
  return { spec, params, state, output, opset, producer: [m.producerName, m.producerVersion].filter(Boolean).join(" "), notes };
}

function sameInts(a: number[] | undefined, b: number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The Conv's padding as simdnet's "valid" or TF's "same" (the odd pixel last), or a refusal naming pads/auto_pad. */
function convPadding(n: OnnxNode, H: number, W: number, K: number, S: number, refuse: (m: string, f?: string) => SimdnetError, where: (n: OnnxNode) => string): "valid" | "same" {
  const ap = n.attributes.find((a) => a.name === "auto_pad")?.s ?? "NOTSET";
  const same = (n: number) => {
    const total = Math.max((Math.ceil(n / S) - 1) * S + K - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [t, b] = same(H);
  const [l, r] = same(W);
  if (ap === "VALID") return "valid";
  if (ap === "SAME_UPPER") return "same";
  if (ap === "SAME_LOWER") {
    if (t === b && l === r) return "same";
    throw refuse(`${where(n)}: auto_pad SAME_LOWER puts the odd pixel of padding first; simdnet's 'same' puts it last`, "attribute auto_pad");
  }
  if (ap !== "NOTSET") throw refuse(`${where(n)}: auto_pad ${ap}`, "attribute auto_pad");
  const pads = n.attributes.find((a) => a.name === "pads")?.ints ?? [0, 0, 0, 0];
  if (pads.length !== 4) throw refuse(`${where(n)}: pads [${pads.join(", ")}]`, "attribute pads");
  if (pads.every((p) => p === 0)) return "valid";
  if (pads[0] === t && pads[1] === l && pads[2] === b && pads[3] === r) return "same";
  throw refuse(
    `${where(n)}: pads [${pads.join(", ")}] on a ${H}×${W} input with kernel ${K} and stride ${S}; simdnet takes no padding or TF's 'same' padding, which here is [${t}, ${l}, ${b}, ${r}]`,
    "attribute pads",
  );
}

// ---------- activations: one node, or an elementwise subgraph evaluated and recognised ----------

const SQRT_HALF = Math.SQRT1_2;
function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7): enough to tell the erf GELU from the tanh one (~1e-3 apart)
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  return Math.sign(x) * (1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a));
}

const CANDIDATES: [Activation | "erf-gelu" | "identity", (z: number) => number][] = [
  ["relu", (z) => (z > 0 ? z : 0)],
  ["leaky-relu", (z) => (z > 0 ? z : z * fround(LEAKY_SLOPE))],
  ["tanh", Math.tanh],
  ["sigmoid", (z) => 1 / (1 + Math.exp(-z))],
  ["gelu", (z) => 0.5 * z * (1 + Math.tanh(GELU_K * (z + GELU_C * z * z * z)))],
  ["erf-gelu", (z) => 0.5 * z * (1 + erf(z * SQRT_HALF))],
  ["identity", (z) => z],
];
const PROBES = Array.from({ length: 161 }, (_, i) => -8 + i * 0.1).concat([-0.013, 0.017, 0.5, -0.5, 1e-3, -1e-3, 2.25, -3.75]);

function matchActivation(
  nodes: OnnxNode[],
  k: number,
  z: string,
  consts: Map<string, OnnxTensor>,
  readers: (t: string) => number[],
  outputName: string,
  refuse: (m: string, f?: string) => SimdnetError,
  where: (n: OnnxNode) => string,
): { act: Activation; end: number; last: string } {
  const first = nodes[k];
  // one node: checked by its attributes, so a refusal can name them
  const single = readers(z).length === 1 && first.inputs.length === 1;
  if (single) {
    const a = (name: string) => first.attributes.find((x) => x.name === name);
    switch (first.opType) {
      case "Relu":
      case "Tanh":
      case "Sigmoid":
        if (first.attributes.length) throw refuse(`${where(first)}: attribute "${first.attributes[0].name}" is not supported`, `attribute ${first.attributes[0].name}`);
        return { act: first.opType === "Relu" ? "relu" : first.opType === "Tanh" ? "tanh" : "sigmoid", end: k, last: first.outputs[0] };
      case "LeakyRelu": {
        const alpha = a("alpha")?.f ?? 0.01;
        if (fround(alpha) !== fround(LEAKY_SLOPE)) throw refuse(`${where(first)}: alpha=${alpha}; simdnet's leaky-relu has slope 0.01`, "attribute alpha");
        return { act: "leaky-relu", end: k, last: first.outputs[0] };
      }
      case "Gelu": {
        const ap = a("approximate")?.s ?? "none";
        if (ap !== "tanh") throw refuse(`${where(first)}: approximate="${ap}" is the exact (erf) GELU; simdnet's gelu is the tanh approximation (export with approximate="tanh")`, "attribute approximate");
        return { act: "gelu", end: k, last: first.outputs[0] };
      }
    }
  }
  // a subgraph: consecutive elementwise nodes from z, with scalar constants, until one tensor carries it all
  const inRegion = new Set<string>([z]);
  const regionNodes = new Set<number>();
  let j = k;
  const scalarOf = (name: string): number | undefined => {
    const c = consts.get(name);
    const v = c?.floats ?? c?.ints;
    return v && v.length === 1 ? Number(v[0]) : undefined;
  };
  for (; ; j++) {
    const n = nodes[j];
    if (!n || !ELEMENTWISE.has(n.opType) || !n.inputs.some((i) => inRegion.has(i)))
      throw refuse(`the elementwise nodes from ${where(first)} do not form one activation simdnet has (relu, leaky-relu, tanh, sigmoid, gelu)${n ? `: ${where(n)} breaks the pattern` : ""}`, "node");
    for (const i of n.inputs) if (i !== "" && !inRegion.has(i) && scalarOf(i) === undefined) throw refuse(`${where(n)}: its input "${i}" is neither the activation's own tensor nor a scalar constant (${consts.has(i) ? "a constant of shape [" + consts.get(i)!.dims.join(", ") + "]" : "another tensor"}); only activations are taken from elementwise operators`, "node");
    if (n.outputs.length !== 1) throw refuse(`${where(n)} has ${n.outputs.length} outputs`, "node");
    regionNodes.add(j);
    inRegion.add(n.outputs[0]);
    const y = n.outputs[0];
    const closed = [...inRegion].every((tn) => tn === y || (tn !== outputName && readers(tn).every((r) => regionNodes.has(r))));
    if (closed) break;
    if (j - k > 64) throw refuse(`the elementwise nodes from ${where(first)} do not form one activation`, "node");
  }
  // evaluate the subgraph on probe values (float64) and compare with simdnet's activations; a trailing
  // scalar step (PyTorch's "· 0.5" after x·(1 + erf/tanh(…))) extends it until it matches
  const vals = new Map<string, Float64Array>();
  vals.set(z, Float64Array.from(PROBES));
  const get = (name: string): Float64Array => vals.get(name) ?? new Float64Array(PROBES.length).fill(scalarOf(name)!);
  const evaluate = (i: number) => {
    const n = nodes[i];
    const A = get(n.inputs[0]);
    const B = n.inputs[1] ? get(n.inputs[1]) : A;
    const out = new Float64Array(PROBES.length);
    const f = n.attributes.find((x) => x.name === "alpha")?.f;
    for (let p = 0; p < PROBES.length; p++) {
      const a = A[p];
      const b = B[p];
      switch (n.opType) {
        case "Relu": out[p] = a > 0 ? a : 0; break;
        case "LeakyRelu": out[p] = a > 0 ? a : a * (f ?? 0.01); break;
        case "Tanh": out[p] = Math.tanh(a); break;
        case "Sigmoid": out[p] = 1 / (1 + Math.exp(-a)); break;
        case "Gelu": out[p] = n.attributes.find((x) => x.name === "approximate")?.s === "tanh" ? 0.5 * a * (1 + Math.tanh(GELU_K * (a + GELU_C * a * a * a))) : 0.5 * a * (1 + erf(a * SQRT_HALF)); break;
        case "Mul": out[p] = a * b; break;
        case "Add": out[p] = a + b; break;
        case "Sub": out[p] = a - b; break;
        case "Div": out[p] = a / b; break;
        case "Pow": out[p] = Math.pow(a, b); break;
        case "Neg": out[p] = -a; break;
        case "Erf": out[p] = erf(a); break;
        case "Sqrt": out[p] = Math.sqrt(a); break;
        case "Exp": out[p] = Math.exp(a); break;
      }
    }
    vals.set(n.outputs[0], out);
  };
  for (let i = k; i <= j; i++) evaluate(i);
  for (;;) {
    const last = nodes[j].outputs[0];
    const y = vals.get(last)!;
    const close = (fn: (z: number) => number, tol: number) => PROBES.every((z, p) => Math.abs(y[p] - fn(z)) <= tol * (1 + Math.abs(fn(z))));
    for (const [name, fn] of CANDIDATES) {
      if (!close(fn, 2e-6)) continue;
      if (name === "erf-gelu") throw refuse(`the nodes from ${where(first)} compute the exact (erf) GELU; simdnet's gelu is the tanh approximation (up to 1e-3 away): export the model with GELU(approximate="tanh")`, "node");
      if (name === "identity") throw refuse(`the nodes from ${where(first)} compute the identity; remove them`, "node");
      return { act: name, end: j, last };
    }
    const next = nodes[j + 1];
    const extends_ = next && ELEMENTWISE.has(next.opType) && last !== outputName && readers(last).length === 1 && readers(last)[0] === j + 1 && next.outputs.length === 1 && next.inputs.every((i) => i === last || scalarOf(i) !== undefined);
    if (!extends_ || j - k > 64) break;
    j++;
    regionNodes.add(j);
    evaluate(j);
  }
  const span = [...regionNodes].map((i) => nodes[i].opType).join(", ");
  throw refuse(`the elementwise nodes from ${where(first)} (${span}) compute a function that is not one of simdnet's activations (relu, leaky-relu 0.01, tanh, sigmoid, gelu in its tanh form)${nodes[k].opType === "Sub" || nodes[k].opType === "Div" ? "; an input normalisation ((x − mean) / std) is not imported: normalise the data before simdnet" : ""}`, "node");
}

/** Reads an ONNX model (bytes) as a simdnet Model, ready to predict, evaluate, fine-tune (fit) or save. */
export function fromOnnx(bytes: Uint8Array, options: { backend?: BackendName; file?: string } = {}): Model {
  const r = importOnnx(bytes, options.file);
  const extra = { createdAt: new Date().toISOString(), imported: { format: "onnx", producer: r.producer || null, opset: r.opset, output: r.output, notes: r.notes } };
  return Model.fromBytes(encodeModel(r.spec, r.params, extra, r.state), options);
}
