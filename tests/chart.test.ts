// The report's SVG line chart (src/report/chart.ts) read back as numbers: where each value lands,
// the axis ranges it picks, gaps, ticks and legend. The browser test looks at it; this pins the geometry.
import { describe, expect, it } from "vitest";
import { lineChart, type ChartOptions, type Series } from "../src/report/chart.js";

const OPTS: ChartOptions = { id: "loss", title: "Loss <train & val>", yLabel: "loss", format: (v) => v.toFixed(2) };
// default 520 × 280, margins left 56, right 16, top 30, bottom 40: x from 56 to 504, y from 240 (bottom) to 30 (top)

const paths = (svg: string) => [...svg.matchAll(/<path class="series" data-series="([^"]*)" d="([^"]*)" stroke="([^"]*)"( stroke-dasharray="6 4")?\/>/g)].map((m) => ({ name: m[1], d: m[2], color: m[3], dashed: !!m[4] }));
const gridYs = (svg: string) => [...svg.matchAll(/<line class="grid" x1="56" x2="504" y1="([\d.]+)" y2="\1"\/>/g)].map((m) => Number(m[1]));
const yTicks = (svg: string) => [...svg.matchAll(/<text class="tick" x="50" y="[\d.]+" text-anchor="end">([^<]*)<\/text>/g)].map((m) => m[1]);
const xTicks = (svg: string) => [...svg.matchAll(/<text class="tick" x="([\d.]+)" y="256" text-anchor="middle">(\d+)<\/text>/g)].map((m) => [Number(m[1]), Number(m[2])]);
const points = (svg: string) => [...svg.matchAll(/<circle class="point" cx="([\d.]+)" cy="([\d.]+)" r="2.5" fill="([^"]*)"><title>([^<]*)<\/title><\/circle>/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), title: m[4] }));

describe("lineChart geometry", () => {
  it("non-negative data: the y axis starts at 0 and ends 5% above the largest value; a gap splits the line", () => {
    const s: Series = { name: "train", values: [0.5, 1, null, 2], color: "#c00" };
    const svg = lineChart([s], OPTS);
    expect(svg).toMatch(/^<svg id="loss" class="chart" viewBox="0 0 520 280" width="520" height="280" role="img" aria-label="Loss &#60;train &#38; val&#62;">/);
    // y range 0 … 2.1: y = 240 − 100·v; x = 56 + (epoch − 1)·448/3
    expect(paths(svg)).toEqual([{ name: "train", d: "M56.0 190.0L205.3 140.0M504.0 40.0", color: "#c00", dashed: false }]);
    expect(points(svg)).toEqual([
      { x: 56, y: 190, title: "train, epoch 1: 0.50" },
      { x: 205.3, y: 140, title: "train, epoch 2: 1.00" },
      { x: 504, y: 40, title: "train, epoch 4: 2.00" },
    ]);
    expect(gridYs(svg)).toEqual([240, 190, 140, 90, 40]);
    expect(yTicks(svg)).toEqual(["0.00", "0.50", "1.00", "1.50", "2.00"]);
    expect(xTicks(svg)).toEqual([[56, 1], [205.3, 2], [354.7, 3], [504, 4]]);
    expect(svg).toContain('<rect class="frame" x="56" y="30" width="448" height="210"/>');
    expect(svg).toContain('<text class="chart-title" x="56" y="18">Loss &#60;train &#38; val&#62;</text>');
    expect(svg).toContain('<text class="axis-label" x="280" y="274" text-anchor="middle">epoch</text>');
    expect(svg).toContain('<text class="axis-label" transform="translate(14 135) rotate(-90)" text-anchor="middle">loss</text>');
  });

  it("values far from 0 keep their own floor; negative values are never floored at 0", () => {
    const high = lineChart([{ name: "acc", values: [0.9, 0.95], color: "#00c" }], OPTS);
    // 0.9 ≥ 0.95 / 2, so the floor stays 0.9; the top is 0.95 + 5% of 0.05
    expect(points(high).map((p) => p.y)).toEqual([240, 40]);
    const half = lineChart([{ name: "acc", values: [1, 2], color: "#00c" }], OPTS);
    expect(points(half).map((p) => p.y)).toEqual([240, 40]); // a floor of exactly half the top stays
    const neg = lineChart([{ name: "z", values: [-1, 1], color: "#00c" }], OPTS);
    // −1 … 1.1: y(−1) = 240, y(1) = 240 − (2 / 2.1)·210 = 40
    expect(points(neg).map((p) => p.y)).toEqual([240, 40]);
  });

  it("a fixed range is used as given, without padding", () => {
    const svg = lineChart([{ name: "acc", values: [0, 0.5, 1], color: "#0a0" }], { ...OPTS, yMin: 0, yMax: 1 });
    expect(points(svg).map((p) => p.y)).toEqual([240, 135, 30]);
    const zoomed = lineChart([{ name: "acc", values: [0.96, 0.98] }].map((s) => ({ ...s, color: "#0a0" })), { ...OPTS, yMin: 0.95, yMax: 1 });
    expect(points(zoomed).map((p) => p.y)).toEqual([198, 114]);
  });

  it("a flat series gets a unit range around its value; one epoch sits in the middle", () => {
    const flat = lineChart([{ name: "f", values: [3, 3], color: "#000" }], OPTS);
    // 2.5 … 3.55
    expect(points(flat).map((p) => p.y)).toEqual([140, 140]);
    const one = lineChart([{ name: "f", values: [0.7], color: "#000" }], OPTS);
    expect(points(one)[0].x).toBe(280);
    expect(xTicks(one)).toEqual([[280, 1]]);
  });

  it("nothing finite to draw: no line, axes 0 … 1", () => {
    const svg = lineChart([{ name: "none", values: [null, NaN], color: "#000" }], OPTS);
    expect(paths(svg)).toEqual([]);
    expect(points(svg)).toEqual([]);
    expect(yTicks(svg)).toEqual(["0.00", "0.50", "1.00"]); // 0 … 1.05
  });

  it("several series: drawn last to first, legend right-aligned in the same order, dashes kept", () => {
    const svg = lineChart(
      [
        { name: "train", values: [1, 2], color: "#c00" },
        { name: "val", values: [2, 1], color: "#00c", dashed: true },
      ],
      OPTS,
    );
    expect(paths(svg).map((p) => [p.name, p.dashed])).toEqual([["val", true], ["train", false]]);
    // legend: "val" ends at 504 (504 − 14 − 3·7 = 469), then "train" before it (469 − 14 − 5·7 = 420)
    expect(svg).toContain('<line x1="469" x2="479" y1="14" y2="14" stroke="#00c" stroke-width="2" stroke-dasharray="6 4"/><text class="legend" x="482" y="18">val</text>');
    expect(svg).toContain('<line x1="420" x2="430" y1="14" y2="14" stroke="#c00" stroke-width="2"/><text class="legend" x="433" y="18">train</text>');
  });

  it("width and height options scale the plot", () => {
    const svg = lineChart([{ name: "t", values: [0, 1], color: "#000" }], { ...OPTS, width: 300, height: 200, yMin: 0, yMax: 1 });
    expect(svg).toContain('viewBox="0 0 300 200"');
    expect(points(svg).map((p) => [p.x, p.y])).toEqual([[56, 160], [284, 30]]);
  });
});
