// The demo page (web/) in a real browser: Debian's chromium driven by playwright-core, against the
// page built by vite here and served from 127.0.0.1 by a tiny static server. The shipped MNIST sample
// (data/mnist-sample/) is always there; real-MNIST parts read $SIMDNET_MNIST_DIR: outside CI they
// skip without it, in CI its absence is a failure.
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { build } from "vite";
import { chromium, type Browser, type Page } from "playwright-core";
import { loadMnistDir } from "../src/data/files.js";
import { realMnistDir } from "./helpers.js";
import { encodeIdx, idxToDataset, parseIdx } from "../src/data/idx.js";
import { allOf, type Dataset } from "../src/data/dataset.js";
import { PRESETS, resolveTrainConfig, runTrain } from "../src/cli/train.js";
import { evaluateCommand } from "../src/cli/evaluate.js";
import { computeLayout, describeStack } from "../src/model/arena.js";
import { fullStack } from "../src/layers/index.js";
import type { Reporter } from "../src/cli/output.js";
import { decodeModel } from "../src/model/format.js";
import { fromOnnx } from "../src/export/onnx-import.js";
import { Network } from "../src/model/network.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { fit, type EpochStats } from "../src/train/trainer.js";
import { DEFAULT_SETTINGS, prepareRun, specFor, WEB_PRESETS, type TrainSettings } from "../web/training.js";

const CHROMIUM = process.env.SIMDNET_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const mnistDir = realMnistDir("the demo page with real MNIST");
const haveData = mnistDir !== undefined;
const inCI = Boolean(process.env.CI);
const ARTIFACTS = join(process.cwd(), "test-artifacts");

const TRAIN_SUBSET = 2000;
const TEST_SUBSET = 1000;
// what the test types into the page's settings form; replayed in Node for the parity check
const SETTINGS: TrainSettings = { hidden: [128], activation: "relu", optimizer: "sgd", lr: 0.1, epochs: 6, batchSize: 32, valSplit: 0.1, seed: 1 };
const SAMPLE_DIR = join(process.cwd(), "data/mnist-sample");
/** The CNN the CLI trains for the load-and-draw test: the TF.js tutorial net with a batch norm (so its running statistics must load too). */
const CLI_CNN = "conv 8 5 act=none, batchnorm act=relu, maxpool 2, conv 16 5, maxpool 2";
/** The CNN the page trains: small (seconds on the sample), with batch norm and a dropout layer. */
const PAGE_CNN = "conv 8 5, maxpool 2, conv 16 5 act=none, batchnorm act=relu, maxpool 2, dropout 0.25";
const PAGE_CNN_SETTINGS: TrainSettings = { ...WEB_PRESETS["small-cnn"].settings, layers: PAGE_CNN, hidden: [], epochs: 1, augment: "none", warmup: 0 };

const MIME: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".wasm": "application/wasm" };

/** A plain static server: no COOP/COEP headers, so the page is not cross-origin isolated. */
function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(root, path.endsWith("/") ? path + "index.html" : path);
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

const quiet: Reporter = { info() {}, batch() {}, epoch() {}, event() {}, warn() {} };

/** First n items of a data set, as IDX images and labels. */
function idxSubset(d: Dataset, n: number): { images: Uint8Array; labels: Uint8Array } {
  return {
    images: encodeIdx([n, 28, 28], d.images.subarray(0, n * 784)),
    labels: encodeIdx([n], d.labels!.subarray(0, n)),
  };
}

/** Drags the mouse (real pointer events) through the points, in pad coordinates (0..280). */
async function stroke(page: Page, points: [number, number][]): Promise<void> {
  const box = (await page.locator("#pad").boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 2 });
  await page.mouse.up();
}
const ONE: [number, number][] = Array.from({ length: 16 }, (_, i) => [146 - i * 1.5, 45 + i * 12]);
const ZERO: [number, number][] = Array.from({ length: 49 }, (_, i) => {
  const t = (i / 48) * 2 * Math.PI;
  return [140 + 62 * Math.sin(t), 140 - 92 * Math.cos(t)];
});

async function drawAndPredict(page: Page, points: [number, number][]): Promise<string> {
  await page.click("#clear");
  await stroke(page, points);
  return (await page.locator("#prediction").getAttribute("data-class")) ?? "";
}

describe.skipIf(!haveChromium && !inCI)("the demo page in chromium", () => {
  let browser: Browser;
  let page: Page;
  let server: Server;
  let url: string;
  let outDir: string;
  const errors: string[] = [];

  beforeAll(async () => {
    expect(haveChromium, `no chromium at ${CHROMIUM} (apt-get install chromium, or set SIMDNET_CHROMIUM)`).toBe(true);
    outDir = mkdtempSync(join(tmpdir(), "simdnet-web-"));
    await build({ configFile: join(process.cwd(), "web/vite.config.ts"), build: { outDir, emptyOutDir: true }, logLevel: "warn" });
    ({ server, url } = await serve(outDir));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("loads with no model, says so, and needs no cross-origin isolation", async () => {
    await expect.poll(() => page.textContent("#status")).toContain("no model yet — train one or load a .simdnet file");
    expect(await page.textContent("#model-info")).toContain("no model yet");
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(false);
    // drawing without a model: the 28×28 preview works, no prediction, no error
    expect(await drawAndPredict(page, ONE)).toBe("");
    expect(await page.isDisabled("#train")).toBe(true);
    expect(await page.isDisabled("#save-model")).toBe(true);
  });

  it("one click trains on the shipped MNIST sample: 5,000 digits, test accuracy ≥ 90% on its 1,000, the same run as in Node", async () => {
    expect((await page.textContent("#sample-credit"))!.replace(/\s+/g, " ")).toMatch(/MNIST by Yann LeCun, Corinna Cortes and Christopher J\.C\. Burges, licensed CC BY-SA 3\.0/);
    expect(await page.textContent("#train-sample")).toBe("Train on the sample (5,000 digits)");
    expect(await page.isDisabled("#train-sample")).toBe(false);
    expect(await page.isVisible("#data-files")).toBe(false); // hidden inside its label button, still there for the full set
    await page.click("#train-sample");
    await expect.poll(() => page.getAttribute("#train-result", "data-history"), { timeout: 60_000 }).not.toBeNull();
    expect(await page.textContent("#data-info")).toBe("the MNIST sample: 5,000 training images + 1,000 test images (MNIST IDX)");
    expect(await page.textContent("#train-stats")).toMatch(/epoch 5\/5 · step 355\/355 · /);
    const testAccuracy = Number(await page.getAttribute("#train-result", "data-test-accuracy"));
    expect(testAccuracy).toBeGreaterThanOrEqual(0.9); // 92.4% with the page's defaults (784-128-10, 5 epochs, seed 1)
    expect(await page.textContent("#model-info")).toContain("784-128-10 relu");
    expect(await page.isDisabled("#train-sample")).toBe(false);
    // the page's default settings on the same files, in Node: the very same test accuracy
    const sample = loadMnistDir(join(process.cwd(), "data/mnist-sample"));
    const run = prepareRun(new WasmBackend(), sample.train, DEFAULT_SETTINGS);
    await fit(run.net, run.train, run.val, run.options);
    expect(testAccuracy).toBe(run.net.evaluate(allOf(sample.test)).accuracy);
    expect(await drawAndPredict(page, ONE)).toBe("1");
  });

  describe("CNNs", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "simdnet-web-cnn-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it(`loads a CNN trained by the CLI (${CLI_CNN}; 2 epochs on the sample's 5,000 digits, ≥ 85% on its 1,000 test digits), shows its stack and recognises a drawn 1 and 0; its test loss in the page equals Node's bit for bit`, async () => {
      const modelPath = join(dir, "cli-cnn.simdnet");
      const cfg = resolveTrainConfig(["--data", SAMPLE_DIR, "--layers", CLI_CNN, "--epochs", "2", "--out", modelPath]);
      if (cfg === "help") throw new Error("unexpected help");
      await runTrain(cfg, quiet);
      const m = decodeModel(readFileSync(modelPath), modelPath);
      expect(m.state.length).toBe(16); // the batch norm's running mean and variance of 8 channels
      const net = new Network(m.spec, new WasmBackend(), 256);
      net.setParams(m.params);
      net.setState(m.state);
      const sample = loadMnistDir(SAMPLE_DIR);
      const node = net.evaluate(allOf(sample.test));
      expect(node.accuracy).toBeGreaterThanOrEqual(0.85);

      await page.setInputFiles("#model-file", modelPath);
      const stack = describeStack(net.layout);
      expect(stack).toBe("28×28×1 → conv 8 5, batchnorm act=relu, maxpool 2, conv 16 5 act=relu, maxpool 2, dense 10");
      await expect.poll(() => page.textContent("#model-info")).toContain(`${stack} · ${m.params.length.toLocaleString("en-US")} params · cli-cnn.simdnet`);
      expect(await drawAndPredict(page, ONE)).toBe("1");
      expect(await drawAndPredict(page, ZERO)).toBe("0");
      const probs = await page.$$eval("#bars .track", (els) => els.map((e) => Number((e as HTMLElement).dataset.prob)));
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(Math.max(...probs)).toBe(probs[0]);

      // the page holds the sample (previous test): its 1,000 test digits through the CNN in the worker
      await page.click("#test-model");
      await expect.poll(() => page.getAttribute("#test-result", "data-loss")).not.toBeNull();
      expect(Number(await page.getAttribute("#test-result", "data-loss"))).toBe(node.loss); // running statistics used, float64 sums exact
      expect(Number(await page.getAttribute("#test-result", "data-accuracy"))).toBe(node.accuracy);
    });

    it("the train panel offers the CNN presets with their architecture; a short CNN run on the sample (batch norm, dropout) reaches ≥ 85% and equals the Node replay bit for bit; the saved file is what the CLI evaluates", async () => {
      // each preset fills the form and shows its stack and parameter count
      const options = await page.$$eval("#preset option", (els) => els.map((e) => (e as HTMLOptionElement).value));
      expect(options).toEqual(["mlp", "small-cnn", "cnn", "best-cnn", "custom"]);
      for (const name of ["cnn", "best-cnn", "small-cnn"] as const) {
        await page.selectOption("#preset", name);
        const layout = computeLayout(specFor(WEB_PRESETS[name].settings), 1);
        expect(await page.textContent("#arch")).toBe(`${describeStack(layout)} · ${layout.paramCount.toLocaleString("en-US")} params`);
        expect(await page.inputValue("#settings [name=layers]")).toBe(WEB_PRESETS[name].settings.layers);
        expect(await page.isDisabled("#settings [name=hidden]")).toBe(true);
      }
      expect(await page.inputValue("#settings [name=layers]")).toBe(WEB_PRESETS["small-cnn"].settings.layers);
      await page.selectOption("#preset", "cnn");
      expect(await page.inputValue("#settings [name=layers]")).toBe(PRESETS.cnn.layers);
      expect(await page.inputValue("#settings [name=augment]")).toBe("shift");
      // a bad stack is named in the architecture line
      await page.fill("#settings [name=layers]", "conv 8 9");
      expect(await page.textContent("#arch")).toMatch(/layer 1 "conv 8 9": KERNEL must be an integer 1–7/);
      // the run: a small CNN typed in, one epoch; the preset select says "custom"
      await page.selectOption("#preset", "small-cnn");
      await page.fill("#settings [name=layers]", PAGE_CNN);
      await page.fill("#settings [name=epochs]", "1");
      expect(await page.inputValue("#preset")).toBe("custom");
      expect(await page.textContent("#arch")).toMatch(/^28×28×1 → conv 8 5 act=relu, maxpool 2, conv 16 5, batchnorm act=relu, maxpool 2, dropout 0.25, dense 10 · 6,026 params$/);
      await page.evaluate(() => delete document.getElementById("train-result")!.dataset.history); // the MLP run's, until this run starts
      await page.click("#train-sample");
      await expect.poll(() => page.getAttribute("#train-result", "data-history"), { timeout: 60_000 }).not.toBeNull();
      expect(await page.textContent("#train-stats")).toMatch(/epoch 1\/1 · step 71\/71 · .* samples\/s/);
      expect(Number(await page.getAttribute("#loss-chart", "data-points"))).toBeGreaterThan(20);
      const testAccuracy = Number(await page.getAttribute("#train-result", "data-test-accuracy"));
      expect(testAccuracy).toBeGreaterThanOrEqual(0.85);

      const sample = loadMnistDir(SAMPLE_DIR);
      const run = prepareRun(new WasmBackend(), sample.train, PAGE_CNN_SETTINGS);
      const node = await fit(run.net, run.train, run.val, run.options);
      const pick = (h: EpochStats[]) => h.map(({ epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, lr }) => ({ epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, lr }));
      expect(pick(JSON.parse((await page.getAttribute("#train-result", "data-history"))!))).toEqual(pick(node.history));
      const nodeTest = run.net.evaluate(allOf(sample.test));
      expect(testAccuracy).toBe(nodeTest.accuracy);
      expect(await page.textContent("#model-info")).toContain(`${describeStack(run.net.layout)} · 6,026 params · trained here`);

      // Save model: the page-trained weights and running statistics, exactly Node's; the CLI evaluates the file
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save-model")]);
      const savedPath = join(dir, "page-cnn.simdnet");
      writeFileSync(savedPath, readFileSync((await download.path())!));
      const saved = decodeModel(readFileSync(savedPath), savedPath);
      expect(fullStack(saved.spec)).toEqual(fullStack(run.spec)); // the file spells out every default
      expect(saved.spec.inputShape).toEqual([28, 28, 1]);
      expect(saved.params).toEqual(run.net.getParams());
      // Save ONNX: the page's export imports back to the same weights bit for bit
      const [onnxDownload] = await Promise.all([page.waitForEvent("download"), page.click("#save-onnx")]);
      expect(onnxDownload.suggestedFilename()).toBe("model.onnx");
      const imported = fromOnnx(readFileSync((await onnxDownload.path())!), { file: "model.onnx" });
      expect(imported.getParams()).toEqual(run.net.getParams());
      expect(saved.state).toEqual(run.net.getState());
      expect(saved.state.length).toBe(32);
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      try {
        expect(await evaluateCommand(["--model", savedPath, "--data", SAMPLE_DIR, "--json"])).toBe(0);
        const report = JSON.parse(String(log.mock.calls.at(-1)![0]));
        expect(report.accuracy).toBe(testAccuracy);
        // the CLI evaluates in chunks of 256 (float64 sums per chunk): the same file through a 256-row network in Node, exactly
        const ref = new Network(saved.spec, new WasmBackend(), 256);
        ref.setParams(saved.params);
        ref.setState(saved.state);
        expect(report.loss).toBe(ref.evaluate(allOf(sample.test)).loss);
      } finally {
        log.mockRestore();
      }

      expect(await drawAndPredict(page, ONE)).toBe("1");
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "browser-cnn.png"), fullPage: true });
    });
  });

  describe.skipIf(!haveData)("with real MNIST", () => {
    let modelPath: string;
    let filesDir: string;
    let trainSubset: Dataset;
    let testSubset: Dataset;

    beforeAll(async () => {
      filesDir = mkdtempSync(join(tmpdir(), "simdnet-web-data-"));
      modelPath = join(filesDir, "cli-model.simdnet");
      const cfg = resolveTrainConfig(["--data", mnistDir!, "--hidden", "64", "--epochs", "1", "--out", modelPath]);
      if (cfg === "help") throw new Error("unexpected help");
      await runTrain(cfg, quiet);
      // small subsets, written as the four IDX files (train images gzipped: the page gunzips in the worker)
      const mnist = loadMnistDir(mnistDir!);
      const tr = idxSubset(mnist.train, TRAIN_SUBSET);
      const te = idxSubset(mnist.test, TEST_SUBSET);
      writeFileSync(join(filesDir, "train-images-idx3-ubyte.gz"), gzipSync(tr.images));
      writeFileSync(join(filesDir, "train-labels-idx1-ubyte"), tr.labels);
      writeFileSync(join(filesDir, "t10k-images-idx3-ubyte"), te.images);
      writeFileSync(join(filesDir, "t10k-labels-idx1-ubyte"), te.labels);
      trainSubset = idxToDataset(parseIdx(tr.images, "train"), parseIdx(tr.labels, "train"), "train");
      testSubset = idxToDataset(parseIdx(te.images, "test"), parseIdx(te.labels, "test"), "test");
    });

    afterAll(() => rmSync(filesDir, { recursive: true, force: true }));

    it("loads a model trained by the CLI and recognises a drawn 1 and 0", async () => {
      await page.setInputFiles("#model-file", modelPath);
      await expect.poll(() => page.textContent("#model-info")).toContain("784-64-10 relu");
      expect(await drawAndPredict(page, ONE)).toBe("1");
      expect(await drawAndPredict(page, ZERO)).toBe("0");
      const probs = await page.$$eval("#bars .track", (els) => els.map((e) => Number((e as HTMLElement).dataset.prob)));
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(Math.max(...probs)).toBe(probs[0]);
    });

    it("kernel parity: the CLI model's loss on the same test images is bit-identical in the browser and in Node", async () => {
      await page.setInputFiles("#data-files", ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"].map((f) => join(filesDir, f)));
      await expect.poll(() => page.textContent("#data-info")).toContain("2,000 training images + 1,000 test images");
      await page.click("#test-model");
      await expect.poll(() => page.getAttribute("#test-result", "data-loss")).not.toBeNull();
      const browserLoss = Number(await page.getAttribute("#test-result", "data-loss"));
      const m = decodeModel(readFileSync(modelPath), modelPath);
      const net = new Network(m.spec, new WasmBackend(), 256);
      net.setParams(m.params);
      const node = net.evaluate(allOf(testSubset));
      expect(browserLoss).toBe(node.loss); // float64, exactly
      expect(Number(await page.getAttribute("#test-result", "data-accuracy"))).toBe(node.accuracy);
    });

    it("trains in the worker on the picked files: live curves, accuracy > 80%, the same run as in Node", async () => {
      await page.selectOption("#preset", "mlp");
      for (const [name, v] of Object.entries({ hidden: "128", lr: "0.1", epochs: "6", batch: "32", valSplit: "0.1", seed: "1" })) await page.fill(`#settings [name=${name}]`, v);
      // record the loss chart's point count as it changes, and whether training had finished by then
      await page.evaluate(() => {
        const w = globalThis as unknown as { seen: { points: number; finished: boolean }[] };
        w.seen = [];
        const chart = document.getElementById("loss-chart")!;
        new MutationObserver(() => w.seen.push({ points: Number(chart.dataset.points), finished: document.getElementById("train-result")!.dataset.history !== undefined })).observe(chart, { attributes: true });
      });
      await page.click("#train");
      await expect.poll(() => page.getAttribute("#train-result", "data-history"), { timeout: 60_000 }).not.toBeNull();
      const seen = (await page.evaluate(() => (globalThis as unknown as { seen: { points: number; finished: boolean }[] }).seen));
      const live = seen.filter((s) => !s.finished).map((s) => s.points);
      expect(live.length).toBeGreaterThan(50); // ~25 points an epoch, drawn while the worker trains
      expect(live).toEqual([...live].sort((a, b) => a - b));
      expect(await page.textContent("#train-stats")).toMatch(/epoch 6\/6 · step 342\/342 · .* samples\/s/);

      const valAccuracy = Number(await page.getAttribute("#train-result", "data-val-accuracy"));
      const testAccuracy = Number(await page.getAttribute("#train-result", "data-test-accuracy"));
      expect(valAccuracy).toBeGreaterThan(0.8);
      expect(testAccuracy).toBeGreaterThan(0.8);

      // the same settings and data, replayed in Node: every epoch's losses and accuracies agree exactly
      const browserHistory = JSON.parse((await page.getAttribute("#train-result", "data-history"))!) as EpochStats[];
      const run = prepareRun(new WasmBackend(), trainSubset, SETTINGS);
      const node = await fit(run.net, run.train, run.val, run.options);
      // Kernels, float64 sums and the schedule (cosPi: arithmetic only, no Math.cos) are all exactly
      // reproducible across engines, learning rates included.
      const pick = (h: EpochStats[]) => h.map(({ epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, lr }) => ({ epoch, trainLoss, trainAccuracy, valLoss, valAccuracy, lr }));
      expect(pick(browserHistory)).toEqual(pick(node.history));
      expect(testAccuracy).toBe(run.net.evaluate(allOf(testSubset)).accuracy);

      // Save model: the downloaded file holds exactly the weights Node computed
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save-model")]);
      const saved = decodeModel(readFileSync((await download.path())!), "download");
      expect(saved.spec.hidden).toEqual([128]);
      expect(saved.params).toEqual(run.net.getParams());

      // the browser-trained model on the pad, and a screenshot of the whole page
      expect(await drawAndPredict(page, ZERO)).toBe("0");
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, "browser.png"), fullPage: true });
    });
  });

  it("logged no console errors", () => {
    expect(errors).toEqual([]);
  });
});
