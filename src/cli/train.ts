// simdnet train: load data, build the MLP in one arena, fit, evaluate, save atomically.
import { SimdnetError } from "../errors.js";
import { closeAllThreads, openBackend } from "../backend/index.js";
import { THREAD_OPTIONS, parseThreads } from "./threads.js";
import type { BackendName } from "../backend/types.js";
import { loadTrainingData } from "../data/resolve.js";
import { allOf, splitTrainVal } from "../data/dataset.js";
import { Network, INIT_SCHEMES, type InitScheme } from "../model/network.js";
import { checkActivation, parseHidden, type ModelSpec } from "../model/spec.js";
import { LAYERS_GRAMMAR, parseLayers } from "../layers/parse.js";
import { checkArenaFits, computeLayout, describeStack } from "../model/arena.js";
import { fullStack, inputShapeOf } from "../layers/index.js";
import { readModelFile } from "./model-data.js";
import { encodeModel } from "../model/format.js";
import { writeFileAtomic } from "../fsutil.js";
import { createOptimizer, OPTIMIZER_NAMES, type OptimizerConfig, type OptimizerName } from "../train/optimizers.js";
import { fit, type EarlyStopping, type EpochStats, type FitPosition } from "../train/trainer.js";
import { AUGMENT_KINDS, DEFAULT_AUGMENT, type AugmentKind, type AugmentOptions } from "../data/augment.js";
import { LrSchedule, SCHEDULE_NAMES, type ScheduleConfig, type ScheduleName } from "../train/schedules.js";
import { helpText, numberOption, parseOptions, type OptionRow } from "./options.js";
import { JsonReporter, TextReporter, type Reporter } from "./output.js";
import { captureCheckpoint, dataFingerprint, restoreCheckpoint, type Checkpoint } from "../train/checkpoint.js";
import { DivergenceWatcher, type Diagnosis } from "../train/diagnostics.js";
import { checkReportPath, writeTrainReport } from "../report/write.js";
import { TABLE_DEFAULTS, TABLE_OPTIONS, isTableRun, resolveTableConfig, tableResults, tableSpec, type TableResults } from "./data-options.js";
import type { TableConfig } from "../data/resolve.js";
import { metaHeaderFields } from "../data/meta-header.js";
import { catchInterrupt, CheckpointWriter, checkOutputPaths, checkpointPath, EXIT_DIVERGED, EXIT_INTERRUPTED, readCheckpointFile, RESUME_OPTIONS } from "./checkpointing.js";

export const TRAIN_OPTIONS: OptionRow[] = [
  { name: "data", type: "string", value: "PATH", help: "Kaggle train.csv or any labelled CSV (see --label), or a folder with the MNIST IDX files (default: $SIMDNET_MNIST_DIR, else ./data/mnist, else MNIST downloaded into the cache; offline: the 5,000-digit MNIST sample shipped with simdnet)" },
  { name: "preset", type: "string", value: "NAME", help: "seed (the question's 784-10-10, full-batch GD), mlp (fast, good), best-mlp (most accurate MLP), cnn (fast, good CNN), best-cnn (most accurate); options given override it" },
  { name: "hidden", type: "string", value: "N[,N...]", default: "128", help: "hidden layer widths of an MLP" },
  {
    name: "layers",
    type: "string",
    value: "SPEC",
    help:
      'the hidden stack, comma-separated (the output dense layer is added after it; a dense after a spatial layer flattens): ' +
      LAYERS_GRAMMAR.join("; ") +
      '; act defaults to --activation (batchnorm: none), padding to valid. E.g. "conv 32 3, maxpool 2, conv 64 3, maxpool 2, dropout 0.5"',
  },
  { name: "activation", type: "string", value: "NAME", default: "relu", help: "hidden activation: relu, leaky-relu, tanh, sigmoid, gelu" },
  { name: "init", type: "string", value: "NAME", default: "he", help: "weight init: he, xavier, normal0.01 (the question's 0.01*randn)" },
  { name: "init-scale", type: "string", value: "X", default: "1", help: "multiply the initial weights (normal0.01 with 1000 is 10*randn; for experiments)" },
  { name: "epochs", type: "string", value: "N", default: "10", help: "passes over the training set (full-batch: iterations)" },
  { name: "batch", type: "string", value: "N|full", default: "64", help: "samples per step; full = the whole training set" },
  { name: "schedule", type: "string", value: "NAME", default: "cosine", help: "learning-rate schedule: constant, step, exponential, cosine, plateau" },
  { name: "warmup", type: "string", value: "EPOCHS", default: "0", help: "linear learning-rate warm-up, in epochs" },
  { name: "gamma", type: "string", value: "X", default: "0.1", help: "decay factor (step, exponential, plateau)" },
  { name: "step-size", type: "string", value: "EPOCHS", default: "5", help: "epochs between decays (step)" },
  { name: "min-lr", type: "string", value: "X", default: "0", help: "final rate (cosine) or floor (plateau)" },
  { name: "patience", type: "string", value: "EPOCHS", default: "2", help: "epochs without val-loss improvement before a decay (plateau)" },
  { name: "optimizer", type: "string", value: "NAME", default: "sgd", help: "sgd, adam or adamw" },
  { name: "lr", type: "string", value: "X", default: "0.1", help: "learning rate (peak rate with a schedule)" },
  { name: "momentum", type: "string", value: "X", default: "0.9", help: "SGD momentum (0: plain SGD)" },
  { name: "nesterov", type: "boolean", help: "Nesterov momentum (SGD)" },
  { name: "weight-decay", type: "string", value: "X", default: "0", help: "L2 penalty (sgd, adam) or decoupled decay (adamw, default 0.01 there)" },
  { name: "beta1", type: "string", value: "X", default: "0.9", help: "Adam β1" },
  { name: "beta2", type: "string", value: "X", default: "0.999", help: "Adam β2" },
  { name: "eps", type: "string", value: "X", default: "1e-8", help: "Adam ε" },
  { name: "clip-norm", type: "string", value: "X", default: "0", help: "clip the gradient's global L2 norm (0: off)" },
  { name: "dropout", type: "string", value: "P", default: "0", help: "dropout rate on hidden-layer outputs while training" },
  { name: "augment", type: "string", value: "KIND", default: "none", help: "training-image augmentation: none, shift (±max-shift px), affine (shift + rotation + scale)" },
  { name: "max-shift", type: "string", value: "PX", default: "2", help: "largest augmentation shift in pixels" },
  { name: "max-rotate", type: "string", value: "DEG", default: "10", help: "largest affine rotation in degrees" },
  { name: "early-stop", type: "string", value: "EPOCHS", default: "0", help: "stop after this many epochs without improvement of --monitor (0: off)" },
  { name: "monitor", type: "string", value: "METRIC", default: "val_loss", help: "val_loss or val_accuracy, for --early-stop" },
  { name: "restore-best", type: "string", value: "yes|no", default: "yes", help: "with --early-stop, end with the best epoch's weights" },
  { name: "val-split", type: "string", value: "F", default: "0.1", help: "fraction of the training data held out for validation (shuffled, then split)" },
  { name: "seed", type: "string", value: "N", default: "1", help: "random seed: same seed, same run" },
  { name: "backend", type: "string", value: "NAME", default: "wasm", help: "wasm (SIMD kernels) or js (the TypeScript reference)" },
  ...THREAD_OPTIONS,
  { name: "out", type: "string", value: "FILE", default: "model.simdnet", help: "where to write the trained model (atomically)" },
  { name: "json", type: "boolean", help: "print one JSON object per line; the last is the summary" },
  { name: "checkpoint-dir", type: "string", value: "DIR", help: "write DIR/checkpoint.simdckpt after every epoch (atomically; the previous one kept as checkpoint.prev.simdckpt)" },
  { name: "resume", type: "string", value: "FILE", help: "continue the run saved in a checkpoint (its training options are used)" },
  { name: "init-from", type: "string", value: "FILE", help: "start from a model's weights and batch-norm statistics (a .simdnet file, e.g. from simdnet import) instead of random ones: fine-tuning; the architecture is the model's" },
  { name: "on-divergence", type: "string", value: "stop|warn", default: "stop", help: "when the loss goes NaN or explodes or accuracy stays at chance: stop with a diagnosis, or warn and go on" },
  { name: "report", type: "string", value: "FILE", help: "write an HTML report: learning curves, confusion matrix, worst mistakes, config, throughput" },
  // ---- any labelled CSV (src/cli/data-options.ts) ----
  ...TABLE_OPTIONS,
  { name: "help", type: "boolean", help: "show this help" },
];

export const PRESETS: Record<string, Record<string, string>> = {
  seed: { hidden: "10", epochs: "100", batch: "full", optimizer: "sgd", lr: "0.1", momentum: "0", schedule: "constant", "val-split": "0", init: "he" },
  // a fast good default: one wide layer, shifted digits, SGD momentum with cosine decay
  mlp: { hidden: "256", epochs: "10", batch: "64", optimizer: "sgd", lr: "0.1", momentum: "0.9", schedule: "cosine", augment: "shift" },
  // the most accurate MLP in reasonable time: two wide layers, dropout, affine-warped digits
  "best-mlp": { hidden: "800,800", epochs: "30", batch: "64", optimizer: "sgd", lr: "0.1", momentum: "0.9", schedule: "cosine", dropout: "0.1", augment: "affine" },
  // a fast good CNN: the Keras simple convnet with batch norm and a batch-normalised dense layer, shifted digits, SGD momentum with cosine decay
  cnn: { layers: "conv 32 3 act=none, batchnorm act=relu, maxpool 2, conv 64 3 act=none, batchnorm act=relu, maxpool 2, dropout 0.25, dense 128 act=none, batchnorm act=relu, dropout 0.25", epochs: "6", batch: "64", optimizer: "sgd", lr: "0.05", momentum: "0.9", schedule: "cosine", augment: "shift" },
  // the most accurate: three batch-normalised convs, dropout, weight decay, affine-warped digits, a warm-up then cosine decay;
  // 20 epochs on 95% of the training set (15 epochs on 90% read 99.63% and 99.54% on two seeds, 20 on 95% 99.66% and 99.68%)
  "best-cnn": {
    layers: "conv 32 5 padding=same act=none, batchnorm act=relu, maxpool 2, conv 64 3 padding=same act=none, batchnorm act=relu, maxpool 2, conv 128 3 act=none, batchnorm act=relu, dropout 0.25, dense 128 act=none, batchnorm act=relu, dropout 0.3",
    epochs: "20",
    "val-split": "0.05",
    batch: "64",
    optimizer: "sgd",
    lr: "0.05",
    momentum: "0.9",
    schedule: "cosine",
    warmup: "1",
    "weight-decay": "5e-4",
    augment: "affine",
  },
};

export interface TrainConfig {
  data?: string;
  preset?: string;
  spec: ModelSpec;
  init: InitScheme;
  epochs: number;
  batch: number | "full";
  lr: number;
  optimizer: OptimizerConfig;
  clipNorm: number;
  schedule: ScheduleConfig;
  dropout: number;
  augment: AugmentOptions | undefined;
  earlyStopping: EarlyStopping | undefined;
  valSplit: number;
  seed: number;
  backend: BackendName;
  /** --threads (undefined: the cores available) and --fma: how the wasm backend runs, never what it computes (FMA: the last bits). */
  threads?: number;
  fma?: boolean;
  out: string;
  json: boolean;
  initScale: number;
  /** --init-from FILE: the model whose weights and state replace the initial ones (fine-tuning). */
  initFrom?: string;
  onDivergence: "stop" | "warn";
  checkpointDir?: string;
  /** --report FILE: the HTML training report. */
  report?: string;
  /** The options this run was started with (stored in checkpoints; --resume re-reads them). */
  argv: string[];
  /** --data is a table (any labelled CSV): how to read it (src/cli/data-options.ts). */
  table?: TableConfig;
  resume?: { path: string; checkpoint: Checkpoint };
}

export function resolveTrainConfig(argv: string[]): TrainConfig | "help" {
  const { values, positionals } = parseOptions(TRAIN_OPTIONS, argv);
  if (values.help) return "help";
  if (typeof values.resume === "string") return resolveResume(values.resume, argv, values);
  if (positionals.length) throw new SimdnetError(`unexpected argument "${positionals[0]}" (see --help)`);
  const preset = values.preset as string | undefined;
  if (preset !== undefined && !(preset in PRESETS)) throw new SimdnetError(`unknown preset "${preset}"; expected one of ${Object.keys(PRESETS).join(", ")}`, { field: "--preset" });
  const tableRun = isTableRun(values);
  const get = (name: string): string => {
    const given = values[name];
    if (typeof given === "string") return given;
    if (preset && PRESETS[preset][name] !== undefined) return PRESETS[preset][name];
    if (tableRun && TABLE_DEFAULTS[name] !== undefined) return TABLE_DEFAULTS[name];
    return String(TRAIN_OPTIONS.find((r) => r.name === name)!.default);
  };
  const init = get("init");
  if (!(INIT_SCHEMES as string[]).includes(init)) throw new SimdnetError(`unknown init "${init}"; expected one of ${INIT_SCHEMES.join(", ")}`, { field: "--init" });
  const backend = get("backend");
  if (backend !== "wasm" && backend !== "js") throw new SimdnetError(`unknown backend "${backend}"; expected wasm or js`, { field: "--backend" });
  const batchText = get("batch");
  const augmentKind = get("augment");
  if (!(AUGMENT_KINDS as string[]).includes(augmentKind)) throw new SimdnetError(`unknown augmentation "${augmentKind}"; expected one of ${AUGMENT_KINDS.join(", ")}`, { field: "--augment" });
  const earlyStop = numberOption(get("early-stop"), "early-stop", (v) => Number.isInteger(v) && v >= 0, "an integer ≥ 0");
  const monitor = get("monitor");
  if (monitor !== "val_loss" && monitor !== "val_accuracy") throw new SimdnetError(`expected val_loss or val_accuracy, got "${monitor}"`, { field: "--monitor" });
  const restoreBest = get("restore-best");
  if (restoreBest !== "yes" && restoreBest !== "no") throw new SimdnetError(`expected yes or no, got "${restoreBest}"`, { field: "--restore-best" });
  const optimizerName = get("optimizer");
  const scheduleName = get("schedule");
  if (!(SCHEDULE_NAMES as readonly string[]).includes(scheduleName))
    throw new SimdnetError(`unknown schedule "${scheduleName}"; expected one of ${SCHEDULE_NAMES.join(", ")}`, { field: "--schedule" });
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(optimizerName))
    throw new SimdnetError(`unknown optimizer "${optimizerName}"; expected one of ${OPTIMIZER_NAMES.join(", ")}`, { field: "--optimizer" });
  const cfg: TrainConfig = {
    data: values.data as string | undefined,
    preset,
    spec: modelSpec(values, get, preset),
    init: init as InitScheme,
    epochs: numberOption(get("epochs"), "epochs", (v) => Number.isInteger(v) && v >= 1, "a positive integer"),
    batch: batchText === "full" ? "full" : numberOption(batchText, "batch", (v) => Number.isInteger(v) && v >= 1, 'a positive integer or "full"'),
    lr: numberOption(get("lr"), "lr", (v) => v > 0, "a positive number"),
    optimizer: {
      name: optimizerName as OptimizerName,
      momentum: numberOption(get("momentum"), "momentum", (v) => v >= 0 && v < 1, "a number in [0, 1)"),
      nesterov: Boolean(values.nesterov),
      weightDecay: values["weight-decay"] === undefined && optimizerName === "adamw" ? 0.01 : numberOption(get("weight-decay"), "weight-decay", (v) => v >= 0, "a number ≥ 0"),
      beta1: numberOption(get("beta1"), "beta1", (v) => v >= 0 && v < 1, "a number in [0, 1)"),
      beta2: numberOption(get("beta2"), "beta2", (v) => v >= 0 && v < 1, "a number in [0, 1)"),
      eps: numberOption(get("eps"), "eps", (v) => v > 0, "a positive number"),
    },
    schedule: {
      name: scheduleName as ScheduleName,
      lr: 0, // filled below from --lr
      epochs: 0,
      warmupEpochs: numberOption(get("warmup"), "warmup", (v) => v >= 0, "a number of epochs ≥ 0"),
      gamma: numberOption(get("gamma"), "gamma", (v) => v > 0 && v <= 1, "a factor in (0, 1]"),
      stepSize: numberOption(get("step-size"), "step-size", (v) => v > 0, "a positive number of epochs"),
      minLr: numberOption(get("min-lr"), "min-lr", (v) => v >= 0, "a number ≥ 0"),
      patience: numberOption(get("patience"), "patience", (v) => Number.isInteger(v) && v >= 0, "an integer ≥ 0"),
    },
    dropout: numberOption(get("dropout"), "dropout", (v) => v >= 0 && v < 1, "a rate in [0, 1)"),
    augment:
      augmentKind === "none"
        ? undefined
        : {
            kind: augmentKind as AugmentKind,
            maxShift: numberOption(get("max-shift"), "max-shift", (v) => Number.isInteger(v) && v >= 0 && v <= 8, "an integer 0..8"),
            maxRotate: numberOption(get("max-rotate"), "max-rotate", (v) => v >= 0 && v <= 45, "degrees in [0, 45]"),
            maxScale: DEFAULT_AUGMENT.maxScale,
          },
    earlyStopping:
      earlyStop === 0
        ? undefined
        : { monitor: monitor as EarlyStopping["monitor"], patience: earlyStop, minDelta: 0, restoreBest: restoreBest === "yes" },
    clipNorm: numberOption(get("clip-norm"), "clip-norm", (v) => v >= 0, "a number ≥ 0"),
    valSplit: numberOption(get("val-split"), "val-split", (v) => v >= 0 && v < 1, "a fraction in [0, 1)"),
    seed: numberOption(get("seed"), "seed", (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32, "an integer in [0, 2^32)"),
    backend,
    threads: parseThreads(values.threads),
    fma: Boolean(values.fma),
    out: get("out"),
    json: Boolean(values.json),
    initScale: numberOption(get("init-scale"), "init-scale", (v) => v > 0, "a positive number"),
    onDivergence: onDivergence(get("on-divergence")),
    checkpointDir: values["checkpoint-dir"] as string | undefined,
    report: values.report as string | undefined,
    argv,
  };
  if (tableRun) {
    cfg.table = resolveTableConfig(values, cfg.valSplit, cfg.seed, () => {});
    if (cfg.report) throw new SimdnetError("the HTML report is for image data; it is not made for tables yet", { field: "--report" });
  }
  if (typeof values["init-from"] === "string") {
    cfg.initFrom = values["init-from"];
    cfg.spec = initFromSpec(cfg.initFrom, cfg.spec, values, preset);
  }
  // an impossible or oversized network is refused before any data is read
  const batchForCheck = cfg.batch === "full" ? 1 : cfg.batch;
  checkArenaFits(computeLayout(cfg.spec, batchForCheck, createOptimizer(cfg.optimizer).stateSlots, cfg.dropout));
  return cfg;
}

/** --layers (given, or from the preset unless --hidden is given) builds a stack on 28×28×1 images; else an MLP of --hidden. */
function modelSpec(values: Record<string, unknown>, get: (name: string) => string, preset: string | undefined): ModelSpec {
  const activation = checkActivation(get("activation"));
  if (typeof values.layers === "string" && typeof values.hidden === "string") throw new SimdnetError("give either --layers or --hidden, not both", { field: "--layers" });
  const presetLayers = preset ? PRESETS[preset].layers : undefined;
  const layersText = typeof values.hidden === "string" ? undefined : typeof values.layers === "string" ? values.layers : presetLayers;
  if (layersText === undefined) return { inputSize: 784, hidden: parseHidden(get("hidden")), outputSize: 10, activation };
  return { inputSize: 784, inputShape: [28, 28, 1], hidden: [], layers: parseLayers(layersText), outputSize: 10, activation };
}

/**
 * --init-from: the architecture is the model file's. Given --layers, --hidden, --activation or a
 * preset as well, they must describe the same stack, else the run is refused naming both.
 */
function initFromSpec(path: string, fromOptions: ModelSpec, values: Record<string, unknown>, preset: string | undefined): ModelSpec {
  const { spec } = readModelFile(path);
  const given = ["layers", "hidden", "activation"].filter((o) => typeof values[o] === "string");
  if (preset) given.push("preset");
  const stack = (m: ModelSpec) => JSON.stringify({ input: inputShapeOf(m), layers: fullStack(m) });
  if (given.length && stack(fromOptions) !== stack(spec)) {
    const text = (m: ModelSpec) => describeStack(computeLayout(m, 1));
    throw new SimdnetError(`--init-from ${path} is a ${text(spec)} model; ${given.map((o) => "--" + o).join(", ")} give${given.length === 1 ? "s" : ""} ${text(fromOptions)}: leave ${given.length === 1 ? "it" : "them"} out to train the model's own architecture`, { field: "--init-from" });
  }
  return spec;
}

function onDivergence(v: string): "stop" | "warn" {
  if (v !== "stop" && v !== "warn") throw new SimdnetError(`expected stop or warn, got "${v}"`, { field: "--on-divergence" });
  return v;
}

/** --resume FILE: the run's own options from the checkpoint, then the few given now (later wins). */
function resolveResume(path: string, argv: string[], values: Record<string, unknown>): TrainConfig {
  for (const name of Object.keys(values))
    if (!RESUME_OPTIONS.includes(name))
      throw new SimdnetError(`cannot be changed when resuming: the training options come from the checkpoint (allowed with --resume: ${RESUME_OPTIONS.map((o) => "--" + o).join(", ")})`, { field: `--${name}` });
  const checkpoint = readCheckpointFile(path);
  const argvStored = checkpoint.config.argv;
  if (!Array.isArray(argvStored) || !argvStored.every((a) => typeof a === "string")) throw new SimdnetError(`checkpoint has no stored options (config.argv)`, { file: path, field: "config" });
  const stored = argvStored.filter((a) => a !== "--json"); // how to print is this invocation's choice
  const now = argv.filter((_, i) => argv[i] !== "--resume" && argv[i - 1] !== "--resume" && !argv[i].startsWith("--resume="));
  const cfg = resolveTrainConfig([...stored, ...now]);
  if (cfg === "help") return cfg as never;
  return { ...cfg, argv: stored, resume: { path, checkpoint } };
}

// a table run adds its task, class names and (regression) val RMSE, MAE and R² in the targets' units
export interface TrainSummary extends Partial<TableResults> {
  event: "summary";
  testAccuracy: number | null;
  valAccuracy: number | null;
  trainLoss: number | null;
  samplesPerSec: number | null;
  epochs: number;
  seconds: number;
  testLoss: number | null;
  model: string;
  /** Per-epoch figures, as returned by fit. */
  history: EpochStats[];
  /** Epoch whose weights were kept by early stopping, else null. */
  restoredEpoch: number | null;
  /** completed; interrupted (Ctrl-C: checkpoint written, exit 130); diverged (stopped by the watcher, exit 3). */
  status: "completed" | "interrupted" | "diverged";
  /** The checkpoint to resume from, if one was written (or the last good one). */
  checkpoint: string | null;
  diagnosis?: string;
}

function emptySummary(cfg: TrainConfig, history: EpochStats[], t0: number): TrainSummary {
  const last = history[history.length - 1];
  return {
    event: "summary",
    testAccuracy: null,
    valAccuracy: last?.valAccuracy ?? null,
    trainLoss: last?.trainLoss ?? null,
    samplesPerSec: null,
    epochs: history.length,
    seconds: (performance.now() - t0) / 1000,
    testLoss: null,
    model: cfg.out,
    history,
    restoredEpoch: null,
    status: "completed",
    checkpoint: null,
  };
}

export async function runTrain(cfg: TrainConfig, reporter: Reporter): Promise<TrainSummary> {
  const t0 = performance.now();
  checkOutputPaths(cfg.out, cfg.checkpointDir);
  if (cfg.report) checkReportPath(cfg.report);
  const data = await loadTrainingData(cfg.data, cfg.table && { ...cfg.table, prep: { ...cfg.table.prep, notice: (m) => reporter.info(m) } });
  if (data.meta) {
    cfg = { ...cfg, spec: tableSpec(cfg.spec, data.meta) };
    if (data.meta.task === "regression" && cfg.earlyStopping?.monitor === "val_accuracy") throw new SimdnetError("regression has no accuracy: use --monitor val_loss", { field: "--monitor" });
  } else if (data.train.inputSize !== cfg.spec.inputSize)
    throw new SimdnetError(`images have ${data.train.inputSize} pixels each; simdnet's models take ${cfg.spec.inputSize} (28×28)`, { file: data.train.source, field: "dimensions" });
  const { train, val } = splitTrainVal(data.train, cfg.valSplit, cfg.seed);
  const n = train.indices.length;
  if (n === 0) throw new SimdnetError(`a validation fraction of ${cfg.valSplit} leaves none of the ${data.train.count} samples for training`, { field: "--val-split" });
  const batchSize = cfg.batch === "full" ? n : Math.min(cfg.batch, n);
  const backend = await openBackend({ backend: cfg.backend, threads: cfg.threads, fma: cfg.fma, notice: (m) => reporter.warn(m) });
  const optimizer = createOptimizer(cfg.optimizer);
  const net = new Network(cfg.spec, backend, batchSize, optimizer.stateSlots, cfg.dropout);
  net.init(cfg.seed, cfg.init);
  if (cfg.initScale !== 1) backend.scale(net.layout.params, net.paramCount, cfg.initScale);
  if (cfg.initFrom && !cfg.resume) {
    const start = readModelFile(cfg.initFrom);
    net.setParams(start.params);
    net.setState(start.state);
  }
  const schedule = new LrSchedule({ ...cfg.schedule, lr: cfg.lr, epochs: cfg.epochs });
  const fingerprint = dataFingerprint(data.train.labels, train.indices);
  const resume = cfg.resume;
  if (resume) {
    const ck = resume.checkpoint;
    if (ck.data.count !== fingerprint.count || ck.data.labelsCrc32 !== fingerprint.labelsCrc32)
      throw new SimdnetError(`the checkpoint was made on other training data (${ck.data.count} samples, labels ${ck.data.labelsCrc32}; now ${fingerprint.count}, ${fingerprint.labelsCrc32}): give the same --data`, { file: resume.path, field: "data" });
    restoreCheckpoint(ck, net, optimizer, schedule, resume.path);
  }
  reporter.info(
    `simdnet: ${describeStack(net.layout)}, ${net.paramCount.toLocaleString("en-US")} params, ${backend.variant} backend; ` +
      `${data.kind} data ${data.sample ? "(the MNIST sample) " : ""}${data.path}: ${n} train, ${val?.indices.length ?? 0} val${data.test ? `, ${data.test.count} test` : ""}; ` +
      `batch ${batchSize}, ${optimizer.name} lr ${cfg.lr}, seed ${cfg.seed}`,
  );
  if (resume) reporter.info(`resuming ${resume.path}: epoch ${resume.checkpoint.position.epoch}, after batch ${resume.checkpoint.position.batch} (step ${resume.checkpoint.optimizer.steps})`);
  const ckPath = checkpointPath(cfg.out, cfg.checkpointDir);
  const writer = new CheckpointWriter(ckPath);
  let lastCheckpoint: string | null = null;
  const { resume: _r, ...storedConfig } = cfg;
  const snapshot = (position: FitPosition, sched: ReturnType<LrSchedule["state"]>, params?: Float32Array) => {
    writer.write(captureCheckpoint(net, optimizer, sched, position, cfg.seed, storedConfig, fingerprint, params));
    lastCheckpoint = ckPath;
  };
  const watcher = new DivergenceWatcher(net, { lr: cfg.lr, startStep: optimizer.steps });
  let diverged: Diagnosis | null = null;
  const say = (d: Diagnosis) => (cfg.json ? reporter.event("diagnosis", { ...d }) : reporter.warn(d.message));
  const sigint = catchInterrupt(() => reporter.warn("interrupted: finishing the current batch, then writing a checkpoint (Ctrl-C again quits at once)"));
  const result = await fit(net, train, val, {
    epochs: cfg.epochs,
    batchSize,
    schedule,
    start: resume?.checkpoint.position,
    seed: cfg.seed,
    optimizer,
    clipNorm: cfg.clipNorm,
    augment: cfg.augment,
    earlyStopping: cfg.earlyStopping,
    onBatchEnd: (b) => {
      reporter.batch(b, cfg.epochs);
      const d = watcher.batch(b);
      if (d && d.fatal && cfg.onDivergence === "stop") diverged = d;
      else if (d) say(d);
    },
    onEpochEnd: (s) => {
      reporter.epoch(s, cfg.epochs);
      // only healthy, whole epochs: the checkpoint on disk stays the last good one
      if (cfg.checkpointDir && !diverged && !sigint.interrupted()) snapshot({ epoch: s.epoch + 1, batch: 0, lossSum: 0, correct: 0, done: 0 }, schedule.state());
    },
    shouldStop: () => sigint.interrupted() || diverged !== null,
  }).finally(() => sigint.dispose());
  const lastEpoch = result.history[result.history.length - 1]?.epoch ?? resume?.checkpoint.position.epoch ?? 1;
  if (diverged) {
    const d: Diagnosis = diverged;
    say(d);
    const where = lastCheckpoint ?? (resume ? resume.path : null);
    reporter.warn(
      `stopped (--on-divergence stop); no model written. ` +
        (where ? `The last good checkpoint is ${where}.` : `Use --checkpoint-dir DIR to keep a checkpoint of every healthy epoch.`) +
        ` --on-divergence warn keeps training.`,
    );
    return { ...emptySummary(cfg, result.history, t0), status: "diverged", diagnosis: d.message, checkpoint: where };
  }
  if (sigint.interrupted() && (result.stoppedAt || lastEpoch < cfg.epochs)) {
    const position = result.stoppedAt ?? { epoch: lastEpoch + 1, batch: 0, lossSum: 0, correct: 0, done: 0 };
    snapshot(position, result.stoppedAt?.schedule ?? schedule.state(), result.finalParams ?? undefined);
    reporter.warn(`checkpoint written to ${ckPath} (epoch ${position.epoch}, after batch ${position.batch}); continue with: simdnet train --resume ${ckPath}`);
    return { ...emptySummary(cfg, result.history, t0), status: "interrupted", checkpoint: ckPath };
  }
  const last = result.history[result.history.length - 1];
  if (result.restoredEpoch !== null) reporter.info(`early stopping: restored the weights of epoch ${result.restoredEpoch}`);
  const test = data.test ? net.evaluate(allOf(data.test)) : null;
  if (test) reporter.info(`test: loss ${test.loss.toFixed(4)}  accuracy ${(100 * test.accuracy).toFixed(2)}% (${test.count} images)`);
  const tableResult = data.meta && data.table ? tableResults(net, data.meta, data.table, val, (m) => reporter.info(m)) : null;
  const trainSamples = result.history.length * n;
  const trainSeconds = result.history.reduce((s, h) => s + (h.samplesPerSec > 0 ? n / h.samplesPerSec : 0), 0);
  const summary: TrainSummary = {
    event: "summary",
    testAccuracy: test ? test.accuracy : null,
    valAccuracy: last?.valAccuracy ?? null,
    trainLoss: last?.trainLoss ?? null,
    samplesPerSec: trainSeconds > 0 ? trainSamples / trainSeconds : null,
    epochs: result.history.length,
    seconds: (performance.now() - t0) / 1000,
    testLoss: test ? test.loss : null,
    model: cfg.out,
    history: result.history,
    restoredEpoch: result.restoredEpoch,
    status: "completed",
    checkpoint: lastCheckpoint,
    ...(tableResult ?? {}),
  };
  const training = { data: data.path, preset: cfg.preset ?? null, init: cfg.init, epochs: cfg.epochs, batch: batchSize, lr: cfg.lr, valSplit: cfg.valSplit, seed: cfg.seed, optimizer: { ...cfg.optimizer, name: optimizer.name }, clipNorm: cfg.clipNorm, schedule: { ...cfg.schedule, lr: cfg.lr, epochs: cfg.epochs }, dropout: cfg.dropout, augment: cfg.augment ?? null, earlyStopping: cfg.earlyStopping ?? null, backend: backend.variant };
  const bytes = encodeModel(
    cfg.spec,
    net.getParams(),
    {
      createdAt: new Date().toISOString(),
      training,
      metrics: { testAccuracy: summary.testAccuracy, valAccuracy: summary.valAccuracy, trainLoss: summary.trainLoss, samplesPerSec: summary.samplesPerSec, ...(tableResult?.regression ? { val: tableResult.regression } : {}) },
      ...metaHeaderFields(data.meta),
    },
    net.getState(),
  );
  writeFileAtomic(cfg.out, bytes);
  reporter.info(`model written to ${cfg.out}`);
  if (cfg.report) {
    const evalSet = data.test ? { subset: allOf(data.test), name: "test" } : val ? { subset: val, name: "validation" } : { subset: train, name: "training" };
    writeTrainReport(cfg.report, net, evalSet, { config: training, source: { model: cfg.out }, history: result.history, samplesPerSec: summary.samplesPerSec, seconds: summary.seconds, backend: backend.variant, createdAt: new Date().toISOString() });
    reporter.info(`report written to ${cfg.report}`);
  }
  return summary;
}

export async function trainCommand(argv: string[]): Promise<number> {
  const cfg = resolveTrainConfig(argv);
  if (cfg === "help") {
    console.log(helpText("Usage: simdnet train [options]\n\nTrains an MLP or a CNN on MNIST (IDX), a Kaggle digit-recognizer CSV, or any labelled CSV (--label: classes by name or regression; other image sizes).", TRAIN_OPTIONS));
    return 0;
  }
  const reporter: Reporter = cfg.json ? new JsonReporter() : new TextReporter();
  const summary = await runTrain(cfg, reporter).finally(closeAllThreads);
  if (cfg.json) {
    const { event, ...fields } = summary;
    reporter.event(event, fields);
  } else if (summary.status === "completed")
    reporter.info(
      `done: ${summary.epochs} epochs in ${summary.seconds.toFixed(1)}s, ${Math.round(summary.samplesPerSec ?? 0).toLocaleString("en-US")} samples/s` +
        (summary.testAccuracy !== null ? `, test accuracy ${(100 * summary.testAccuracy).toFixed(2)}%` : "") +
        (summary.valAccuracy !== null && Number.isFinite(summary.valAccuracy) ? `, val accuracy ${(100 * summary.valAccuracy).toFixed(2)}%` : "") +
        (summary.regression ? `, val RMSE ${summary.regression.rmse.toPrecision(4)}, MAE ${summary.regression.mae.toPrecision(4)}, R² ${summary.regression.r2.toFixed(4)}` : ""),
    );
  return summary.status === "interrupted" ? EXIT_INTERRUPTED : summary.status === "diverged" ? EXIT_DIVERGED : 0;
}
