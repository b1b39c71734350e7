// The arena: one Float32 layout in (wasm) memory, computed once from the model spec.
//   params | grads | optimizer state | activations | batch | scratch
// Every offset here is in 4-byte slots from the arena start. This is the only place that
// computes an offset; kernels and backends take these numbers as they are.
import { NONE } from "../backend/types.js";
import { SimdnetError } from "../errors.js";
import { LAYER_KINDS, fullStack, inputShapeOf, layerName, shapeText, sizeOf, type BlockSpec, type LayerConfig, type LayerKind, type LayerLayout, type Shape, type Tensor } from "../layers/index.js";
import { hasFloatInput, isRegression, type ModelSpec } from "./spec.js";

const ALIGN = 16; // slots (64 bytes): every region starts on a cache line, SIMD loads are aligned
const TAIL_PAD = 16; // kernels may load (never store) a whole vector past a region's end

export type { LayerLayout } from "../layers/layer.js";

export interface ArenaLayout {
  spec: ModelSpec;
  /** Largest batch the arena holds. */
  batchCapacity: number;
  paramCount: number;
  params: number;
  grads: number;
  /** Optimizer state: optimizerSlots × paramCount slots (momentum, Adam moments). */
  optState: number;
  optimizerSlots: number;
  /** Non-trainable state (batch-norm running statistics): one flat block of stateCount slots. */
  state: number;
  stateCount: number;
  /** Every layer, input to output (dropout and flatten included). */
  layers: LayerLayout[];
  /** Batch pixels, uint8 (B, in): occupies ceil(B·in/4) slots; -1 for a float-input model (spec.inputKind "f32"). */
  x: number;
  /** The batch as floats: x/255 when the first layer cannot read uint8 (a pool or batch norm first), or the float features of a float-input model; else -1. */
  xFloat: number;
  /** Regression targets, float (B, outputs), for a regression model; else -1. */
  targets: number;
  /** Batch labels, int32 (B). */
  labels: number;
  /** The output layer's logits (B, classes). */
  logits: number;
  /** Softmax probabilities (B, classes). */
  probs: number;
  /** Kernel scratch (packed panels, a transposed weight matrix), shared by all layers. */
  scratch: number;
  scratchSlots: number;
  totalSlots: number;
}

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

export { layerScratchSlots, convScratchSlots, CONV_BF_ROWS } from "../layers/scratch.js";

/**
 * Lays the model out: params | grads | optimizer state | state | per-layer tensors and slots |
 * batch | scratch. dropout adds dropout after every hidden dense layer (see fullStack).
 */
export function computeLayout(spec: ModelSpec, batchCapacity: number, optimizerSlots = 0, dropout = 0): ArenaLayout {
  if (!Number.isInteger(batchCapacity) || batchCapacity < 1) throw new RangeError(`batchCapacity ${batchCapacity}`);
  const B = batchCapacity;
  let cursor = 0;
  const take = (slots: number) => {
    const at = cursor;
    cursor = align(cursor + slots);
    return at;
  };

  // Shapes and blocks first: the parameter vector is one flat block so the optimizer is one loop.
  const configs = fullStack(spec, dropout);
  const inShape = inputShapeOf(spec);
  if (sizeOf(inShape) !== spec.inputSize) throw new SimdnetError(`input shape ${shapeText(inShape)} does not hold ${spec.inputSize} values`);
  const plan: { cfg: LayerConfig; kind: LayerKind; name: string; inS: Shape; outS: Shape; pOff: number; pBlocks: BlockSpec[]; sOff: number; sBlocks: BlockSpec[] }[] = [];
  let shape: Shape = inShape;
  let p = 0;
  let st = 0;
  configs.forEach((cfg, i) => {
    const kind = LAYER_KINDS[cfg.type];
    const name = `${i + 1} (${layerName(cfg)})`;
    const outS = kind.outputShape(cfg, shape, name);
    if (sizeOf(outS) < 1) throw new SimdnetError(`layer ${name}: output ${shapeText(outS)} is empty (input ${shapeText(shape)})`);
    const pBlocks = kind.params(cfg, shape, outS);
    const sBlocks = kind.state(cfg, shape, outS);
    plan.push({ cfg, kind, name, inS: shape, outS, pOff: p, pBlocks, sOff: st, sBlocks });
    for (const bl of pBlocks) p += bl.size;
    for (const bl of sBlocks) st += bl.size;
    shape = outS;
  });
  const paramCount = p;
  const params = take(paramCount);
  const grads = take(paramCount);
  const optState = take(paramCount * optimizerSlots);
  const state = take(st);

  // The input: the uint8 batch, or a float copy when the first reading layer needs floats.
  // A float-input model (tabular features) has only the float batch.
  const floatInput = hasFloatInput(spec);
  const x = floatInput ? -1 : take(Math.ceil((B * spec.inputSize) / 4));
  const firstReader = plan.find((l) => l.cfg.type !== "flatten");
  const needsFloat = floatInput || (firstReader !== undefined && firstReader.cfg.type !== "dense" && firstReader.cfg.type !== "conv2d");
  const xFloat = needsFloat ? take(B * spec.inputSize) : -1;
  let current: Tensor = needsFloat
    ? { z: xFloat, a: xFloat, dz: NONE, act: 0, shape: inShape, size: spec.inputSize, u8: false }
    : { z: -1, a: x, dz: NONE, act: 0, shape: inShape, size: spec.inputSize, u8: true };

  const layers: LayerLayout[] = [];
  let trainableBelow = false;
  let lastParamLayer = -1;
  let dropoutsSince = 0;
  let scratchSlots = 0;
  for (const [i, l] of plan.entries()) {
    const { cfg, kind } = l;
    const size = sizeOf(l.outS);
    let output: Tensor;
    if (kind.inPlace) output = { ...current, shape: l.outS, size };
    else {
      const act = kind.activation(cfg);
      const z = take(B * size);
      const a = act === 0 ? z : take(B * size);
      output = { z, a, dz: take(B * size), act, shape: l.outS, size, u8: false };
    }
    const blocks = (list: BlockSpec[], base: number, off: number) => {
      const r: Record<string, number> = {};
      for (const bl of list) {
        r[bl.name] = base + off;
        off += bl.size;
      }
      return r;
    };
    const slotSizes = kind.slots(cfg, l.inS, l.outS, B);
    const slots: Record<string, number> = {};
    for (const [k, n] of Object.entries(slotSizes)) slots[k] = take(n);
    scratchSlots = Math.max(scratchSlots, kind.scratch(cfg, l.inS, l.outS, B));
    const pc = l.pBlocks.reduce((s, bl) => s + bl.size, 0);
    const pr = blocks(l.pBlocks, params, l.pOff);
    const gr = blocks(l.pBlocks, grads, l.pOff);
    if (cfg.type === "dropout") dropoutsSince++;
    if (pc > 0) {
      lastParamLayer = layers.filter((q) => q.paramCount > 0).length;
      dropoutsSince = 0;
    }
    const b0 = l.pBlocks[0];
    const b1 = l.pBlocks[1];
    layers.push({
      index: i,
      type: cfg.type,
      config: cfg,
      name: l.name,
      kind,
      input: current,
      output,
      params: pr,
      grads: gr,
      state: blocks(l.sBlocks, state, l.sOff),
      slots,
      paramOffset: l.pOff,
      paramCount: pc,
      needInputGrad: trainableBelow && !current.u8 && current.dz !== NONE,
      // the MLP's dropout after hidden layer l used stream l: keep it, so old runs replay exactly
      stream: Math.max(lastParamLayer, 0) + 4096 * Math.max(dropoutsSince - 1, 0),
      w: b0 ? params + l.pOff : -1,
      b: b1 ? params + l.pOff + b0.size : -1,
      dw: b0 ? grads + l.pOff : -1,
      db: b1 ? grads + l.pOff + b0.size : -1,
      wSize: b0?.size ?? 0,
      bSize: b1?.size ?? 0,
      inSize: current.size,
      outSize: size,
      z: output.z,
      a: output.a,
      dz: output.dz,
      act: output.act,
      mask: slots.mask ?? -1,
    });
    if (pc > 0) trainableBelow = true;
    current = output;
  }
  const labels = take(B);
  const targets = isRegression(spec) ? take(B * spec.outputSize) : -1;
  const logits = current.z;
  const probs = take(B * spec.outputSize);
  const scratch = take(scratchSlots);
  const totalSlots = cursor + TAIL_PAD;
  return { spec, batchCapacity: B, paramCount, params, grads, optState, optimizerSlots, state, stateCount: st, layers, x, xFloat, targets, labels, logits, probs, scratch, scratchSlots, totalSlots };
}

/** Parameter count of a model (all layers' trainable blocks). */
export function paramCount(spec: ModelSpec): number {
  return computeLayout(spec, 1).paramCount;
}

/** One line for logs: "784-128-10 relu" for an MLP, else the layer list. */
export function describeStack(layout: ArenaLayout): string {
  const { spec } = layout;
  if (!spec.layers) return `${[spec.inputSize, ...spec.hidden, spec.outputSize].join("-")} ${spec.activation}`;
  return `${shapeText(inputShapeOf(spec))} → ${layout.layers.map((L) => layerName(L.config)).join(", ")}`;
}

const WASM32_BYTES = 2 ** 32;

/**
 * Refuses a network whose arena cannot fit a 32-bit WebAssembly memory (4 GiB), saying what it
 * needs and what to shrink, before anything is allocated.
 */
export function checkArenaFits(layout: ArenaLayout, limitBytes = WASM32_BYTES - 2 ** 20): void {
  const bytes = layout.totalSlots * 4;
  if (bytes <= limitBytes) return;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
  const fixed = layout.paramCount * 4 * (2 + layout.optimizerSlots);
  const widest = layout.layers.reduce((w, L) => (L.paramCount > w.paramCount ? L : w), layout.layers[0]);
  const biggestAct = layout.layers.reduce((w, L) => (L.outSize > w.outSize ? L : w), layout.layers[0]);
  throw new SimdnetError(
    `the network needs ${gib(bytes)} of memory, more than WebAssembly's 4 GiB: parameters, gradients and optimizer state take ${gib(fixed)} ` +
      `(${layout.paramCount.toLocaleString("en-US")} parameters; the largest layer is ${widest.name} with ${widest.paramCount.toLocaleString("en-US")}), ` +
      `activations for a batch of ${layout.batchCapacity} take ${gib(bytes - fixed)} (the largest output is ${biggestAct.name}, ${biggestAct.outSize.toLocaleString("en-US")} values per sample). ` +
      `Shrink the widest layers${bytes - fixed > fixed ? " or the batch (--batch)" : ""}.`,
    { field: "layers" },
  );
}
