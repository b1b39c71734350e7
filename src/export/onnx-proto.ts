// The ONNX messages simdnet reads and writes (onnx.proto, proto2 field numbers): ModelProto,
// OperatorSetIdProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto,
// TypeProto(.Tensor), TensorShapeProto(.Dimension), StringStringEntryProto. Fields simdnet has no use
// for (training info, functions, sparse tensors, subgraphs in attributes) are skipped when read and
// never written. Browser-safe.
import { SimdnetError } from "../errors.js";
import { Reader, Writer, WIRE_LEN, WIRE_VARINT, type Field } from "./protobuf.js";

/** TensorProto.DataType values simdnet reads. */
export const DT_FLOAT = 1;
export const DT_INT32 = 6;
export const DT_INT64 = 7;
export const DT_DOUBLE = 11;
const DT_NAMES: Record<number, string> = { 0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64", 8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 16: "BFLOAT16" };
export const dataTypeName = (t: number): string => DT_NAMES[t] ?? `type ${t}`;

/** AttributeProto.AttributeType. */
export const AT = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8, TENSORS: 9, GRAPHS: 10 } as const;

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  /** FLOAT / DOUBLE as float32 (doubles rounded), INT32 / INT64 as numbers. */
  floats?: Float32Array;
  ints?: number[];
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
  strings?: string[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

/** A graph input or output: element type and dims (a number, a symbolic name, or null when unknown). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  /** null when the value has no tensor shape. */
  dims: (number | string | null)[] | null;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString: string;
  graph: OnnxGraph;
  metadata: Record<string, string>;
}

// ---------- writing ----------

function tensorMsg(t: OnnxTensor): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  if (t.dataType === DT_FLOAT) {
    const f = t.floats!;
    const raw = new Uint8Array(f.length * 4);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < f.length; i++) dv.setFloat32(i * 4, f[i], true);
    w.bytes(9, raw);
  } else if (t.dataType === DT_INT64) {
    const p = new Writer();
    for (const v of t.ints!) p.varint(v);
    w.bytes(7, p.finish()); // int64_data, packed
  } else throw new RangeError(`writing ${dataTypeName(t.dataType)} tensors is not implemented`);
  return w;
}

function attributeMsg(a: OnnxAttribute): Writer {
  const w = new Writer().string(1, a.name).int(20, a.type);
  switch (a.type) {
    case AT.FLOAT:
      w.float(2, a.f!);
      break;
    case AT.INT:
      w.int(3, a.i!);
      break;
    case AT.STRING:
      w.string(4, a.s!);
      break;
    case AT.TENSOR:
      w.message(5, tensorMsg(a.t!));
      break;
    case AT.FLOATS:
      for (const v of a.floats!) w.float(7, v);
      break;
    case AT.INTS:
      for (const v of a.ints!) w.int(8, v);
      break;
    default:
      throw new RangeError(`writing attribute type ${a.type} is not implemented`);
  }
  return w;
}

function valueInfoMsg(v: OnnxValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.dims ?? []) {
    const dim = new Writer();
    if (typeof d === "number") dim.int(1, d);
    else if (typeof d === "string") dim.string(2, d);
    shape.message(1, dim);
  }
  const tensor = new Writer().int(1, v.elemType);
  if (v.dims) tensor.message(2, shape);
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensor));
}

export function encodeOnnx(m: OnnxModel): Uint8Array {
  const g = new Writer();
  for (const n of m.graph.nodes) {
    const w = new Writer();
    for (const i of n.inputs) w.string(1, i);
    for (const o of n.outputs) w.string(2, o);
    if (n.name) w.string(3, n.name);
    w.string(4, n.opType);
    for (const a of n.attributes) w.message(5, attributeMsg(a));
    if (n.domain) w.string(7, n.domain);
    g.message(1, w);
  }
  g.string(2, m.graph.name);
  for (const t of m.graph.initializers) g.message(5, tensorMsg(t));
  for (const v of m.graph.inputs) g.message(11, valueInfoMsg(v));
  for (const v of m.graph.outputs) g.message(12, valueInfoMsg(v));
  const w = new Writer().int(1, m.irVersion);
  if (m.producerName) w.string(2, m.producerName);
  if (m.producerVersion) w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, g);
  for (const o of m.opsets) {
    const os = new Writer();
    if (o.domain) os.string(1, o.domain);
    w.message(8, os.int(2, o.version));
  }
  for (const [k, v] of Object.entries(m.metadata)) w.message(14, new Writer().string(1, k).string(2, v));
  return w.finish();
}

// ---------- reading ----------

/** Refuse data that cannot be a model simdnet would hold (a 4 GiB arena is the ceiling anyway). */
const MAX_ELEMENTS = 1 << 28;

function readTensor(r: Reader): OnnxTensor {
  const t: OnnxTensor = { name: "", dims: [], dataType: 0 };
  let raw: Uint8Array | null = null;
  let rawAt = 0;
  const floats: number[] = [];
  const ints: number[] = [];
  let location = 0;
  for (let f = r.next(); f; f = r.next()) {
    switch (f.field) {
      case 1:
        r.varints(f, "dims", t.dims);
        break;
      case 2:
        t.dataType = r.expect(f, WIRE_VARINT, "data_type").num;
        break;
      case 3:
        throw r.fail("segmented tensors are not supported");
      case 4:
        r.floats(f, "float_data", floats);
        break;
      case 5:
      case 7:
        r.varints(f, f.field === 5 ? "int32_data" : "int64_data", ints);
        break;
      case 8:
        t.name = r.string(f, "name");
        break;
      case 9:
        raw = r.expect(f, WIRE_LEN, "raw_data").bytes;
        rawAt = f.at;
        break;
      case 10: {
        // double_data, packed or not
        if (f.wire === WIRE_LEN) {
          if (f.bytes.length % 8) throw r.fail("double_data length is not a multiple of 8");
          const dv = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength);
          for (let i = 0; i < f.bytes.length; i += 8) floats.push(dv.getFloat64(i, true));
        } else floats.push(f.num);
        break;
      }
      case 13:
        throw r.fail(`tensor "${t.name}" keeps its data in an external file (save the model with its weights embedded)`);
      case 14:
        location = f.num;
        break;
    }
  }
  if (location === 1) throw r.fail(`tensor "${t.name}" keeps its data in an external file (save the model with its weights embedded)`);
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isInteger(d) || d < 0) throw r.fail(`tensor "${t.name}" has dimension ${d}`);
    n *= d;
  }
  if (n > MAX_ELEMENTS) throw r.fail(`tensor "${t.name}" has ${n} elements (more than simdnet can hold)`);
  const fromRaw = (size: number) => {
    if (raw!.length !== n * size) throw r.failAt(`tensor "${t.name}" of shape [${t.dims.join(", ")}] has ${raw!.length} bytes of raw data, expected ${n * size}`, rawAt, "raw_data");
    return new DataView(raw!.buffer, raw!.byteOffset, raw!.byteLength);
  };
  switch (t.dataType) {
    case DT_FLOAT:
    case DT_DOUBLE: {
      const out = new Float32Array(n);
      if (raw) {
        const size = t.dataType === DT_FLOAT ? 4 : 8;
        const dv = fromRaw(size);
        for (let i = 0; i < n; i++) out[i] = size === 4 ? dv.getFloat32(i * 4, true) : dv.getFloat64(i * 8, true);
      } else {
        if (floats.length !== n) throw r.fail(`tensor "${t.name}" of shape [${t.dims.join(", ")}] has ${floats.length} values, expected ${n}`);
        out.set(floats);
      }
      t.floats = out;
      break;
    }
    case DT_INT32:
    case DT_INT64: {
      if (raw) {
        const size = t.dataType === DT_INT32 ? 4 : 8;
        const dv = fromRaw(size);
        for (let i = 0; i < n; i++) {
          const v = size === 4 ? dv.getInt32(i * 4, true) : dv.getBigInt64(i * 8, true);
          if (typeof v === "bigint" && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))) throw r.fail(`tensor "${t.name}": integer ${v} is too large`);
          ints.push(Number(v));
        }
      } else if (ints.length !== n) throw r.fail(`tensor "${t.name}" of shape [${t.dims.join(", ")}] has ${ints.length} values, expected ${n}`);
      t.ints = ints;
      break;
    }
    default:
      // kept without data: the importer names the type if it needs the values
      break;
  }
  return t;
}

function readAttribute(r: Reader): OnnxAttribute {
  const a: OnnxAttribute = { name: "", type: 0 };
  for (let f = r.next(); f; f = r.next()) {
    switch (f.field) {
      case 1:
        a.name = r.string(f, "attribute.name");
        break;
      case 20:
        a.type = r.expect(f, WIRE_VARINT, "attribute.type").num;
        break;
      case 2:
        a.f = f.num;
        if (f.wire !== 5) throw r.fail("attribute.f is not a float");
        break;
      case 3:
        a.i = r.expect(f, WIRE_VARINT, "attribute.i").num;
        break;
      case 4:
        a.s = r.string(f, "attribute.s");
        break;
      case 5:
        a.t = readTensor(r.sub(r.expect(f, WIRE_LEN, "attribute.t"), "attribute.t"));
        break;
      case 7:
        r.floats(f, "attribute.floats", (a.floats ??= []));
        break;
      case 8:
        r.varints(f, "attribute.ints", (a.ints ??= []));
        break;
      case 9:
        (a.strings ??= []).push(r.string(f, "attribute.strings"));
        break;
      case 21:
        throw r.fail(`attribute "${a.name}" refers to a function attribute (ref_attr_name), which simdnet does not take`);
      // graphs (6, 11), tensors (10), sparse tensors, type protos: skipped; the importer refuses their nodes
    }
  }
  // old writers leave out the type: infer it from the one value present
  if (a.type === 0) a.type = a.f !== undefined ? AT.FLOAT : a.i !== undefined ? AT.INT : a.s !== undefined ? AT.STRING : a.t ? AT.TENSOR : a.floats ? AT.FLOATS : a.ints ? AT.INTS : a.strings ? AT.STRINGS : 0;
  return a;
}

function readNode(r: Reader): OnnxNode {
  const n: OnnxNode = { name: "", opType: "", domain: "", inputs: [], outputs: [], attributes: [] };
  for (let f = r.next(); f; f = r.next()) {
    switch (f.field) {
      case 1:
        n.inputs.push(r.string(f, "node.input"));
        break;
      case 2:
        n.outputs.push(r.string(f, "node.output"));
        break;
      case 3:
        n.name = r.string(f, "node.name");
        break;
      case 4:
        n.opType = r.string(f, "node.op_type");
        break;
      case 5:
        n.attributes.push(readAttribute(r.sub(r.expect(f, WIRE_LEN, "node.attribute"), "node.attribute")));
        break;
      case 7:
        n.domain = r.string(f, "node.domain");
        break;
    }
  }
  if (!n.opType) throw r.fail("a node without op_type", 0);
  return n;
}

function readValueInfo(r: Reader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: "", elemType: 0, dims: null };
  for (let f = r.next(); f; f = r.next()) {
    if (f.field === 1) v.name = r.string(f, "value_info.name");
    else if (f.field === 2) {
      const tr = r.sub(r.expect(f, WIRE_LEN, "value_info.type"), "value_info.type");
      for (let g = tr.next(); g; g = tr.next()) {
        if (g.field !== 1) continue; // sequence, map, optional types: no tensor, elemType stays 0
        const tt = tr.sub(tr.expect(g, WIRE_LEN, "type.tensor_type"), "type.tensor_type");
        for (let h = tt.next(); h; h = tt.next()) {
          if (h.field === 1) v.elemType = tt.expect(h, WIRE_VARINT, "tensor_type.elem_type").num;
          else if (h.field === 2) {
            v.dims = [];
            const sr = tt.sub(tt.expect(h, WIRE_LEN, "tensor_type.shape"), "tensor_type.shape");
            for (let d = sr.next(); d; d = sr.next()) {
              if (d.field !== 1) continue;
              const dr = sr.sub(sr.expect(d, WIRE_LEN, "shape.dim"), "shape.dim");
              let dim: number | string | null = null;
              for (let e = dr.next(); e; e = dr.next()) {
                if (e.field === 1) dim = dr.expect(e, WIRE_VARINT, "dim_value").num;
                else if (e.field === 2) dim = dr.string(e, "dim_param");
              }
              v.dims.push(dim);
            }
          }
        }
      }
    }
  }
  return v;
}

function readGraph(r: Reader): OnnxGraph {
  const g: OnnxGraph = { name: "", nodes: [], initializers: [], inputs: [], outputs: [] };
  for (let f = r.next(); f; f = r.next()) {
    const sub = (what: string) => r.sub(r.expect(f!, WIRE_LEN, what), what);
    switch (f.field) {
      case 1:
        g.nodes.push(readNode(sub(`graph.node[${g.nodes.length}]`)));
        break;
      case 2:
        g.name = r.string(f, "graph.name");
        break;
      case 5:
        g.initializers.push(readTensor(sub(`graph.initializer[${g.initializers.length}]`)));
        break;
      case 15:
        throw r.fail("sparse initializers are not supported");
      case 11:
        g.inputs.push(readValueInfo(sub("graph.input")));
        break;
      case 12:
        g.outputs.push(readValueInfo(sub("graph.output")));
        break;
    }
  }
  return g;
}

/** Decodes an ONNX ModelProto. Throws SimdnetError (with the byte offset) on malformed bytes. */
export function decodeOnnx(bytes: Uint8Array, file?: string): OnnxModel {
  const r = new Reader(bytes, 0, "model", file);
  const m: OnnxModel = { irVersion: 0, opsets: [], producerName: "", producerVersion: "", docString: "", graph: null as unknown as OnnxGraph, metadata: {} };
  let graphs = 0;
  for (let f: Field | null = r.next(); f; f = r.next()) {
    switch (f.field) {
      case 1:
        m.irVersion = r.expect(f, WIRE_VARINT, "ir_version").num;
        break;
      case 2:
        m.producerName = r.string(f, "producer_name");
        break;
      case 3:
        m.producerVersion = r.string(f, "producer_version");
        break;
      case 6:
        m.docString = r.string(f, "doc_string");
        break;
      case 7:
        m.graph = readGraph(r.sub(r.expect(f, WIRE_LEN, "graph"), "graph"));
        graphs++;
        break;
      case 8: {
        const or = r.sub(r.expect(f, WIRE_LEN, "opset_import"), "opset_import");
        const o = { domain: "", version: 0 };
        for (let g = or.next(); g; g = or.next()) {
          if (g.field === 1) o.domain = or.string(g, "opset_import.domain");
          else if (g.field === 2) o.version = or.expect(g, WIRE_VARINT, "opset_import.version").num;
        }
        m.opsets.push(o);
        break;
      }
      case 14: {
        const er = r.sub(r.expect(f, WIRE_LEN, "metadata_props"), "metadata_props");
        let k = "";
        let v = "";
        for (let g = er.next(); g; g = er.next()) {
          if (g.field === 1) k = er.string(g, "key");
          else if (g.field === 2) v = er.string(g, "value");
        }
        m.metadata[k] = v;
        break;
      }
    }
  }
  if (graphs !== 1 || m.irVersion < 1) {
    const what = bytes.length === 0 ? "the file is empty" : m.irVersion < 1 ? "no ir_version (not an ONNX model)" : graphs === 0 ? "no graph (not an ONNX model, or truncated)" : "more than one graph";
    throw new SimdnetError(`not a valid ONNX file: ${what}`, { file, field: "model" });
  }
  return m;
}
