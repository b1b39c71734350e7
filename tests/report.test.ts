// simdnet train --report: a self-contained HTML file, opened in headless chromium (playwright-core):
// no console errors, no network requests, curves and the digit grid are there; a screenshot is saved.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { encodeDigitsCsv } from "../src/data/csv.js";
import { resolveTrainConfig, runTrain } from "../src/cli/train.js";
import type { Reporter } from "../src/cli/output.js";
import { grayPng } from "../src/report/png.js";
import { syntheticDigits } from "./fixtures.js";
import { inflateSync } from "node:zlib";

const root = resolve(import.meta.dirname, "..");
const CHROMIUM = process.env.SIMDNET_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const inCI = Boolean(process.env.CI);
const quiet: Reporter = { info() {}, batch() {}, epoch() {}, event() {}, warn() {} };

describe("PNG thumbnails", () => {
  it("decode back to the pixels (zlib stored blocks, Adler-32)", () => {
    const px = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 37) & 255);
    const png = grayPng(px, 28, 28);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const idatLen = new DataView(png.buffer).getUint32(33);
    const raw = inflateSync(png.subarray(41, 41 + idatLen)); // zlib checks the Adler-32
    for (let y = 0; y < 28; y++) {
      expect(raw[y * 29]).toBe(0);
      expect(Array.from(raw.subarray(y * 29 + 1, y * 29 + 29))).toEqual(Array.from(px.subarray(y * 28, y * 28 + 28)));
    }
  });
});

describe.skipIf(!haveChromium && !inCI)("simdnet train --report", () => {
  it("writes one self-contained HTML report that renders without errors", async () => {
    expect(haveChromium, `no chromium at ${CHROMIUM}`).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "simdnet-report-"));
    const csv = join(dir, "train.csv");
    // a weak model (tiny layer, few epochs) so the grid of mistakes is not empty
    writeFileSync(csv, encodeDigitsCsv(syntheticDigits(600, 4)));
    const report = join(dir, "report.html");
    const cfg = resolveTrainConfig(["--data", csv, "--epochs", "3", "--hidden", "3", "--lr", "0.02", "--val-split", "0.3", "--out", join(dir, "m.simdnet"), "--report", report]);
    if (cfg === "help") throw new Error("unexpected help");
    const summary = await runTrain(cfg, quiet);
    const html = readFileSync(report, "utf8");
    expect(html).not.toMatch(/<script|https?:\/\//); // no code, nothing fetched
    expect(html).toContain("784-3-10");

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("request", (r) => requests.push(r.url()));
      const url = pathToFileURL(report).href;
      await page.goto(url);
      expect(errors).toEqual([]);
      expect(requests.filter((u) => u !== url && !u.startsWith("data:"))).toEqual([]);
      // loss and accuracy charts, each with a train and a validation curve of one point per epoch
      const paths = await page.$$eval("svg.chart path.series", (ps) => ps.map((p) => ({ series: p.getAttribute("data-series"), d: p.getAttribute("d") ?? "" })));
      expect(paths.map((p) => p.series)).toEqual(["train", "validation", "train", "validation"]);
      for (const p of paths) expect(p.d.match(/[ML]/g)).toHaveLength(summary.epochs);
      // the digit grid: decoded 28×28 images whose captions disagree with their labels
      const cells = await page.$$eval("figure.digit", (fs) =>
        fs.map((f) => ({ label: f.getAttribute("data-label"), predicted: f.getAttribute("data-predicted"), w: (f.querySelector("img") as HTMLImageElement).naturalWidth })),
      );
      expect(cells.length).toBeGreaterThan(0);
      for (const c of cells) {
        expect(c.w).toBe(28);
        expect(c.label).not.toBe(c.predicted);
      }
      const matrixSum = await page.$$eval("table.cm td", (tds) => tds.reduce((s, td) => s + Number(td.textContent), 0));
      expect(matrixSum).toBe(180); // the validation set: 30% of 600
      mkdirSync(join(root, "test-artifacts"), { recursive: true });
      await page.screenshot({ path: join(root, "test-artifacts/report.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
