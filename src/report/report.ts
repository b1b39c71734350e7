// The training report: one self-contained HTML file (inline CSS, inline SVG charts, digits as PNG
// data URLs, no script, a CSP that forbids any fetch). Pure: builds a string from numbers, so the
// browser build could use it too; src/cli/train.ts writes it for `simdnet train --report`.
import { argmaxRows, confusionMatrix, perClassMetrics } from "../model/metrics.js";
import { layerSizes, type ModelSpec } from "../model/spec.js";
import { computeLayout, describeStack, paramCount } from "../model/arena.js";
import type { Network } from "../model/network.js";
import type { Subset } from "../data/dataset.js";
import type { EpochStats } from "../train/trainer.js";
import { escapeHtml, lineChart } from "./chart.js";
import { encodeGrayPng, toBase64 } from "./png.js";

/** The images a model was scored on, with its class probabilities for each. */
export interface ScoredSet {
  /** "test" or "validation" (or any name for the heading). */
  name: string;
  images: Uint8Array; // (count, inputSize) uint8
  labels: Uint8Array; // (count)
  probs: Float32Array; // (count, classes)
  count: number;
}

/** Runs the network over a labelled subset (rows gathered in subset order). */
export function scoreSubset(net: Network, subset: Subset, name: string): ScoredSet {
  const { data, indices } = subset;
  if (!data.labels) throw new RangeError(`the ${name} set has no labels`);
  const D = data.inputSize;
  const count = indices.length;
  const images = new Uint8Array(count * D);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    images.set(data.images.subarray(indices[r] * D, (indices[r] + 1) * D), r * D);
    labels[r] = data.labels[indices[r]];
  }
  return { name, images, labels, probs: net.predictProbs(images, count), count };
}

export interface ReportInput {
  title?: string;
  createdAt?: string;
  spec: ModelSpec;
  /** Where the data came from, the trained model file, etc.: shown as given. */
  source?: Record<string, string>;
  /** The training configuration, shown as a table (nested objects flattened to a.b keys). */
  config: Record<string, unknown>;
  history: EpochStats[];
  scored: ScoredSet | null;
  /** Training samples per second over the whole run, and the run's wall time. */
  samplesPerSec: number | null;
  seconds: number;
  backend: string;
  /** How many misclassified digits to show (the most confident mistakes first). Default 40. */
  mistakes?: number;
}

export interface Mistake {
  index: number; // row in the scored set
  label: number;
  predicted: number;
  confidence: number; // probability of the predicted class
}

/** Misclassified rows, the most confident first (ties: lower index first). */
export function confidentMistakes(scored: ScoredSet, classes: number, limit: number): Mistake[] {
  const predicted = argmaxRows(scored.probs, classes);
  const out: Mistake[] = [];
  for (let i = 0; i < scored.count; i++)
    if (predicted[i] !== scored.labels[i]) out.push({ index: i, label: scored.labels[i], predicted: predicted[i], confidence: scored.probs[i * classes + predicted[i]] });
  out.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  return out.slice(0, limit);
}

const pct = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : `${(100 * v).toFixed(d)}%`);
const fixed = (v: number | null | undefined, d = 4) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(d));
const int = (v: number) => Math.round(v).toLocaleString("en-US");

function flatten(obj: Record<string, unknown>, prefix = ""): [string, string][] {
  const rows: [string, string][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) rows.push(...flatten(v as Record<string, unknown>, key));
    else if (v !== undefined) rows.push([key, v === null ? "–" : Array.isArray(v) ? v.join(", ") : String(v)]);
  }
  return rows;
}

const table = (rows: [string, string][], cls: string) =>
  `<table class="${cls}">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`;

function confusionTable(confusion: number[][]): string {
  const C = confusion.length;
  const rowMax = confusion.map((r) => Math.max(1, ...r));
  const head = `<tr><th class="corner">true ╲ predicted</th>${confusion.map((_, p) => `<th>${p}</th>`).join("")}</tr>`;
  const body = confusion
    .map((row, t) => {
      const cells = row.map((v, p) => {
        // diagonal green, off-diagonal red, shade by the share of the row (so small classes show too)
        const share = v / rowMax[t];
        const hue = p === t ? 140 : 0;
        const bg = v === 0 ? "transparent" : `hsla(${hue}, 65%, 45%, ${(0.12 + 0.78 * share).toFixed(3)})`;
        return `<td class="${p === t ? "diag" : v ? "off" : "zero"}" style="background:${bg}" title="true ${t}, predicted ${p}: ${v}">${v}</td>`;
      });
      return `<tr><th>${t}</th>${cells.join("")}</tr>`;
    })
    .join("");
  return `<table id="confusion" class="confusion" data-classes="${C}">${head}${body}</table>`;
}

function digitGrid(scored: ScoredSet, mistakes: Mistake[], inputSize: number): string {
  const side = Math.round(Math.sqrt(inputSize));
  if (side * side !== inputSize) return `<p>Images of ${inputSize} pixels are not square; no digits drawn.</p>`;
  if (!mistakes.length) return `<p>No misclassified images in the ${escapeHtml(scored.name)} set.</p>`;
  const ink = new Uint8Array(inputSize);
  const cells = mistakes.map((m) => {
    const px = scored.images.subarray(m.index * inputSize, (m.index + 1) * inputSize);
    for (let i = 0; i < inputSize; i++) ink[i] = 255 - px[i]; // dark ink on light paper
    const src = `data:image/png;base64,${toBase64(encodeGrayPng(ink, side, side))}`;
    const caption = `true ${m.label} → ${m.predicted}`;
    return (
      `<figure class="digit" data-index="${m.index}" data-label="${m.label}" data-predicted="${m.predicted}">` +
      `<img src="${src}" width="${side * 2}" height="${side * 2}" alt="${escapeHtml(`${scored.name} image ${m.index}: ${caption}`)}">` +
      `<figcaption><span class="truth">${m.label}</span> → <span class="pred">${m.predicted}</span><br>${(100 * m.confidence).toFixed(1)}%</figcaption></figure>`
    );
  });
  return `<div id="mistakes" class="digit-grid">${cells.join("")}</div>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;background:#f6f7f9;margin:0}
main{max-width:1120px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:#5b6475;margin:0 0 18px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:10px 14px;min-width:140px}
.card b{display:block;font-size:20px}.card span{color:#5b6475;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart{background:#fff;border:1px solid #dde1e8;border-radius:8px;max-width:100%;height:auto}
.chart .frame{fill:none;stroke:#c3c9d4}.chart .grid{stroke:#eceff3}
.chart .series{fill:none;stroke-width:2;stroke-linejoin:round}
.chart text{font-size:11px;fill:#5b6475}.chart .chart-title{font-size:13px;font-weight:600;fill:#1d2330}
table{border-collapse:collapse;background:#fff}
th,td{border:1px solid #dde1e8;padding:3px 8px;text-align:right;font-variant-numeric:tabular-nums}
th{background:#f0f2f5;font-weight:600}
.kv th{text-align:left}.kv td{text-align:left}
.confusion td{min-width:38px}.confusion .diag{font-weight:700}.confusion .zero{color:#b5bcc8}
.cols{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.digit-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(76px,1fr));gap:8px}
.digit{margin:0;background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:6px;text-align:center}
.digit img{image-rendering:pixelated;display:block;margin:0 auto}
.digit figcaption{font-size:12px;color:#5b6475}.digit .truth{color:#137333;font-weight:700}.digit .pred{color:#c5221f;font-weight:700}
`;

export function renderReport(r: ReportInput): string {
  const C = r.spec.outputSize;
  const h = r.history;
  const title = r.title ?? "simdnet training report";
  const scored = r.scored;
  const predicted = scored ? argmaxRows(scored.probs, C) : null;
  const confusion = scored && predicted ? confusionMatrix(predicted, scored.labels, C) : null;
  const accuracy = confusion ? confusion.reduce((s, row, t) => s + row[t], 0) / Math.max(1, scored!.count) : null;
  const mistakes = scored ? confidentMistakes(scored, C, r.mistakes ?? 40) : [];
  const last = h[h.length - 1];

  const cards: [string, string][] = [
    [scored ? `${scored.name} accuracy` : "accuracy", pct(accuracy)],
    ["val accuracy", pct(last?.valAccuracy)],
    ["train loss", fixed(last?.trainLoss)],
    ["samples/s", r.samplesPerSec === null ? "–" : int(r.samplesPerSec)],
    ["time", `${r.seconds.toFixed(1)} s`],
    ["epochs", String(h.length)],
  ];
  const lossChart = lineChart(
    [
      { name: "train", values: h.map((s) => s.trainLoss), color: "#1a73e8" },
      { name: "validation", values: h.map((s) => s.valLoss), color: "#e8710a", dashed: true },
    ],
    { id: "loss-chart", title: "Loss (cross-entropy)", yLabel: "loss", format: (v) => v.toFixed(v < 0.1 ? 3 : 2) },
  );
  const accChart = lineChart(
    [
      { name: "train", values: h.map((s) => s.trainAccuracy), color: "#1a73e8" },
      { name: "validation", values: h.map((s) => s.valAccuracy), color: "#e8710a", dashed: true },
    ],
    { id: "accuracy-chart", title: "Accuracy", yLabel: "accuracy", yMax: 1, format: (v) => `${Number((100 * v).toFixed(1))}%` },
  );
  const model: [string, string][] = [
    ["layers", r.spec.layers ? describeStack(computeLayout(r.spec, 1)) : layerSizes(r.spec).join(" → ")],
    ["hidden activation", r.spec.activation],
    ["output", "softmax"],
    ["parameters", int(paramCount(r.spec))],
    ["input", `${r.spec.inputSize} uint8 pixels, scaled by 1/255`],
  ];
  const throughput = h
    .map((s) => `<tr><td>${s.epoch}</td><td>${s.lr.toPrecision(3)}</td><td>${int(s.samplesPerSec)}</td><td>${s.seconds.toFixed(2)}</td><td>${fixed(s.trainLoss)}</td><td>${pct(s.trainAccuracy)}</td><td>${fixed(s.valLoss)}</td><td>${pct(s.valAccuracy)}</td></tr>`)
    .join("");
  const classRows = confusion
    ? perClassMetrics(confusion)
        .map((c) => `<tr><th>${c.label}</th><td>${pct(c.precision, 1)}</td><td>${pct(c.recall, 1)}</td><td>${c.support}</td></tr>`)
        .join("")
    : "";

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml([describeStack(computeLayout(r.spec, 1)), r.backend, r.createdAt ?? ""].filter(Boolean).join(" · "))}</p>
<section id="summary" class="cards">${cards.map(([k, v]) => `<div class="card"><b>${escapeHtml(v)}</b><span>${escapeHtml(k)}</span></div>`).join("")}</section>
<h2>Learning curves</h2>
<section id="curves" class="charts">${lossChart}${accChart}</section>
${
  scored && confusion
    ? `<h2>Confusion matrix — ${escapeHtml(scored.name)} set (${int(scored.count)} images)</h2>
<section class="cols">${confusionTable(confusion)}
<table id="per-class" class="per-class"><tr><th>class</th><th>precision</th><th>recall</th><th>support</th></tr>${classRows}</table></section>
<h2>Most confidently misclassified ${escapeHtml(scored.name)} digits</h2>
<p class="sub">${int(mistakes.length)} of ${int(scored.count - Math.round((accuracy ?? 0) * scored.count))} mistakes, highest predicted-class probability first: <span class="truth">true</span> → <span class="pred">predicted</span>, confidence.</p>
${digitGrid(scored, mistakes, r.spec.inputSize)}`
    : `<h2>Evaluation</h2><p>No labelled test or validation set was available, so there is no confusion matrix.</p>`
}
<h2>Model and training</h2>
<section class="cols">${table(model, "kv model")}${table([...Object.entries(r.source ?? {}), ...flatten(r.config)], "kv config")}</section>
<h2>Throughput</h2>
<p class="sub">${r.samplesPerSec === null ? "" : `${int(r.samplesPerSec)} training samples/s over the run (evaluation excluded), `}${r.seconds.toFixed(1)} s wall time, ${escapeHtml(r.backend)} backend.</p>
<table id="epochs" class="epochs"><tr><th>epoch</th><th>lr</th><th>samples/s</th><th>seconds</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th></tr>${throughput}</table>
</main></body></html>
`;
}
