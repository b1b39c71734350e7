// Inline SVG line charts for the report: per-epoch series on shared axes, with "nice" ticks. No
// script, no fonts to fetch: the SVG is part of the HTML.

export interface Series {
  name: string;
  /** One value per epoch (index 0 = epoch 1); null where the series has no value. */
  values: (number | null)[];
  color: string;
  dashed?: boolean;
}

export interface ChartOptions {
  id: string;
  title: string;
  yLabel: string;
  /** Fixed y range; otherwise from the data (with 0 as the floor when all values are ≥ 0). */
  yMin?: number;
  yMax?: number;
  format: (v: number) => string;
  width?: number;
  height?: number;
}

export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Tick values covering [lo, hi] with a step of 1, 2 or 5 × 10^k (about `count` of them). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function lineChart(series: Series[], o: ChartOptions): string {
  const W = o.width ?? 520;
  const H = o.height ?? 280;
  const m = { left: 56, right: 16, top: 30, bottom: 40 };
  const epochs = Math.max(1, ...series.map((s) => s.values.length));
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  let yMin = o.yMin ?? Math.min(...all);
  let yMax = o.yMax ?? Math.max(...all);
  if (!all.length) [yMin, yMax] = [0, 1];
  if (o.yMin === undefined && yMin >= 0 && yMin < yMax / 2) yMin = 0;
  if (!(yMax > yMin)) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const pad = o.yMax === undefined ? (yMax - yMin) * 0.05 : 0;
  yMax += pad;
  const xLo = epochs === 1 ? 0.5 : 1;
  const xHi = epochs === 1 ? 1.5 : epochs;
  const px = (e: number) => m.left + ((e - xLo) / (xHi - xLo)) * (W - m.left - m.right);
  const py = (v: number) => H - m.bottom - ((v - yMin) / (yMax - yMin)) * (H - m.top - m.bottom);
  const parts: string[] = [];
  parts.push(`<text class="chart-title" x="${m.left}" y="18">${escapeHtml(o.title)}</text>`);
  for (const t of niceTicks(yMin, yMax)) {
    if (t < yMin || t > yMax) continue;
    parts.push(`<line class="grid" x1="${m.left}" x2="${W - m.right}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${m.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${escapeHtml(o.format(t))}</text>`);
  }
  const xTicks = niceTicks(1, epochs, Math.min(epochs, 8)).filter((t) => Number.isInteger(t) && t >= 1);
  for (const t of xTicks) parts.push(`<text class="tick" x="${px(t).toFixed(1)}" y="${H - m.bottom + 16}" text-anchor="middle">${t}</text>`);
  parts.push(`<text class="axis-label" x="${(m.left + W - m.right) / 2}" y="${H - 6}" text-anchor="middle">epoch</text>`);
  parts.push(`<text class="axis-label" transform="translate(14 ${(m.top + H - m.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(o.yLabel)}</text>`);
  parts.push(`<rect class="frame" x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}"/>`);
  let legendX = W - m.right;
  for (const s of [...series].reverse()) {
    const points = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : ([px(i + 1), py(v)] as const)));
    const drawn = points.filter((p) => p !== null);
    if (!drawn.length) continue;
    // a gap (null) starts a new sub-path, so a missing value is never bridged by a straight line
    let d = "";
    let pen = false;
    for (const p of points) {
      if (!p) pen = false;
      else {
        d += `${pen ? "L" : "M"}${p[0].toFixed(1)} ${p[1].toFixed(1)}`;
        pen = true;
      }
    }
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    parts.push(`<path class="series" data-series="${escapeHtml(s.name)}" d="${d}" stroke="${s.color}"${dash}/>`);
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) return;
      parts.push(`<circle class="point" cx="${px(i + 1).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.5" fill="${s.color}"><title>${escapeHtml(`${s.name}, epoch ${i + 1}: ${o.format(v)}`)}</title></circle>`);
    });
    const label = escapeHtml(s.name);
    legendX -= 14 + label.length * 7;
    parts.push(`<line x1="${legendX}" x2="${legendX + 10}" y1="14" y2="14" stroke="${s.color}" stroke-width="2"${dash}/><text class="legend" x="${legendX + 13}" y="18">${label}</text>`);
  }
  return `<svg id="${escapeHtml(o.id)}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(o.title)}">${parts.join("")}</svg>`;
}
