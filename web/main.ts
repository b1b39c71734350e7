// The demo page: a drawing pad that predicts live with the current model (on the main thread: one
// 28×28 forward pass of an MLP is microseconds, of a small CNN well under a millisecond), a training
// panel driving the worker (presets: an MLP and CNNs), and model load/save in the CLI's .simdnet format.
import { toOnnx } from "../src/export/onnx.js";
import { foldTableMeta } from "../src/export/fold.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { Network } from "../src/model/network.js";
import { decodeModel, encodeModel } from "../src/model/format.js";
import { metaHeaderFields } from "../src/data/meta-header.js";
import type { DataMeta } from "../src/data/table.js";
import { checkActivation, parseHidden, type ModelSpec } from "../src/model/spec.js";
import { computeLayout, describeStack } from "../src/model/arena.js";
import { fullStack, inputShapeOf } from "../src/layers/index.js";
import { AUGMENT_KINDS, type AugmentKind } from "../src/data/augment.js";
import { SimdnetError } from "../src/errors.js";
import { LineChart } from "./chart.js";
import { inkFromRgba, SIDE, toMnistInput } from "./preprocess.js";
import type { FromWorker, ToWorker } from "./protocol.js";
import { specFor, WEB_PRESETS, type TrainSettings, type WebPresetName } from "./training.js";
import { fetchSample } from "./sample.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const pad = $<HTMLCanvasElement>("pad");
const preview = $<HTMLCanvasElement>("preview");
const predictionEl = $("prediction");
const statusEl = $("status");
const modelInfo = $("model-info");
const testResult = $("test-result");
const trainStats = $("train-stats");
const trainResult = $("train-result");
const dataInfo = $("data-info");
const archInfo = $("arch");
const buttons = {
  clear: $<HTMLButtonElement>("clear"),
  load: $<HTMLButtonElement>("load-model"),
  save: $<HTMLButtonElement>("save-model"),
  saveOnnx: $<HTMLButtonElement>("save-onnx"),
  test: $<HTMLButtonElement>("test-model"),
  train: $<HTMLButtonElement>("train"),
  sample: $<HTMLButtonElement>("train-sample"),
  stop: $<HTMLButtonElement>("stop"),
};

function status(text: string, isError = false): void {
  statusEl.textContent = text;
  statusEl.classList.toggle("error", isError);
}

// ---- the model used for predictions --------------------------------------------------------

interface CurrentModel {
  spec: ModelSpec;
  net: Network;
  params: Float32Array;
  /** Batch-norm running statistics (empty without batch norm). */
  state: Float32Array;
  source: string;
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
  /** A model trained on a table: its class names, scaling and targets (saved with it). */
  meta?: DataMeta;
}
let model: CurrentModel | null = null;

/** The same network: input shape, every layer with its defaults filled in (the output layer too). */
const sameSpec = (a: ModelSpec, b: ModelSpec) =>
  a.inputSize === b.inputSize &&
  inputShapeOf(a).join() === inputShapeOf(b).join() &&
  JSON.stringify(fullStack(a)) === JSON.stringify(fullStack(b));

const paramText = (n: number) => `${n.toLocaleString("en-US")} params`;

function setModel(spec: ModelSpec, params: Float32Array, state: Float32Array, source: string, extra: Pick<CurrentModel, "training" | "metrics" | "meta"> = {}): void {
  const table = spec.inputKind === "f32" || spec.task === "regression" || extra.meta !== undefined; // trained on a table: nothing to draw
  if (!table && spec.inputSize !== SIDE * SIDE) throw new SimdnetError(`this model takes ${spec.inputSize} inputs; the pad draws 28×28 = 784`, { file: source, field: "inputSize" });
  if (!table && spec.inputShape && spec.inputShape.join() !== [SIDE, SIDE, 1].join())
    throw new SimdnetError(`this model takes ${spec.inputShape.join("×")} images; the pad draws 28×28×1`, { file: source, field: "inputShape" });
  const net = model && sameSpec(model.spec, spec) ? model.net : new Network(spec, new WasmBackend(), 1);
  net.setParams(params);
  net.setState(state);
  model = { spec, net, params, state, source, ...extra };
  const acc = extra.metrics?.testAccuracy ?? extra.metrics?.valAccuracy;
  modelInfo.textContent =
    `${describeStack(net.layout)} · ${paramText(net.paramCount)} · ${source}` +
    (typeof acc === "number" ? ` · ${extra.metrics?.testAccuracy != null ? "test" : "val"} accuracy ${(100 * acc).toFixed(2)}%` : "");
  modelInfo.classList.remove("muted");
  updateButtons();
  predict();
}

// ---- drawing pad ---------------------------------------------------------------------------

const g = pad.getContext("2d", { willReadFrequently: true })!;
const STROKE = 22; // px on the 280×280 pad: ~2 px after the 20 px fit, like MNIST pens

function clearPad(): void {
  g.fillStyle = "#000";
  g.fillRect(0, 0, pad.width, pad.height);
  predict();
}

let last: [number, number] | null = null;
const padPoint = (e: PointerEvent): [number, number] => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
};
function strokeTo(p: [number, number]): void {
  g.strokeStyle = "#fff";
  g.lineWidth = STROKE;
  g.lineCap = g.lineJoin = "round";
  g.beginPath();
  g.moveTo(...(last ?? p));
  g.lineTo(...p);
  g.stroke();
  last = p;
}
pad.addEventListener("pointerdown", (e) => {
  pad.setPointerCapture(e.pointerId);
  last = null;
  strokeTo(padPoint(e));
  schedulePredict();
});
pad.addEventListener("pointermove", (e) => {
  if (!last) return;
  for (const ev of e.getCoalescedEvents?.() ?? [e]) strokeTo(padPoint(ev));
  schedulePredict();
});
const endStroke = () => {
  last = null;
  predict();
};
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);
buttons.clear.addEventListener("click", clearPad);

// ---- prediction and the bar chart -----------------------------------------------------------

const bars = $("bars");
const barRows = Array.from({ length: 10 }, (_, d) => {
  const digit = document.createElement("span");
  digit.className = "digit";
  digit.textContent = String(d);
  const track = document.createElement("div");
  track.className = "track";
  const fill = document.createElement("div");
  fill.className = "fill";
  track.append(fill);
  const pct = document.createElement("span");
  pct.className = "pct";
  bars.append(digit, track, pct);
  return { track, fill, pct };
});

let predictQueued = false;
function schedulePredict(): void {
  if (predictQueued) return;
  predictQueued = true;
  requestAnimationFrame(() => {
    predictQueued = false;
    predict();
  });
}

function predict(): void {
  const input = toMnistInput(inkFromRgba(g.getImageData(0, 0, pad.width, pad.height).data, pad.width, pad.height), pad.width, pad.height);
  const pg = preview.getContext("2d")!;
  const img = pg.createImageData(SIDE, SIDE);
  if (input) for (let i = 0; i < input.length; i++) img.data.set([input[i], input[i], input[i], 255], i * 4);
  else for (let i = 0; i < SIDE * SIDE; i++) img.data[i * 4 + 3] = 255;
  pg.putImageData(img, 0, 0);

  const probs = input && model && !model.meta && !model.spec.inputKind && !model.spec.task ? model.net.predictProbs(input, 1) : null;
  let best = -1;
  if (probs) for (let d = 0; d < 10; d++) if (best < 0 || probs[d] > probs[best]) best = d;
  barRows.forEach((row, d) => {
    const p = probs ? probs[d] : 0;
    row.fill.style.width = `${(100 * p).toFixed(1)}%`;
    row.track.dataset.prob = String(p);
    row.pct.textContent = probs ? `${(100 * p).toFixed(1)}%` : "";
    row.track.classList.toggle("top", d === best);
  });
  predictionEl.textContent = best >= 0 ? String(best) : "–";
  predictionEl.dataset.class = best >= 0 ? String(best) : "";
  predictionEl.title = best >= 0 ? `${(100 * probs![best]).toFixed(1)}%` : "";
}

// ---- model load / save ----------------------------------------------------------------------

const modelFile = $<HTMLInputElement>("model-file");
buttons.load.addEventListener("click", () => modelFile.click());
modelFile.addEventListener("change", async () => {
  const file = modelFile.files?.[0];
  modelFile.value = "";
  if (!file) return;
  try {
    const m = decodeModel(new Uint8Array(await file.arrayBuffer()), file.name);
    setModel(m.spec, m.params, m.state, file.name, { training: m.header.training, metrics: m.header.metrics, meta: m.meta });
    testResult.textContent = "";
    status(`loaded ${file.name}`);
  } catch (e) {
    status(`could not load the model: ${(e as Error).message}`, true);
  }
});

buttons.save.addEventListener("click", () => {
  if (!model) return;
  const bytes = encodeModel(model.spec, model.params, { createdAt: new Date().toISOString(), training: model.training, metrics: model.metrics, ...metaHeaderFields(model.meta) }, model.state);
  download(bytes, "model.simdnet");
  status(`saved model.simdnet (${bytes.length.toLocaleString("en-US")} bytes)`);
});

// ONNX: the same export as `simdnet export --format onnx` (src/export/onnx.ts is browser-safe)
buttons.saveOnnx.addEventListener("click", () => {
  if (!model) return;
  try {
    const params = model.meta ? foldTableMeta(model.spec, model.params, model.meta) : model.params;
    const bytes = toOnnx({ spec: model.spec, params, state: model.state }, { output: model.meta?.task === "regression" ? "logits" : "probabilities" });
    download(bytes, "model.onnx");
    status(`saved model.onnx (${bytes.length.toLocaleString("en-US")} bytes; input: pixels / 255)`);
  } catch (e) {
    status(`could not export ONNX: ${(e as Error).message}`, true);
  }
});

function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

buttons.test.addEventListener("click", () => {
  if (!model) return;
  testResult.textContent = "testing…";
  delete testResult.dataset.loss; // they described the previous test
  delete testResult.dataset.accuracy;
  send({ type: "evaluate", spec: model.spec, params: model.params, state: model.state });
});

// ---- training (in the worker) ---------------------------------------------------------------

const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const send = (msg: ToWorker) => worker.postMessage(msg);
let haveData = false; // any labelled images: enough to test a model
let haveTrainData = false;
let training = false;
let trainSettings: TrainSettings | null = null;
let dataDescription = "";
/** "Train on the sample": fetching it, then training as soon as the worker has read it. */
let sampleState: "idle" | "loading" | "train-when-loaded" = "idle";

const lossChart = new LineChart($<HTMLCanvasElement>("loss-chart"), "loss", [
  { label: "train", color: "#2f6fe4" },
  { label: "validation", color: "#e4572e", dots: true },
], (max) => {
  const step = max <= 2 ? 0.5 : max <= 5 ? 1 : 2;
  return [0, Math.max(step, Math.ceil(max / step) * step), step];
}, (y) => y.toFixed(1));
const accChart = new LineChart($<HTMLCanvasElement>("acc-chart"), "accuracy", [
  { label: "train", color: "#2f6fe4" },
  { label: "validation", color: "#e4572e", dots: true },
], () => [0, 1, 0.25], (y) => `${Math.round(100 * y)}%`);

function updateButtons(): void {
  buttons.train.disabled = !haveTrainData || training;
  buttons.sample.disabled = training || sampleState !== "idle";
  buttons.stop.disabled = !training;
  buttons.save.disabled = !model;
  buttons.saveOnnx.disabled = !model;
  buttons.test.disabled = !model || !haveData || training;
  buttons.load.disabled = training;
}

$<HTMLInputElement>("data-files").addEventListener("change", (e) => {
  const files = Array.from((e.target as HTMLInputElement).files ?? []);
  if (files.length === 0) return;
  haveData = haveTrainData = false;
  sampleState = "idle";
  updateButtons();
  dataInfo.textContent = `reading ${files.length} file${files.length > 1 ? "s" : ""}…`;
  send({ type: "load-data", files });
});

buttons.sample.addEventListener("click", async () => {
  sampleState = "loading";
  haveData = haveTrainData = false;
  updateButtons();
  dataInfo.textContent = "fetching the MNIST sample…";
  try {
    const files = await fetchSample();
    sampleState = "train-when-loaded";
    send({ type: "load-data", files });
  } catch (e) {
    sampleState = "idle";
    dataInfo.textContent = "no data loaded";
    status((e as Error).message, true);
    updateButtons();
  }
});

const form = $<HTMLFormElement>("settings");
const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

function readSettings(): TrainSettings {
  const f = new FormData(form);
  const get = (k: string) => String(f.get(k) ?? "").trim();
  const num = (k: string, ok: (v: number) => boolean, what: string) => {
    const v = Number(get(k));
    if (get(k) === "" || !ok(v)) throw new SimdnetError(`expected ${what}, got "${get(k)}"`, { field: k });
    return v;
  };
  const augment = get("augment");
  if (!(AUGMENT_KINDS as string[]).includes(augment)) throw new SimdnetError(`unknown augmentation "${augment}"`, { field: "augment" });
  const layers = get("layers");
  return {
    ...(layers ? { layers } : {}),
    hidden: layers ? [] : parseHidden(get("hidden"), "hidden"),
    activation: checkActivation(get("activation"), "activation"),
    optimizer: get("optimizer") === "adam" ? "adam" : "sgd",
    lr: num("lr", (v) => v > 0 && v < 10, "a learning rate in (0, 10)"),
    epochs: num("epochs", (v) => Number.isInteger(v) && v >= 1 && v <= 1000, "an integer 1..1000"),
    batchSize: num("batch", (v) => Number.isInteger(v) && v >= 1, "a positive integer"),
    valSplit: num("valSplit", (v) => v >= 0 && v < 1, "a fraction in [0, 1)"),
    seed: num("seed", (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32, "an integer in [0, 2^32)"),
    augment: augment as AugmentKind,
    warmup: num("warmup", (v) => v >= 0 && v <= 100, "warm-up epochs in [0, 100]"),
    weightDecay: num("weightDecay", (v) => v >= 0 && v < 1, "a weight decay in [0, 1)"),
  };
}

/** Fills the form with a preset's settings. */
function applyPreset(name: WebPresetName): void {
  const s = WEB_PRESETS[name].settings;
  const set = (k: string, v: string) => (field(k).value = v);
  set("preset", name);
  set("layers", s.layers ?? "");
  set("hidden", s.hidden.join(","));
  set("activation", s.activation);
  set("optimizer", s.optimizer);
  set("lr", String(s.lr));
  set("epochs", String(s.epochs));
  set("batch", String(s.batchSize));
  set("valSplit", String(s.valSplit));
  set("seed", String(s.seed));
  set("augment", s.augment ?? "none");
  set("warmup", String(s.warmup ?? 0));
  set("weightDecay", String(s.weightDecay ?? 0));
  showArchitecture();
}

/** Normalised for comparison with a preset: absent options at their defaults. */
const canonical = (s: TrainSettings) =>
  JSON.stringify([s.layers ?? "", s.layers ? [] : s.hidden, s.activation, s.optimizer, s.lr, s.epochs, s.batchSize, s.valSplit, s.seed, s.augment ?? "none", s.warmup ?? 0, s.weightDecay ?? 0]);

/** The architecture line under the form: the stack the settings describe and its parameter count, or what is wrong. */
function showArchitecture(): void {
  const hasLayers = String(field("layers").value).trim() !== "";
  (field("hidden") as HTMLInputElement).disabled = hasLayers;
  try {
    const s = readSettings();
    const layout = computeLayout(specFor(s), 1);
    archInfo.textContent = `${describeStack(layout)} · ${paramText(layout.paramCount)}`;
    archInfo.classList.remove("error");
    const match = (Object.keys(WEB_PRESETS) as WebPresetName[]).find((n) => canonical(WEB_PRESETS[n].settings) === canonical(s));
    field("preset").value = match ?? "custom";
    $("preset-note").textContent = match ? `${WEB_PRESETS[match].label}: ${WEB_PRESETS[match].note}` : "custom settings (pick a model to start from a preset)";
  } catch (e) {
    archInfo.textContent = (e as Error).message;
    archInfo.classList.add("error");
  }
}
form.addEventListener("input", (e) => {
  if ((e.target as HTMLElement).getAttribute("name") === "preset") return;
  showArchitecture();
});
field("preset").addEventListener("change", () => {
  const v = field("preset").value;
  if (v in WEB_PRESETS) applyPreset(v as WebPresetName);
});

function startTraining(): void {
  try {
    trainSettings = readSettings();
  } catch (e) {
    status((e as Error).message, true);
    return;
  }
  training = true;
  updateButtons();
  trainResult.textContent = "";
  delete trainResult.dataset.history;
  status("training in a Web Worker — keep drawing, the pad predicts with the model as it learns");
  send({ type: "train", settings: trainSettings });
}
buttons.train.addEventListener("click", startTraining);
buttons.stop.addEventListener("click", () => send({ type: "stop" }));

let totalSteps = 1;
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case "data":
      haveData = true;
      haveTrainData = m.trainCount !== null;
      dataDescription = sampleState === "train-when-loaded" ? `the MNIST sample: ${m.description}` : m.description;
      dataInfo.textContent = dataDescription;
      status(`data ready: ${dataDescription}. ${haveTrainData ? "Press Train." : "Only test images: load a model and press Test."}`);
      updateButtons();
      if (sampleState === "train-when-loaded") {
        sampleState = "idle";
        startTraining();
      }
      break;
    case "engine":
      $("engine").textContent = m.text;
      if (m.threads !== undefined) $("engine").dataset.threads = String(m.threads);
      break;
    case "started":
      totalSteps = m.stepsPerEpoch * (trainSettings?.epochs ?? 1);
      lossChart.reset(totalSteps);
      testResult.textContent = ""; // it described the previous model
      accChart.reset(totalSteps);
      trainStats.textContent = `${describeStack(computeLayout(m.spec, 1))}: ${m.trainCount.toLocaleString("en-US")} train, ${m.valCount.toLocaleString("en-US")} validation`;
      break;
    case "progress": {
      const p = m.progress;
      lossChart.add(0, p.step, p.loss);
      accChart.add(0, p.step, p.accuracy);
      trainStats.textContent =
        `epoch ${p.epoch}/${p.epochs} · step ${p.step}/${totalSteps} · loss ${p.loss.toFixed(3)} · ` +
        `accuracy ${(100 * p.accuracy).toFixed(1)}% · ${Math.round(p.samplesPerSec).toLocaleString("en-US")} samples/s`;
      break;
    }
    case "params":
      setModel(m.spec, m.params, m.state, "training…", { training: trainingRecord() });
      break;
    case "epoch":
      if (m.stats.valLoss !== null) lossChart.add(1, m.step, m.stats.valLoss);
      if (m.stats.valAccuracy !== null) accChart.add(1, m.step, m.stats.valAccuracy);
      break;
    case "done": {
      training = false;
      const last = m.history[m.history.length - 1];
      const metrics = {
        testAccuracy: m.test?.accuracy ?? null,
        valAccuracy: last?.valAccuracy ?? null,
        trainLoss: last?.trainLoss ?? null,
        samplesPerSec: last?.samplesPerSec ?? null,
      };
      setModel(m.spec, m.params, m.state, "trained here", { training: trainingRecord(), metrics, meta: m.meta });
      const pct = (v: number | null | undefined) => (v == null ? "–" : `${(100 * v).toFixed(2)}%`);
      trainResult.textContent =
        `${m.stoppedEarly ? "stopped" : "done"} after ${m.history.length} epoch${m.history.length === 1 ? "" : "s"} in ${m.seconds.toFixed(1)} s — ` +
        `validation accuracy ${pct(last?.valAccuracy)}${m.test ? `, test accuracy ${pct(m.test.accuracy)} (${m.test.count.toLocaleString("en-US")} images)` : ""}`;
      trainResult.classList.remove("muted");
      // the full-precision history, for anyone replaying the run elsewhere (the browser tests do)
      trainResult.dataset.history = JSON.stringify(m.history);
      trainResult.dataset.valAccuracy = String(last?.valAccuracy ?? "");
      trainResult.dataset.testAccuracy = String(m.test?.accuracy ?? "");
      status("training finished — draw a digit, or save the model");
      updateButtons();
      break;
    }
    case "evaluated":
      testResult.textContent = `${m.set}: accuracy ${(100 * m.accuracy).toFixed(2)}%, loss ${m.loss.toFixed(4)} (${m.count.toLocaleString("en-US")} images)`;
      testResult.dataset.loss = String(m.loss);
      testResult.dataset.accuracy = String(m.accuracy);
      testResult.classList.remove("muted");
      break;
    case "error":
      if (training) training = false;
      sampleState = "idle";
      if (!haveData) dataInfo.textContent = "no data loaded";
      testResult.textContent = testResult.textContent === "testing…" ? "" : testResult.textContent;
      status(m.message, true);
      updateButtons();
      break;
  }
};
worker.onerror = (e) => status(`the training worker failed: ${e.message}`, true);

function trainingRecord(): Record<string, unknown> {
  return { ...trainSettings, data: dataDescription, backend: "wasm-simd (browser worker)" };
}

// ---- start ----------------------------------------------------------------------------------

applyPreset("mlp");
$("engine").textContent =
  `SIMD WebAssembly kernels · training runs in a Web Worker · ` +
  (globalThis.crossOriginIsolated ? `up to ${navigator.hardwareConcurrency} threads (cross-origin isolated)` : "one thread (not cross-origin isolated: no shared memory)");
clearPad();
updateButtons();
status("no model yet — train one or load a .simdnet file");
