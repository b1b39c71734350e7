// The training report (--report): its parts on their own (PNG encoder, mistake ranking), then whole
// reports from real training runs rendered in Debian's chromium (playwright-core): no console errors,
// no request leaves the file, the curves and the digit grid are in the DOM; a screenshot is saved
// to test-artifacts/. Outside CI a missing chromium skips the browser part; in CI it fails.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { encodeDigitsCsv } from "../src/data/csv.js";
import { encodeIdx } from "../src/data/idx.js";
import { resolveTrainConfig, runTrain } from "../src/cli/train.js";
import type { Reporter } from "../src/cli/output.js";
import { encodeGrayPng } from "../src/report/png.js";
import { confidentMistakes, renderReport, type ScoredSet } from "../src/report/report.js";
import { niceTicks } from "../src/report/chart.js";
import { confusionMatrix, perClassMetrics } from "../src/model/metrics.js";
import { Rng } from "../src/rng.js";
import type { Dataset } from "../src/data/dataset.js";
import { syntheticDigits } from "./fixtures.js";

const CHROMIUM = process.env.SIMDNET_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const inCI = Boolean(process.env.CI);
const ARTIFACTS = join(process.cwd(), "test-artifacts");
const quiet: Reporter = { info() {}, batch() {}, epoch() {}, event() {}, warn() {} };

/** Synthetic digits with a share of labels replaced at random, so a trained model still makes mistakes. */
function noisyDigits(count: number, seed: number, noise: number): Dataset {
  const d = syntheticDigits(count, seed);
  const rng = new Rng(seed + 7);
  for (let i = 0; i < count; i++) if (rng.next() < noise) d.labels![i] = rng.int(10);
  return d;
}

describe("report parts", () => {
  it("encodeGrayPng writes a valid greyscale PNG whose IDAT inflates back to the pixels", () => {
    const w = 28;
    const h = 28;
    const px = new Uint8Array(w * h).map((_, i) => (i * 37) & 255);
    const png = encodeGrayPng(px, w, h);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const dv = new DataView(png.buffer, png.byteOffset);
    expect(new TextDecoder().decode(png.subarray(12, 16))).toBe("IHDR");
    expect([dv.getUint32(16), dv.getUint32(20), png[24], png[25]]).toEqual([w, h, 8, 0]);
    const idatLen = dv.getUint32(33);
    expect(new TextDecoder().decode(png.subarray(37, 41))).toBe("IDAT");
    const raw = inflateSync(png.subarray(41, 41 + idatLen)); // checks the zlib header and Adler-32 too
    expect(raw.length).toBe(h * (w + 1));
    for (let y = 0; y < h; y++) {
      expect(raw[y * (w + 1)]).toBe(0); // filter: None
      expect([...raw.subarray(y * (w + 1) + 1, (y + 1) * (w + 1))]).toEqual([...px.subarray(y * w, (y + 1) * w)]);
    }
  });

  it("a stored block holds at most 65535 bytes: a large image still inflates correctly", () => {
    const w = 300;
    const h = 300; // 90300 raw bytes: two stored blocks
    const px = new Uint8Array(w * h).map((_, i) => (i * 13 + (i >> 9)) & 255);
    const png = encodeGrayPng(px, w, h);
    const idatLen = new DataView(png.buffer, png.byteOffset).getUint32(33);
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(raw.length).toBe(h * (w + 1));
    expect(raw[(h - 1) * (w + 1) + w]).toBe(px[w * h - 1]);
  });

  it("confidentMistakes lists only misclassified rows, the most confident first", () => {
    const probs = new Float32Array([
      0.9, 0.1, // row 0: predicts 0, label 0 → right
      0.2, 0.8, // row 1: predicts 1, label 0 → wrong at 0.8
      0.95, 0.05, // row 2: predicts 0, label 1 → wrong at 0.95
      0.4, 0.6, // row 3: predicts 1, label 0 → wrong at 0.6
    ]);
    const scored: ScoredSet = { name: "t", images: new Uint8Array(4), labels: new Uint8Array([0, 0, 1, 0]), probs, count: 4 };
    const m = confidentMistakes(scored, 2, 10);
    expect(m.map((x) => x.index)).toEqual([2, 1, 3]);
    expect(m[0]).toMatchObject({ label: 1, predicted: 0 });
    expect(m[0].confidence).toBeCloseTo(0.95, 6);
    expect(confidentMistakes(scored, 2, 2).map((x) => x.index)).toEqual([2, 1]);
  });

  it("niceTicks steps by 1, 2 or 5 × 10^k and covers the range", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.93, 1, 5)).toEqual([0.94, 0.96, 0.98, 1]);
    expect(niceTicks(1, 10, 8)).toEqual([2, 4, 6, 8, 10]);
  });

  it("the confusion matrix has true classes as rows and predictions as columns (an asymmetric case)", () => {
    // labels 0 0 0 1 2 2, predictions 0 1 1 1 0 2
    expect(confusionMatrix(new Uint8Array([0, 1, 1, 1, 0, 2]), new Uint8Array([0, 0, 0, 1, 2, 2]), 3)).toEqual([[1, 2, 0], [0, 1, 0], [1, 0, 1]]);
    const predicted = [0, 1, 1, 1, 0, 2];
    const probs = Float32Array.from(predicted.flatMap((p) => [0, 1, 2].map((c) => (c === p ? 0.8 : 0.1))));
    const html = renderReport({
      spec: { inputSize: 4, hidden: [], outputSize: 3, activation: "relu" },
      config: {},
      history: [],
      scored: { name: "test", images: new Uint8Array(6 * 4), labels: new Uint8Array([0, 0, 0, 1, 2, 2]), probs, count: 6 },
      samplesPerSec: null,
      seconds: 0,
      backend: "js-f32",
    });
    // the table as a reader sees it: row t, column p
    const table = html.match(/<table id="confusion"[^>]*>(.*?)<\/table>/s)![1];
    const rows = table.split("</tr>").filter((r) => r.includes("<td")).map((r) => Array.from(r.matchAll(/<td[^>]*>(\d+)<\/td>/g), (m) => Number(m[1])));
    expect(rows).toEqual([[1, 2, 0], [0, 1, 0], [1, 0, 1]]);
    expect(table).toContain("true ╲ predicted");
    // per-class metrics: recall from the row, precision from the column
    expect(perClassMetrics([[1, 2, 0], [0, 1, 0], [1, 0, 1]]).map((m) => [m.precision, m.recall, m.support])).toEqual([[0.5, 1 / 3, 3], [1 / 3, 1, 1], [1, 0.5, 2]]);
  });

  it("escapes what it prints: a hostile config value stays text", () => {
    const html = renderReport({
      spec: { inputSize: 4, hidden: [], outputSize: 2, activation: "relu" },
      config: { note: `<script>alert(1)</script>` },
      history: [],
      scored: null,
      samplesPerSec: null,
      seconds: 0,
      backend: "js-f32",
    });
    expect(html).not.toContain("<script>");
    expect(html).toContain("&#60;script&#62;");
  });
});

describe.skipIf(!haveChromium && !inCI)("--report in chromium", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-report-"));
  let browser: Browser;

  beforeAll(async () => {
    expect(haveChromium, `no chromium at ${CHROMIUM} (apt-get install chromium, or set SIMDNET_CHROMIUM)`).toBe(true);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function trainWithReport(data: string, name: string, epochs: number) {
    const report = join(dir, `${name}.html`);
    const cfg = resolveTrainConfig(["--data", data, "--hidden", "24", "--epochs", String(epochs), "--out", join(dir, `${name}.simdnet`), "--report", report]);
    if (cfg === "help") throw new Error("unexpected help");
    const summary = await runTrain(cfg, quiet);
    return { report, summary };
  }

  /** Opens the report as a file:// page; returns DOM counts, console errors and any non-file request. */
  async function inspect(file: string, screenshot: string) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => {
      if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url());
    });
    await page.goto("file://" + file, { waitUntil: "load" });
    const dom = await page.evaluate(() => {
      const q = (s: string) => Array.from(document.querySelectorAll(s));
      const imgs = q("#mistakes figure.digit img") as HTMLImageElement[];
      const curve = (chart: string, series: string) => document.querySelector(`#${chart} path.series[data-series="${series}"]`)?.getAttribute("d") ?? "";
      return {
        lossTrain: curve("loss-chart", "train"),
        lossVal: curve("loss-chart", "validation"),
        accTrain: curve("accuracy-chart", "train"),
        accVal: curve("accuracy-chart", "validation"),
        points: q("svg.chart circle.point").length,
        digits: imgs.length,
        decoded: imgs.filter((i) => i.complete && i.naturalWidth === 28 && i.naturalHeight === 28).length,
        labels: (q("#mistakes figure.digit") as HTMLElement[]).map((f) => [Number(f.dataset.label), Number(f.dataset.predicted)]),
        confusionCells: q("#confusion td").length,
        confusionSum: (q("#confusion td") as HTMLElement[]).reduce((s, td) => s + Number(td.textContent), 0),
        confusionRows: (q("#confusion tr") as HTMLElement[]).map((tr) => Array.from(tr.querySelectorAll("td"), (td) => Number(td.textContent))).filter((r) => r.length > 0),
        config: document.querySelector("table.config")?.textContent ?? "",
        epochRows: q("#epochs tr").length - 1,
        gridVisible: (document.querySelector("#mistakes") as HTMLElement | null)?.getBoundingClientRect().height ?? 0,
      };
    });
    await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
    await page.close();
    return { dom, errors, requests };
  }

  const segments = (d: string) => (d.match(/[ML]/g) ?? []).length;

  it("IDX data: curves per epoch, the test-set confusion matrix and a grid of the worst test mistakes", async () => {
    const mnist = join(dir, "mnist");
    mkdirSync(mnist);
    const train = noisyDigits(600, 11, 0.1);
    const test = noisyDigits(300, 12, 0.15);
    writeFileSync(join(mnist, "train-images-idx3-ubyte.gz"), gzipSync(encodeIdx([train.count, 28, 28], train.images)));
    writeFileSync(join(mnist, "train-labels-idx1-ubyte.gz"), gzipSync(encodeIdx([train.count], train.labels!)));
    writeFileSync(join(mnist, "t10k-images-idx3-ubyte"), encodeIdx([test.count, 28, 28], test.images));
    writeFileSync(join(mnist, "t10k-labels-idx1-ubyte"), encodeIdx([test.count], test.labels!));
    const { report, summary } = await trainWithReport(mnist, "idx-report", 3);
    const html = readFileSync(report, "utf8");
    expect(html).toContain("Confusion matrix — test set (300 images)");
    const { dom, errors, requests } = await inspect(report, "report-idx.png");
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    // 3 epochs: each curve is a path through 3 points
    for (const d of [dom.lossTrain, dom.lossVal, dom.accTrain, dom.accVal]) expect(segments(d)).toBe(3);
    expect(dom.points).toBe(12);
    expect(dom.confusionCells).toBe(100);
    expect(dom.confusionSum).toBe(300);
    // rows are true classes: each row sums to that class's count in the test labels
    const counts = Array.from({ length: 10 }, (_, c) => test.labels!.filter((y) => y === c).length);
    expect(dom.confusionRows.map((r) => r.reduce((a, b) => a + b, 0))).toEqual(counts);
    for (const [label, predicted] of dom.labels) expect(dom.confusionRows[label][predicted]).toBeGreaterThan(0);
    const wrong = Math.round((1 - summary.testAccuracy!) * 300);
    expect(wrong).toBeGreaterThan(0); // the noisy labels guarantee some
    expect(dom.digits).toBe(Math.min(40, wrong));
    expect(dom.decoded).toBe(dom.digits); // every PNG decodes as a 28×28 image
    for (const [label, predicted] of dom.labels) expect(label).not.toBe(predicted);
    expect(dom.gridVisible).toBeGreaterThan(0);
    expect(dom.epochRows).toBe(3);
    expect(dom.config).toContain("sgd-momentum");
  });

  it("CSV data: the validation set stands in for the test set", async () => {
    const csv = join(dir, "train.csv");
    writeFileSync(csv, encodeDigitsCsv(noisyDigits(500, 21, 0.15)));
    const { report, summary } = await trainWithReport(csv, "csv-report", 2);
    expect(summary.testAccuracy).toBeNull();
    const html = readFileSync(report, "utf8");
    expect(html).toContain("Confusion matrix — validation set (50 images)");
    const { dom, errors, requests } = await inspect(report, "report-csv.png");
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    for (const d of [dom.lossTrain, dom.lossVal, dom.accTrain, dom.accVal]) expect(segments(d)).toBe(2);
    expect(dom.confusionSum).toBe(50);
    const wrong = Math.round((1 - summary.valAccuracy!) * 50);
    expect(wrong).toBeGreaterThan(0);
    expect(dom.digits).toBe(Math.min(40, wrong));
    expect(dom.decoded).toBe(dom.digits);
  });

  it("an unwritable report folder is refused before training", async () => {
    const cfg = resolveTrainConfig(["--data", "nowhere.csv", "--report", join(dir, "no-such-folder", "r.html"), "--out", join(dir, "x.simdnet")]);
    if (cfg === "help") throw new Error("unexpected help");
    await expect(runTrain(cfg, quiet)).rejects.toThrow(/--report.*not a writable folder/);
  });
});
