// Export to the TensorFlow.js Layers format (tf.loadLayersModel): model.json (a Keras Sequential of
// Dense layers + the weights manifest) and weights.bin. simdnet's parameter block is already laid
// out as Keras wants it — per layer the kernel (in, out) row-major, then the bias, float32 LE — so
// weights.bin is those bytes as they are. The exported model takes float pixels in [0, 1] (simdnet
// divides uint8 pixels by 255 inside its first layer; a TF.js user passes pixels / 255).
import { LEAKY_SLOPE } from "../backend/activations.js";
import { layerSizes, type Activation, type ModelSpec } from "../model/spec.js";

/**
 * Hidden activations as tfjs-layers 4.22 names them. leaky-relu is not a Dense activation in tfjs:
 * the Dense layer stays linear and a LeakyReLU layer (alpha 0.01) follows. gelu has no loadable
 * tfjs activation that matches: simdnet's is the tanh approximation, tfjs' "gelu_new", which
 * tfjs-layers 4.22 cannot load from model.json (the name is camel-cased to the unregistered
 * "geluNew"), and its loadable "gelu" is the exact erf form (up to ~1e-3 away). So a gelu model is
 * exported as a graph of stock layers computing the tanh form exactly (see geluGraph).
 */
const TFJS_ACTIVATION: Record<Exclude<Activation, "gelu">, string | null> = { none: "linear", relu: "relu", tanh: "tanh", sigmoid: "sigmoid", "leaky-relu": null };

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: "float32";
}

export interface TfjsModelJson {
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  modelTopology: { class_name: "Sequential" | "Functional"; config: { name: string; layers: unknown[]; input_layers?: unknown[]; output_layers?: unknown[] }; keras_version: string; backend: string };
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
}

export const TFJS_WEIGHTS_FILE = "weights.bin";

export function toTfjsLayers(spec: ModelSpec, params: Float32Array): { modelJson: TfjsModelJson; weights: Uint8Array } {
  return spec.activation === "gelu" ? geluGraph(spec, params) : sequential(spec, params);
}

function sequential(spec: ModelSpec, params: Float32Array): { modelJson: TfjsModelJson; weights: Uint8Array } {
  const act0 = TFJS_ACTIVATION[spec.activation as Exclude<Activation, "gelu">];
  const sizes = layerSizes(spec);
  const layers: unknown[] = [];
  const weights: TfjsWeightSpec[] = [];
  let leaky = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const name = `dense_${l + 1}`;
    const isOutput = l + 2 === sizes.length;
    const act = isOutput ? "softmax" : act0;
    const config: Record<string, unknown> = { name, trainable: true, units: sizes[l + 1], activation: act ?? "linear", use_bias: true, dtype: "float32" };
    if (l === 0) config.batch_input_shape = [null, sizes[0]];
    layers.push({ class_name: "Dense", config });
    if (!isOutput && act === null) layers.push({ class_name: "LeakyReLU", config: { name: `leaky_re_lu_${++leaky}`, trainable: true, alpha: LEAKY_SLOPE, dtype: "float32" } });
    weights.push({ name: `${name}/kernel`, shape: [sizes[l], sizes[l + 1]], dtype: "float32" }, { name: `${name}/bias`, shape: [sizes[l + 1]], dtype: "float32" });
  }
  const bytes = new Uint8Array(params.length * 4);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < params.length; i++) dv.setFloat32(i * 4, params[i], true);
  return {
    modelJson: {
      format: "layers-model",
      generatedBy: "simdnet",
      convertedBy: null,
      modelTopology: { class_name: "Sequential", config: { name: "simdnet", layers }, keras_version: "tfjs-layers 4.22.0", backend: "tensor_flow.js" },
      weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights }],
    },
    weights: bytes,
  };
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * A gelu MLP as a functional graph of stock tfjs layers. For each hidden layer with input h and
 * pre-activation z = h·W + b, GELU(z) = 0.5·z·(1 + tanh(k·(z + c·z³))) is built from three Dense
 * copies of (W, b) with folded scales, so no layer needs a constant:
 *   u = Dense(k·W, k·b)(h) + Multiply(v, v, v)   with v = Dense(s·W, s·b)(h), s = (k·c)^(1/3)
 *     = k·z + k·c·z³
 *   d = Dense(W/2, b/2)(h) = z/2;   GELU = d + d·tanh(u)
 * (scaling by 1/2 is exact in float32; k and s add one rounding per weight, ~1e-7 relative).
 */
function geluGraph(spec: ModelSpec, params: Float32Array): { modelJson: TfjsModelJson; weights: Uint8Array } {
  const sizes = layerSizes(spec);
  const layers: unknown[] = [];
  const weights: TfjsWeightSpec[] = [];
  const blocks: Float32Array[] = [];
  const node = (name: string) => [name, 0, 0, {}];
  const add = (class_name: string, name: string, config: Record<string, unknown>, inputs: string[]) =>
    layers.push({ class_name, name, config: { name, trainable: true, dtype: "float32", ...config }, inbound_nodes: inputs.length ? [inputs.map(node)] : [] });
  const dense = (name: string, input: string, l: number, scale: number, units: number, activation: string) => {
    add("Dense", name, { units, activation, use_bias: true }, [input]);
    const n = sizes[l] * units;
    const at = offsets[l];
    blocks.push(Float32Array.from(params.subarray(at, at + n + units), (v) => v * scale));
    weights.push({ name: `${name}/kernel`, shape: [sizes[l], units], dtype: "float32" }, { name: `${name}/bias`, shape: [units], dtype: "float32" });
  };
  const offsets: number[] = [];
  for (let l = 0, at = 0; l + 1 < sizes.length; l++) {
    offsets.push(at);
    at += sizes[l] * sizes[l + 1] + sizes[l + 1];
  }
  add("InputLayer", "pixels", { batch_input_shape: [null, sizes[0]], sparse: false }, []);
  let h = "pixels";
  for (let l = 0; l + 1 < sizes.length; l++) {
    const units = sizes[l + 1];
    const i = l + 1;
    if (l + 2 === sizes.length) {
      dense(`dense_${i}`, h, l, 1, units, "softmax");
      h = `dense_${i}`;
      break;
    }
    dense(`gelu_${i}_kz`, h, l, GELU_K, units, "linear");
    dense(`gelu_${i}_v`, h, l, Math.cbrt(GELU_K * GELU_C), units, "linear");
    dense(`gelu_${i}_half_z`, h, l, 0.5, units, "linear");
    add("Multiply", `gelu_${i}_kcz3`, {}, [`gelu_${i}_v`, `gelu_${i}_v`, `gelu_${i}_v`]);
    add("Add", `gelu_${i}_u`, {}, [`gelu_${i}_kz`, `gelu_${i}_kcz3`]);
    add("Activation", `gelu_${i}_tanh`, { activation: "tanh" }, [`gelu_${i}_u`]);
    add("Multiply", `gelu_${i}_half_z_tanh`, {}, [`gelu_${i}_half_z`, `gelu_${i}_tanh`]);
    add("Add", `gelu_${i}`, {}, [`gelu_${i}_half_z`, `gelu_${i}_half_z_tanh`]);
    h = `gelu_${i}`;
  }
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const bytes = new Uint8Array(total * 4);
  const dv = new DataView(bytes.buffer);
  let o = 0;
  for (const b of blocks) for (let i = 0; i < b.length; i++, o += 4) dv.setFloat32(o, b[i], true);
  return {
    modelJson: {
      format: "layers-model",
      generatedBy: "simdnet",
      convertedBy: null,
      modelTopology: {
        class_name: "Functional",
        config: { name: "simdnet", layers, input_layers: [["pixels", 0, 0]], output_layers: [[h, 0, 0]] },
        keras_version: "tfjs-layers 4.22.0",
        backend: "tensor_flow.js",
      },
      weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights }],
    },
    weights: bytes,
  };
}
