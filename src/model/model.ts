// The friendly face of the library: Model.create → fit → evaluate / predict → toBytes. It keeps the
// weights as one float32 block and builds a Network (arena) per job: a training one sized for the
// batch, optimizer state and dropout; an inference one reused by evaluate/predict. Browser-safe.
import { createBackend } from "../backend/index.js";
import type { Backend, BackendName } from "../backend/types.js";
import { allOf, splitTrainVal, type Dataset, type Subset } from "../data/dataset.js";
import { DEFAULT_AUGMENT, type AugmentKind, type AugmentOptions } from "../data/augment.js";
import { SimdnetError } from "../errors.js";
import { decodeModel, encodeModel, type ModelHeader } from "./format.js";
import { argmaxRows } from "./metrics.js";
import { Network, type EvalResult, type InitScheme } from "./network.js";
import { checkActivation, type Activation, type ModelSpec } from "./spec.js";
import { computeLayout } from "./arena.js";
import type { LayerConfig } from "../layers/layer.js";
import { createOptimizer, type OptimizerName } from "../train/optimizers.js";
import { LrSchedule, type ScheduleName } from "../train/schedules.js";
import { fit, type BatchInfo, type EpochStats } from "../train/trainer.js";
import { applyPreprocessing, fitPreprocessing, isTableSet, rawTargets, transformFeatures, untransformTargets, type DataMeta, type Table, type TableSet } from "../data/table.js";
import { metaHeaderFields } from "../data/meta-header.js";
import { regressionMetrics, type RegressionMetrics } from "../data/regression-metrics.js";
import type { InputKind, Task } from "./spec.js";

export interface CreateOptions {
  /** Input shape: [H, W, C] for images (channels last), or [D] (default [28, 28, 1] with layers, else [inputSize]). */
  input?: number[];
  /**
   * The hidden stack, Keras/TF.js style: { type: "conv2d", filters, kernelSize, strides, padding,
   * activation }, { type: "maxPooling2d", poolSize, strides }, { type: "dense", units, activation }, …
   * The output dense layer (one unit per class) is added after it. Overrides `hidden`.
   */
  layers?: LayerConfig[];
  /** Hidden dense widths of an MLP (default [128]; [] is softmax regression) when `layers` is absent. */
  hidden?: number[];
  activation?: Activation; // default "relu"
  seed?: number; // default 1
  init?: InitScheme; // default "he"
  backend?: BackendName; // default "wasm"
  inputSize?: number; // default 784 (or the product of `input`)
  classes?: number; // default 10 (regression: the number of targets, default 1)
  /** "classification" (default) or "regression" (linear outputs, mean squared error). */
  task?: Task;
  /** "u8" (default): pixels 0..255; "f32": float features (a table). */
  inputKind?: InputKind;
  /** A table from loadCsv / toTableSet: sets inputSize, classes (or targets), task and input kind from it. */
  data?: TableSet;
}

export interface ModelFitOptions {
  epochs?: number; // default 10
  batchSize?: number; // default 64
  lr?: number; // default 0.1 (the peak rate under a schedule)
  optimizer?: OptimizerName; // default "sgd"
  momentum?: number; // default 0.9 (SGD)
  weightDecay?: number; // default 0
  schedule?: ScheduleName; // default "cosine"
  /** A held-out data set, or a fraction of trainData to hold out (shuffled with the seed). */
  validation?: Dataset | number;
  dropout?: number; // default 0
  /** "shift" / "affine" with default ranges, or full options. */
  augment?: AugmentKind | AugmentOptions;
  seed?: number; // shuffles, dropout masks, augmentation; default: the model's seed
  onEpochEnd?: (stats: EpochStats) => void | "stop";
  onBatchEnd?: (info: BatchInfo) => void;
}

const INFERENCE_BATCH = 256;

export class Model {
  private params: Float32Array;
  /** Non-trainable state (batch-norm running statistics); empty for most models. */
  private state: Float32Array;
  private inference: Network | null = null;
  /** The training config and last metrics, stored in the file by toBytes. */
  private training: Record<string, unknown> | undefined;
  private metrics: Record<string, unknown> | undefined;
  /** What the model knows about its table (scaling, class names, targets); set by fit on a table or read from the file. */
  private meta: DataMeta | undefined;

  private constructor(
    readonly spec: ModelSpec,
    params: Float32Array,
    readonly backendName: BackendName,
    readonly seed: number,
    state: Float32Array = new Float32Array(0),
  ) {
    this.params = params;
    this.state = state;
  }

  static create(o: CreateOptions = {}): Model {
    if (o.data) {
      const d = o.data;
      const shape = d.inputShape && d.inputShape.length === 3 && o.layers ? d.inputShape : undefined;
      o = { ...o, input: o.input ?? shape ?? [d.inputSize], classes: o.classes ?? d.outputs, task: o.task ?? d.task, inputKind: o.inputKind ?? (d.inputShape ? "u8" : "f32"), data: undefined };
    }
    const activation = checkActivation(o.activation ?? "relu", "activation");
    const input = o.input ?? (o.layers ? [28, 28, 1] : [o.inputSize ?? 784]);
    if (!Array.isArray(input) || (input.length !== 1 && input.length !== 3) || !input.every((v) => Number.isInteger(v) && v > 0))
      throw new SimdnetError(`input must be [H, W, C] or [D] with positive integers, got ${JSON.stringify(input)}`, { field: "input" });
    const inputSize = input.reduce((a, b) => a * b, 1);
    if (o.inputSize !== undefined && o.inputSize !== inputSize) throw new SimdnetError(`inputSize ${o.inputSize} does not match input ${JSON.stringify(input)}`, { field: "inputSize" });
    const spec: ModelSpec = o.layers
      ? { inputSize, inputShape: input.length === 3 ? input : undefined, hidden: [], layers: o.layers, outputSize: o.classes ?? 10, activation }
      : { inputSize, ...(input.length === 3 ? { inputShape: input } : {}), hidden: o.hidden ?? [128], outputSize: o.classes ?? 10, activation };
    if (!spec.inputShape) delete spec.inputShape;
    if (o.task === "regression") {
      spec.task = "regression";
      if (o.classes === undefined) spec.outputSize = 1;
    }
    if (o.inputKind === "f32") spec.inputKind = "f32";
    const seed = o.seed ?? 1;
    const net = new Network(spec, createBackend(o.backend), 1);
    net.init(seed, o.init ?? "he");
    return new Model(spec, net.getParams(), o.backend ?? "wasm", seed, net.getState());
  }

  /** Each layer with its output shape and parameter count (what `simdnet info` prints). */
  layers(): { name: string; type: string; outputShape: number[]; params: number }[] {
    return computeLayout(this.spec, 1).layers.map((L) => ({ name: L.name, type: L.type, outputShape: [...L.output.shape], params: L.paramCount }));
  }

  /** Reads a .simdnet file's bytes (the format `toBytes` writes and `simdnet train` saves). */
  static fromBytes(bytes: Uint8Array, options: { backend?: BackendName; file?: string } = {}): Model {
    const file = decodeModel(bytes, options.file);
    const { spec, params, state, header } = file;
    const m = new Model(spec, params, options.backend ?? "wasm", Number(header.training?.seed ?? 1), state);
    m.training = header.training;
    m.metrics = header.metrics;
    m.meta = file.meta;
    return m;
  }

  get paramCount(): number {
    return this.params.length;
  }

  /** A copy of the flat parameter block (per layer: W (in, out) row-major, then b). */
  getParams(): Float32Array {
    return this.params.slice();
  }

  /** A copy of the non-trainable state (batch-norm running means and variances, layer by layer). */
  getState(): Float32Array {
    return this.state.slice();
  }

  /** Trains in place; returns the per-epoch history. */
  async fit(trainData: Dataset | TableSet, o: ModelFitOptions = {}): Promise<EpochStats[]> {
    const epochs = o.epochs ?? 10;
    const lr = o.lr ?? 0.1;
    const seed = o.seed ?? this.seed;
    if (isTableSet(trainData)) {
      // statistics (scaling, classes, targets) from the training split only, then every row preprocessed with them
      const split = typeof o.validation === "number" ? splitTrainVal({ count: trainData.count } as Dataset, o.validation, seed) : { train: allOf({ count: trainData.count } as Dataset), val: null };
      if (!this.meta) this.meta = this.checkMeta(fitPreprocessing(trainData, split.train.indices, { normalize: trainData.normalize, task: this.spec.task ?? "classification", pixelMax: trainData.pixelMax }));
      const ds = applyPreprocessing(this.meta, trainData);
      o = { ...o, validation: isTableSet(o.validation) ? this.tableData(o.validation as unknown as TableSet) : o.validation };
      trainData = ds;
    } else if (isTableSet(o.validation)) throw new SimdnetError("validation is a table but the training data is not", { field: "validation" });
    this.checkData(trainData);
    let train: Subset;
    let val: Subset | null;
    if (typeof o.validation === "number") ({ train, val } = splitTrainVal(trainData, o.validation, seed));
    else {
      train = allOf(trainData);
      val = o.validation ? (this.checkData(o.validation), allOf(o.validation)) : null;
    }
    const batchSize = Math.min(o.batchSize ?? 64, train.indices.length);
    const optimizer = createOptimizer({ name: o.optimizer ?? "sgd", momentum: o.momentum ?? 0.9, nesterov: false, weightDecay: o.weightDecay ?? 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    const schedule = new LrSchedule({ name: o.schedule ?? "cosine", lr, epochs, warmupEpochs: 0, gamma: 0.1, stepSize: 5, minLr: 0, patience: 2 });
    const augment = typeof o.augment === "string" ? (o.augment === "none" ? undefined : { ...DEFAULT_AUGMENT, kind: o.augment }) : o.augment;
    const net = new Network(this.spec, this.backend(), batchSize, optimizer.stateSlots, o.dropout ?? 0);
    net.setParams(this.params);
    net.setState(this.state);
    const result = await fit(net, train, val, { epochs, batchSize, schedule, seed, optimizer, augment, onEpochEnd: o.onEpochEnd, onBatchEnd: o.onBatchEnd });
    this.params = net.getParams();
    this.state = net.getState();
    if (this.inference) {
      this.inference.setParams(this.params);
      this.inference.setState(this.state);
    }
    const last = result.history[result.history.length - 1];
    this.training = { epochs, batch: batchSize, lr, optimizer: optimizer.name, schedule: schedule.c.name, dropout: o.dropout ?? 0, augment: augment ?? null, seed, backend: net.backend.variant };
    this.metrics = { valAccuracy: last?.valAccuracy ?? null, trainLoss: last?.trainLoss ?? null, samplesPerSec: last?.samplesPerSec ?? null };
    return result.history;
  }

  /** Mean cross-entropy and accuracy on a labelled data set; a table (regression too: RMSE, MAE and R² in the targets' units). */
  evaluate(data: Dataset | TableSet): EvalResult & { regression?: RegressionMetrics } {
    if (isTableSet(data)) {
      const ds = this.tableData(data);
      const r = this.net().evaluate(allOf(ds));
      if (this.spec.task !== "regression") return r;
      const out = untransformTargets(this.meta!, this.net().predictProbs(ds.features ?? ds.images, ds.count));
      return { ...r, regression: regressionMetrics(out, rawTargets(data), this.meta!.targets!.names) };
    }
    this.checkData(data);
    if (!data.labels) throw new SimdnetError("evaluate needs a labelled data set", { file: data.source, field: "labels" });
    return this.net().evaluate(allOf(data));
  }

  /**
   * Class probabilities, a Float32Array of n×classes. pixels: n images of inputSize values, row-major.
   * A Uint8Array holds raw 0..255 pixels; a Float32Array holds pixels scaled to [0, 1], which are
   * converted to uint8 as round(x·255) clamped to 0..255 (the network always sees uint8 pixels / 255).
   */
  predict(pixels: Uint8Array | Float32Array, n?: number): Float32Array {
    const D = this.spec.inputSize;
    const count = n ?? pixels.length / D;
    if (!Number.isInteger(count) || count < 0 || count * D > pixels.length)
      throw new SimdnetError(`expected n ${this.meta ? "rows" : "images"} of ${D} ${this.meta ? "features" : "pixels"}: got ${pixels.length} values${n !== undefined ? ` for n = ${n}` : ""}`, { field: "pixels" });
    if (this.meta) {
      // a table model: raw feature values (NaN: missing), scaled with the model's statistics; regression outputs in the targets' units
      const x = transformFeatures(this.meta, pixels instanceof Float32Array ? pixels.subarray(0, count * D) : Float32Array.from(pixels.subarray(0, count * D)), count);
      const out = this.net().predictProbs(x, count);
      return this.spec.task === "regression" ? untransformTargets(this.meta, out) : out;
    }
    if (this.spec.inputKind === "f32") return this.net().predictProbs(pixels instanceof Float32Array ? pixels.subarray(0, count * D) : Float32Array.from(pixels.subarray(0, count * D)), count);
    return this.net().predictProbs(toPixels(pixels, count * D), count);
  }

  /** The data description of a model trained on a table (class names, scaling, targets); undefined for digit models. */
  get dataMeta(): DataMeta | undefined {
    return this.meta;
  }

  /** Class names (a table model), else "0".."classes−1". */
  get classNames(): string[] {
    return this.meta?.classNames ?? Array.from({ length: this.spec.outputSize }, (_, i) => String(i));
  }

  /** Predictions for every row of a table: class names and probabilities, or regression values (targets' units). */
  predictTable(table: Table): { labels: string[]; probs: Float32Array } | { values: Float32Array; names: string[] } {
    if (!this.meta) throw new SimdnetError("this model was not trained on a table", { field: "data" });
    const ds = applyPreprocessing(this.meta, { ...table, labels: null });
    const out = this.net().predictProbs(ds.features ?? ds.images, ds.count);
    if (this.spec.task === "regression") return { values: untransformTargets(this.meta, out), names: this.meta.targets!.names };
    const cls = argmaxRows(out, this.spec.outputSize);
    return { labels: Array.from(cls, (c) => this.meta!.classNames![c]), probs: out };
  }

  private tableData(t: TableSet): Dataset {
    if (!this.meta) throw new SimdnetError("this model has not been fitted on a table yet (fit computes the scaling and class names)", { field: "data" });
    return applyPreprocessing(this.meta, t);
  }

  private checkMeta(meta: DataMeta): DataMeta {
    const outs = meta.task === "regression" ? meta.targets!.names.length : meta.classNames!.length;
    if (outs !== this.spec.outputSize)
      throw new SimdnetError(`the model has ${this.spec.outputSize} outputs; the table's training split has ${outs} ${meta.task === "regression" ? "targets" : `classes (${meta.classNames!.join(", ")})`}`, { field: "classes" });
    if (meta.features.length !== this.spec.inputSize) throw new SimdnetError(`the model takes ${this.spec.inputSize} inputs; the table has ${meta.features.length} features`, { field: "inputSize" });
    if ((meta.inputKind === "f32") !== (this.spec.inputKind === "f32"))
      throw new SimdnetError(`the table has ${meta.inputKind === "f32" ? "float features" : "pixels"}: create the model with Model.create({ data }) or inputKind: "${meta.inputKind}"`, { field: "inputKind" });
    return meta;
  }

  /** The most probable class of each image (see predict for the input). */
  predictClasses(pixels: Uint8Array | Float32Array, n?: number): Uint8Array {
    return argmaxRows(this.predict(pixels, n), this.spec.outputSize);
  }

  /** The .simdnet file bytes: header (layers, training config, metrics) and float32 weights. */
  toBytes(): Uint8Array {
    const extra: Pick<ModelHeader, "training" | "metrics" | "createdAt"> = { createdAt: new Date().toISOString() };
    if (this.training) extra.training = this.training;
    if (this.metrics) extra.metrics = this.metrics;
    return encodeModel(this.spec, this.params, { ...extra, ...metaHeaderFields(this.meta) }, this.state);
  }

  private backend(): Backend {
    return createBackend(this.backendName);
  }

  private net(): Network {
    if (!this.inference) {
      this.inference = new Network(this.spec, this.backend(), INFERENCE_BATCH);
      this.inference.setParams(this.params);
      this.inference.setState(this.state);
    }
    return this.inference;
  }

  private checkData(data: Dataset): void {
    if (data.inputSize !== this.spec.inputSize)
      throw new SimdnetError(`the model takes ${this.spec.inputSize} pixels per image, the data set has ${data.inputSize}`, { file: data.source, field: "inputSize" });
  }
}

function toPixels(pixels: Uint8Array | Float32Array, len: number): Uint8Array {
  if (pixels instanceof Uint8Array) return pixels.subarray(0, len);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const v = Math.round(pixels[i] * 255);
    out[i] = v > 255 ? 255 : v > 0 ? v : 0; // NaN → 0
  }
  return out;
}
