// Export to the TensorFlow.js Layers format (tf.loadLayersModel): model.json (a Keras functional
// graph of stock layers + the weights manifest) and weights.bin. simdnet's parameter blocks are
// laid out as Keras wants them — dense kernels (in, out), conv kernels (K, K, C, F) = HWIO, NHWC
// activations — so weights.bin is mostly those bytes as they are. The exported model takes float
// pixels in [0, 1] (simdnet divides uint8 pixels by 255 inside its first layer; a TF.js user
// passes pixels / 255), shaped [H, W, C] for a CNN.
import { LEAKY_SLOPE } from "../backend/activations.js";
import { ACTIVATION_CODES, type Activation, type ModelSpec } from "../model/spec.js";
import { computeLayout } from "../model/arena.js";
import { BN_EPSILON, inputShapeOf } from "../layers/index.js";

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

/**
 * The model as a TF.js Layers functional graph of stock layers: InputLayer [H, W, C] (or [D]),
 * Conv2D (HWIO kernels, simdnet's layout), MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
 * BatchNormalization (running statistics from `state`, epsilon 1e-5), Dropout, Flatten (NHWC
 * order, as simdnet flattens; added where a dense layer follows a spatial one), Dense, and the
 * activations (leaky-relu as a LeakyReLU layer, gelu as geluBlock builds it), softmax at the end.
 */
export function toTfjsLayers(spec: ModelSpec, params: Float32Array, state: Float32Array = new Float32Array(0)): { modelJson: TfjsModelJson; weights: Uint8Array } {
  const layout = computeLayout(spec, 1);
  if (params.length !== layout.paramCount) throw new RangeError(`model has ${layout.paramCount} parameters, got ${params.length}`);
  if (state.length !== layout.stateCount) throw new RangeError(`model has ${layout.stateCount} state values, got ${state.length}`);
  const g = new Graph();
  const block = (slot: number, n: number, scale = 1) => Float32Array.from(params.subarray(slot - layout.params, slot - layout.params + n), (v) => v * scale);
  const stateBlock = (slot: number, n: number) => state.slice(slot - layout.state, slot - layout.state + n);
  let h = g.add("InputLayer", "pixels", { batch_input_shape: [null, ...inputShapeOf(spec)], sparse: false }, []);
  const last = layout.layers.length - 1;
  layout.layers.forEach((L, i) => {
    const c = L.config;
    const act = i === last ? (spec.task === "regression" ? "linear" : "softmax") : activationName(L.act); // regression: a linear output
    switch (c.type) {
      case "dense": {
        if (L.input.shape.length === 3) h = g.add("Flatten", g.name("flatten"), { data_format: "channels_last" }, [h]);
        const IN = L.input.size;
        const x = h;
        const base = g.name("dense");
        h = activated(g, base, act, (name, scale, activation) => {
          g.weight(`${name}/kernel`, [IN, c.units], block(L.params.W, IN * c.units, scale));
          g.weight(`${name}/bias`, [c.units], block(L.params.b, c.units, scale));
          return g.add("Dense", name, { units: c.units, activation, use_bias: true }, [x]);
        });
        break;
      }
      case "conv2d": {
        const C = L.input.shape[2];
        const K = c.kernelSize;
        const x = h;
        const base = g.name("conv2d");
        h = activated(g, base, act, (name, scale, activation) => {
          g.weight(`${name}/kernel`, [K, K, C, c.filters], block(L.params.W, K * K * C * c.filters, scale));
          g.weight(`${name}/bias`, [c.filters], block(L.params.b, c.filters, scale));
          const config = { filters: c.filters, kernel_size: [K, K], strides: [c.strides ?? 1, c.strides ?? 1], padding: c.padding ?? "valid", data_format: "channels_last", dilation_rate: [1, 1], activation, use_bias: true };
          return g.add("Conv2D", name, config, [x]);
        });
        break;
      }
      case "batchNormalization": {
        const C = L.input.shape[L.input.shape.length - 1];
        const x = h;
        const base = g.name("batch_normalization");
        h = activated(g, base, act, (name, scale, activation) => {
          g.weight(`${name}/gamma`, [C], block(L.params.gamma, C, scale));
          g.weight(`${name}/beta`, [C], block(L.params.beta, C, scale));
          g.weight(`${name}/moving_mean`, [C], stateBlock(L.state.runMean, C));
          g.weight(`${name}/moving_variance`, [C], stateBlock(L.state.runVar, C));
          const bn = g.add("BatchNormalization", name, { axis: -1, momentum: 0.99, epsilon: BN_EPSILON, center: true, scale: true }, [x]);
          return activation === "linear" ? bn : g.add("Activation", `${name}_${activation}`, { activation }, [bn]);
        });
        break;
      }
      case "maxPooling2d":
      case "averagePooling2d":
        h = g.add(c.type === "maxPooling2d" ? "MaxPooling2D" : "AveragePooling2D", g.name(c.type === "maxPooling2d" ? "max_pooling2d" : "average_pooling2d"), { pool_size: [c.poolSize, c.poolSize], strides: [c.strides ?? c.poolSize, c.strides ?? c.poolSize], padding: "valid", data_format: "channels_last" }, [h]);
        break;
      case "globalAveragePooling2d":
        h = g.add("GlobalAveragePooling2D", g.name("global_average_pooling2d"), { data_format: "channels_last" }, [h]);
        break;
      case "dropout":
        h = g.add("Dropout", g.name("dropout"), { rate: c.rate }, [h]);
        break;
      case "flatten":
        h = g.add("Flatten", g.name("flatten"), { data_format: "channels_last" }, [h]);
        break;
    }
  });
  return g.done(h);
}

/** tfjs activation names; null where a layer of its own is needed (leaky-relu, gelu). */
function activationName(code: number): string {
  const name = (Object.keys(ACTIVATION_CODES) as Activation[]).find((a) => ACTIVATION_CODES[a] === code)!;
  return name === "gelu" ? "gelu" : name === "leaky-relu" ? "leaky-relu" : (TFJS_ACTIVATION[name as Exclude<Activation, "gelu">] ?? "linear");
}

type LinearOp = (name: string, scale: number, activation: string) => string;

/**
 * act(linear(h)) where linear is a layer whose output scales with its weights (Dense, Conv2D,
 * batch norm's gamma and beta). leaky-relu: the linear layer, then LeakyReLU(0.01). gelu: the
 * tanh form 0.5·z·(1 + tanh(k·(z + c·z³))) from three copies of the layer with folded scales, so
 * no layer needs a constant:
 *   u = linear_k(h) + v·v·v   with v = linear_s(h), s = (k·c)^(1/3)   (= k·z + k·c·z³)
 *   d = linear_½(h) = z/2;   GELU = d + d·tanh(u)
 * (scaling by 1/2 is exact in float32; k and s add one rounding per weight, ~1e-7 relative).
 */
function activated(g: Graph, base: string, act: string, linear: LinearOp): string {
  if (act === "leaky-relu") return g.add("LeakyReLU", `${base}_leaky_re_lu`, { alpha: LEAKY_SLOPE }, [linear(base, 1, "linear")]);
  if (act !== "gelu") return linear(base, 1, act);
  const kz = linear(`${base}_gelu_kz`, GELU_K, "linear");
  const v = linear(`${base}_gelu_v`, Math.cbrt(GELU_K * GELU_C), "linear");
  const halfZ = linear(`${base}_gelu_half_z`, 0.5, "linear");
  const kcz3 = g.add("Multiply", `${base}_gelu_kcz3`, {}, [v, v, v]);
  const u = g.add("Add", `${base}_gelu_u`, {}, [kz, kcz3]);
  const t = g.add("Activation", `${base}_gelu_tanh`, { activation: "tanh" }, [u]);
  const dt = g.add("Multiply", `${base}_gelu_half_z_tanh`, {}, [halfZ, t]);
  return g.add("Add", `${base}_gelu`, {}, [halfZ, dt]);
}

/** A functional tfjs-layers graph and its weights, built in order. */
class Graph {
  private readonly layers: unknown[] = [];
  private readonly specs: TfjsWeightSpec[] = [];
  private readonly blocks: Float32Array[] = [];
  private readonly counts = new Map<string, number>();

  name(prefix: string): string {
    const n = (this.counts.get(prefix) ?? 0) + 1;
    this.counts.set(prefix, n);
    return `${prefix}_${n}`;
  }

  add(class_name: string, name: string, config: Record<string, unknown>, inputs: string[]): string {
    this.layers.push({ class_name, name, config: { name, trainable: true, dtype: "float32", ...config }, inbound_nodes: inputs.length ? [inputs.map((n) => [n, 0, 0, {}])] : [] });
    return name;
  }

  weight(name: string, shape: number[], values: Float32Array): void {
    this.specs.push({ name, shape, dtype: "float32" });
    this.blocks.push(values);
  }

  done(output: string): { modelJson: TfjsModelJson; weights: Uint8Array } {
    const total = this.blocks.reduce((n, b) => n + b.length, 0);
    const bytes = new Uint8Array(total * 4);
    const dv = new DataView(bytes.buffer);
    let o = 0;
    for (const b of this.blocks) for (let i = 0; i < b.length; i++, o += 4) dv.setFloat32(o, b[i], true);
    return {
      modelJson: {
        format: "layers-model",
        generatedBy: "simdnet",
        convertedBy: null,
        modelTopology: {
          class_name: "Functional",
          config: { name: "simdnet", layers: this.layers, input_layers: [["pixels", 0, 0]], output_layers: [[output, 0, 0]] },
          keras_version: "tfjs-layers 4.22.0",
          backend: "tensor_flow.js",
        },
        weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: this.specs }],
      },
      weights: bytes,
    };
  }
}

const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;
