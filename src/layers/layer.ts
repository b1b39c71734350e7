// The layer interface: every layer kind answers the same questions from its config and its input
// shape (output shape, parameter and state blocks, arena slots, scratch) and runs forward and
// backward through the Backend only. src/model/arena.ts lays the stack out; nothing else does.
import type { Backend } from "../backend/types.js";
import type { Activation } from "../model/spec.js";

/** [H, W, C] for images (channels last, NHWC batches), [D] for flat features. */
export type Shape = readonly number[];

export type Padding = "valid" | "same";

/** A layer as users write it (Keras/TF.js names). `activation` defaults to the model's. */
export type LayerConfig =
  | { type: "dense"; units: number; activation?: Activation }
  | { type: "conv2d"; filters: number; kernelSize: number; strides?: number; padding?: Padding; activation?: Activation }
  | { type: "maxPooling2d"; poolSize: number; strides?: number }
  | { type: "averagePooling2d"; poolSize: number; strides?: number }
  | { type: "globalAveragePooling2d" }
  | { type: "batchNormalization"; activation?: Activation }
  | { type: "dropout"; rate: number }
  | { type: "flatten" };

export type LayerType = LayerConfig["type"];

/** Where a tensor of the batch lives: z before the activation, a after it (a = z without one), dz = ∂loss/∂z. */
export interface Tensor {
  z: number;
  a: number;
  /** Gradient slot, or -1 where no gradient flows (the input batch). */
  dz: number;
  /** Activation code applied to z to give a. */
  act: number;
  shape: Shape;
  /** Elements per sample. */
  size: number;
  /** The raw uint8 input batch (read by the U8 kernels, scaled by 1/255). */
  u8: boolean;
}

/** A named block in the flat parameter (or state) vector. */
export interface BlockSpec {
  name: string;
  size: number;
  /** How init() fills it: fan-in/fan-out scaled random, or a constant. */
  init: "weights" | "zeros" | "ones";
  fanIn?: number;
  fanOut?: number;
}

/** One layer as laid out in the arena (computed by computeLayout, read by everyone else). */
export interface LayerLayout {
  index: number;
  type: LayerType;
  /** The config with every default filled in (activation resolved). */
  config: LayerConfig;
  /** "conv 32 3" style name for messages and summaries. */
  name: string;
  kind: LayerKind;
  input: Tensor;
  output: Tensor;
  /** Parameter blocks: offsets (slots) of each in params and in grads. */
  params: Record<string, number>;
  grads: Record<string, number>;
  /** Non-trainable state blocks (batch-norm running statistics). */
  state: Record<string, number>;
  /** Extra per-layer slots (max-pool argmax, dropout mask, batch statistics). */
  slots: Record<string, number>;
  /** This layer's range in the flat parameter vector. */
  paramOffset: number;
  paramCount: number;
  /** Whether backward must produce the input's gradient (a trainable layer lies below). */
  needInputGrad: boolean;
  /** Dropout: which hash stream its masks come from. */
  stream: number;

  // Compatibility with the MLP-era readers (diagnostics, gradcheck, tests): the first and second
  // parameter blocks (W and b; gamma and beta) or -1, sizes per sample, the output tensor's slots.
  w: number;
  b: number;
  dw: number;
  db: number;
  wSize: number;
  bSize: number;
  inSize: number;
  outSize: number;
  z: number;
  a: number;
  dz: number;
  act: number;
  mask: number;
}

export interface ForwardContext {
  be: Backend;
  L: LayerLayout;
  B: number;
  training: boolean;
  dropoutSeed: number | undefined;
  scratch: number;
}

export interface BackwardContext {
  be: Backend;
  L: LayerLayout;
  B: number;
  scratch: number;
  /** Whether the forward pass applied dropout masks (backward applies the same ones). */
  dropoutApplied: boolean;
}

export interface LayerKind {
  /** Output shape; throws SimdnetError naming the layer and the shapes when impossible. */
  outputShape(cfg: LayerConfig, input: Shape, name: string): Shape;
  params(cfg: LayerConfig, input: Shape, output: Shape): BlockSpec[];
  state(cfg: LayerConfig, input: Shape, output: Shape): BlockSpec[];
  /** Extra slots per layer (sizes for batch capacity B). */
  slots(cfg: LayerConfig, input: Shape, output: Shape, B: number): Record<string, number>;
  scratch(cfg: LayerConfig, input: Shape, output: Shape, B: number): number;
  /** In-place layers (dropout, flatten) alias their input tensor instead of owning an output. */
  inPlace: boolean;
  /** Activation code of the output (owning layers; none for pools). */
  activation(cfg: LayerConfig): number;
  forward(ctx: ForwardContext): void;
  /** Given output.dz, accumulates parameter gradients and (when L.needInputGrad) writes input.dz, act' included. */
  backward(ctx: BackwardContext): void;
}

export const sizeOf = (s: Shape): number => s.reduce((a, b) => a * b, 1);
export const isSpatial = (s: Shape): boolean => s.length === 3;
export const shapeText = (s: Shape): string => s.join("×");
