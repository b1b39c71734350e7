// The training report: one self-contained HTML file (no network, no script) with the loss and
// accuracy curves (inline SVG), the confusion matrix, the most confidently misclassified digits
// (PNG data URLs), the model and training config, and throughput. Pure: returns a string.
import type { Subset } from "../data/dataset.js";
import type { Network } from "../model/network.js";
import { argmaxRows, confusionMatrix, perClassMetrics } from "../model/metrics.js";
import type { EpochStats } from "../train/trainer.js";
import { grayPng, pngDataUrl } from "./png.js";

export interface Mistake {
  index: number; // row in the evaluated set
  label: number;
  predicted: number;
  confidence: number; // probability given to the wrong class
  png: string; // data URL
}

export interface ReportInput {
  title: string;
  model: { layers: number[]; activation: string; params: number; backend: string };
  config: Record<string, unknown>;
  history: EpochStats[];
  /** The set the confusion matrix and mistakes come from, and its name ("test", "validation"). */
  evalSet: Subset;
  evalName: string;
  samplesPerSec: number | null;
  seconds: number;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
const pct = (v: number | null | undefined) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(2)}%`);

/** The `count` wrong predictions the model was surest of. */
export function worstMistakes(net: Network, set: Subset, probs: Float32Array, count: number): Mistake[] {
  const C = net.spec.outputSize;
  const D = set.data.inputSize;
  const side = Math.round(Math.sqrt(D));
  const predicted = argmaxRows(probs, C);
  const wrong: { i: number; p: number }[] = [];
  for (let i = 0; i < set.indices.length; i++) {
    const label = set.data.labels![set.indices[i]];
    if (predicted[i] !== label) wrong.push({ i, p: probs[i * C + predicted[i]] });
  }
  wrong.sort((a, b) => b.p - a.p);
  return wrong.slice(0, count).map(({ i, p }) => {
    const row = set.indices[i];
    const pixels = set.data.images.subarray(row * D, (row + 1) * D);
    return { index: row, label: set.data.labels![row], predicted: predicted[i], confidence: p, png: side * side === D ? pngDataUrl(grayPng(pixels, side, side)) : "" };
  });
}

/** Probabilities for a subset's rows, in subset order. */
export function subsetProbs(net: Network, set: Subset): Float32Array {
  const D = set.data.inputSize;
  const n = set.indices.length;
  const pixels = new Uint8Array(n * D);
  for (let r = 0; r < n; r++) pixels.set(set.data.images.subarray(set.indices[r] * D, (set.indices[r] + 1) * D), r * D);
  return net.predictProbs(pixels, n);
}

interface Series {
  name: string;
  values: (number | null)[];
  color: string;
}

/** A line chart of per-epoch series as inline SVG (one <path> per series). */
function lineChart(title: string, series: Series[], percent: boolean): string {
  const W = 420, H = 240, L = 52, R = 12, T = 28, B = 36;
  const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = Math.min(...all), hi = Math.max(...all);
  if (!all.length) (lo = 0), (hi = 1);
  if (hi - lo < 1e-9) (lo -= 0.5 * (Math.abs(lo) || 1) * 0.1), (hi += 0.5 * (Math.abs(hi) || 1) * 0.1);
  const x = (i: number) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v: number) => T + ((hi - v) * (H - T - B)) / (hi - lo);
  const fmt = (v: number) => (percent ? `${(100 * v).toFixed(1)}%` : v.toFixed(3));
  const parts = [`<svg class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`, `<text x="${L}" y="16" class="t">${esc(title)}</text>`];
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/><text x="${L - 4}" y="${(y(v) + 4).toFixed(1)}" class="yl">${fmt(v)}</text>`);
  }
  const step = Math.max(1, Math.ceil(n / 10));
  for (let i = 0; i < n; i += step) parts.push(`<text x="${x(i).toFixed(1)}" y="${H - B + 16}" class="xl">${i + 1}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 4}" class="xl">epoch</text>`);
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : [x(i), y(v)] as const)).filter((p) => p !== null);
    if (!pts.length) return;
    const d = pts.map((p, i) => `${i ? "L" : "M"}${p![0].toFixed(1)},${p![1].toFixed(1)}`).join(" ");
    parts.push(`<path class="series" data-series="${esc(s.name)}" d="${d}" stroke="${s.color}" fill="none" stroke-width="2"/>`);
    for (const p of pts) parts.push(`<circle cx="${p![0].toFixed(1)}" cy="${p![1].toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    parts.push(`<rect x="${W - R - 170 + k * 80}" y="7" width="10" height="10" fill="${s.color}"/><text x="${W - R - 155 + k * 80}" y="16" class="lg">${esc(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

function confusionTable(m: number[][]): string {
  const max = Math.max(1, ...m.flatMap((row, t) => row.filter((_, p) => p !== t)));
  const head = `<tr><th>true \\ pred</th>${m.map((_, p) => `<th>${p}</th>`).join("")}</tr>`;
  const rows = m.map((row, t) => {
    const cells = row.map((v, p) => {
      const shade = p === t ? "background:#d8ecd8" : v ? `background:rgba(214,69,65,${(0.15 + 0.85 * (v / max)).toFixed(2)})` : "";
      return `<td style="${shade}">${v}</td>`;
    });
    return `<tr><th>${t}</th>${cells.join("")}</tr>`;
  });
  return `<table class="cm">${head}${rows.join("")}</table>`;
}

function configRows(obj: Record<string, unknown>): string {
  const show = (v: unknown): string => (v === null || v === undefined ? "–" : typeof v === "object" ? Object.entries(v as object).map(([k, x]) => `${k}=${show(x)}`).join(" ") : String(v));
  return Object.entries(obj).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(show(v))}</td></tr>`).join("");
}

export function renderReport(net: Network, r: ReportInput, mistakesShown = 36): string {
  const probs = subsetProbs(net, r.evalSet);
  const labels = Uint8Array.from(r.evalSet.indices, (i) => r.evalSet.data.labels![i]);
  const predicted = argmaxRows(probs, net.spec.outputSize);
  const confusion = confusionMatrix(predicted, labels, net.spec.outputSize);
  const classes = perClassMetrics(confusion);
  const correct = confusion.reduce((s, row, i) => s + row[i], 0);
  const n = labels.length;
  const mistakes = worstMistakes(net, r.evalSet, probs, mistakesShown);
  const h = r.history;
  const loss = lineChart("loss (cross-entropy)", [
    { name: "train", values: h.map((e) => e.trainLoss), color: "#1f77b4" },
    { name: "validation", values: h.map((e) => e.valLoss), color: "#ff7f0e" },
  ], false);
  const acc = lineChart("accuracy", [
    { name: "train", values: h.map((e) => e.trainAccuracy), color: "#1f77b4" },
    { name: "validation", values: h.map((e) => e.valAccuracy), color: "#ff7f0e" },
  ], true);
  const grid = mistakes.length
    ? mistakes.map((m) => `<figure class="digit" data-label="${m.label}" data-predicted="${m.predicted}"><img src="${m.png}" width="56" height="56" alt="true ${m.label}, predicted ${m.predicted}"><figcaption>true <b>${m.label}</b> → <b class="bad">${m.predicted}</b><br>${pct(m.confidence)}</figcaption></figure>`).join("")
    : `<p>No misclassified images in the ${esc(r.evalName)} set.</p>`;
  const last = h[h.length - 1];
  const epochRows = h.map((e) => `<tr><td>${e.epoch}</td><td>${e.trainLoss.toFixed(4)}</td><td>${pct(e.trainAccuracy)}</td><td>${e.valLoss === null ? "–" : e.valLoss.toFixed(4)}</td><td>${pct(e.valAccuracy)}</td><td>${e.lr.toPrecision(3)}</td><td>${Math.round(e.samplesPerSec).toLocaleString("en-US")}</td></tr>`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.charts{display:flex;flex-wrap:wrap;gap:16px}.chart{border:1px solid #eee;background:#fff}
.chart .t{font-weight:600;font-size:13px}.chart .grid{stroke:#eee}.chart .yl{font-size:10px;text-anchor:end;fill:#666}
.chart .xl{font-size:10px;text-anchor:middle;fill:#666}.chart .lg{font-size:11px}
table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right;border:1px solid #e4e4e4}th{background:#f6f6f6}
.cm td{min-width:34px}.kv th{text-align:left}.kv td{text-align:left}
.digits{display:grid;grid-template-columns:repeat(auto-fill,minmax(92px,1fr));gap:8px}
.digit{margin:0;text-align:center;border:1px solid #eee;padding:4px}.digit img{image-rendering:pixelated;background:#000}
.digit figcaption{font-size:12px}.bad{color:#c0392b}.big{font-size:20px;font-weight:600}
</style></head><body>
<h1>${esc(r.title)}</h1>
<p><span class="big">${pct(correct / n)}</span> ${esc(r.evalName)} accuracy (${correct} of ${n}) ·
final train loss ${last ? last.trainLoss.toFixed(4) : "–"} · ${h.length} epochs in ${r.seconds.toFixed(1)} s ·
${r.samplesPerSec === null ? "–" : Math.round(r.samplesPerSec).toLocaleString("en-US")} training samples/s</p>
<h2>Curves</h2><div class="charts">${loss}${acc}</div>
<h2>Epochs</h2><table><tr><th>epoch</th><th>loss</th><th>accuracy</th><th>val loss</th><th>val accuracy</th><th>lr</th><th>samples/s</th></tr>${epochRows}</table>
<h2>Confusion matrix (${esc(r.evalName)} set; rows: true label, columns: predicted)</h2>${confusionTable(confusion)}
<h2>Per class</h2><table><tr><th>class</th><th>precision</th><th>recall</th><th>support</th></tr>${classes.map((c) => `<tr><td>${c.label}</td><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${c.support}</td></tr>`).join("")}</table>
<h2>Most confidently misclassified (${esc(r.evalName)} set)</h2><div class="digits">${grid}</div>
<h2>Model</h2><table class="kv">${configRows({ layers: r.model.layers.join("-"), activation: r.model.activation, parameters: r.model.params.toLocaleString("en-US"), backend: r.model.backend })}</table>
<h2>Training config</h2><table class="kv">${configRows(r.config)}</table>
<p style="color:#888;font-size:12px">Generated by simdnet.</p>
</body></html>
`;
}
