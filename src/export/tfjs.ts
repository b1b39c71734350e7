// Export to the TensorFlow.js Layers format (tf.loadLayersModel): model.json (a Keras Sequential of
// Dense layers + the weights manifest) and weights.bin. simdnet's parameter block is already laid
// out as Keras wants it — per layer the kernel (in, out) row-major, then the bias, float32 LE — so
// weights.bin is those bytes as they are. The exported model takes float pixels in [0, 1] (simdnet
// divides uint8 pixels by 255 inside its first layer; a TF.js user passes pixels / 255).
import { LEAKY_SLOPE } from "../backend/activations.js";
import { SimdnetError } from "../errors.js";
import { layerSizes, type Activation, type ModelSpec } from "../model/spec.js";

/**
 * Hidden activations as tfjs-layers 4.22 names them. leaky-relu is not a Dense activation in tfjs:
 * the Dense layer stays linear and a LeakyReLU layer (alpha 0.01) follows. gelu is refused:
 * simdnet's is the tanh approximation, tfjs' "gelu_new"; but tfjs-layers 4.22 cannot load that
 * from model.json (the name is camel-cased to the unregistered "geluNew"), and its loadable "gelu"
 * is the exact erf form, which differs by up to ~1e-3 — an export would not predict like the model.
 */
const TFJS_ACTIVATION: Record<Exclude<Activation, "gelu">, string | null> = { none: "linear", relu: "relu", tanh: "tanh", sigmoid: "sigmoid", "leaky-relu": null };

export const GELU_EXPORT_ERROR =
  "cannot export a gelu model to TensorFlow.js: simdnet's GELU is the tanh approximation (tfjs' \"gelu_new\"), which " +
  "tfjs-layers 4.22 cannot load from model.json, and its \"gelu\" (exact erf form) would change the predictions. " +
  "Export supports relu, leaky-relu, tanh and sigmoid";

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: "float32";
}

export interface TfjsModelJson {
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  modelTopology: { class_name: "Sequential"; config: { name: string; layers: unknown[] }; keras_version: string; backend: string };
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
}

export const TFJS_WEIGHTS_FILE = "weights.bin";

export function toTfjsLayers(spec: ModelSpec, params: Float32Array): { modelJson: TfjsModelJson; weights: Uint8Array } {
  if (spec.activation === "gelu") throw new SimdnetError(GELU_EXPORT_ERROR, { field: "activation" });
  const act0 = TFJS_ACTIVATION[spec.activation];
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
