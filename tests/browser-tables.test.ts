// The demo page with a table CSV in a real browser (chromium via playwright-core, as in
// tests/browser.test.ts): the file input accepts it, Train trains on it in the worker, the page
// reports the run, and Save writes a model whose class names and scaling simdnet reads back.
import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "vite";
import { chromium, type Browser, type Page } from "playwright-core";
import { decodeModel } from "../src/model/format.js";
import { Rng } from "../src/rng.js";

const CHROMIUM = process.env.SIMDNET_CHROMIUM ?? "/usr/bin/chromium";
const MIME: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".wasm": "application/wasm" };

function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(root, path.endsWith("/") ? path + "index.html" : path);
    if (!file.startsWith(root) || !existsSync(file)) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

function flowers(n: number): string {
  const rng = new Rng(11);
  const centres: Record<string, [number, number]> = { setosa: [1, 5], versicolor: [4, 1], virginica: [7, 6] };
  const rows = ['"petal length",width,species'];
  for (let i = 0; i < n; i++) {
    const c = Object.keys(centres)[i % 3];
    rows.push(`${(centres[c][0] + 0.5 * rng.normal()).toFixed(3)},${(1000 * (centres[c][1] + 0.5 * rng.normal())).toExponential(3)},${c}`);
  }
  return rows.join("\n") + "\n";
}

describe.skipIf(!existsSync(CHROMIUM))("the page on a table CSV (headless chromium)", () => {
  let browser: Browser, page: Page, server: Server, outDir: string, dir: string;
  const errors: string[] = [];
  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), "simdnet-web-tab-"));
    dir = mkdtempSync(join(tmpdir(), "simdnet-web-tab-data-"));
    writeFileSync(join(dir, "flowers.csv"), flowers(300));
    await build({ configFile: join(process.cwd(), "web/vite.config.ts"), build: { outDir, emptyOutDir: true }, logLevel: "warn" });
    let url: string;
    ({ server, url } = await serve(outDir));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"] });
    page = await browser.newPage({ acceptDownloads: true });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
    await page.goto(url);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("loads the table, trains on it, saves a model with its class names and scaling", async () => {
    await page.setInputFiles("#data-files", join(dir, "flowers.csv"));
    await expect.poll(() => page.textContent("#data-info")).toBe("300 rows × 2 features from flowers.csv: 3 classes (setosa, versicolor, virginica)");
    expect(await page.isDisabled("#train")).toBe(false);
    for (const [name, v] of Object.entries({ hidden: "16", lr: "0.1", epochs: "20", batch: "16", valSplit: "0.2", seed: "1" })) await page.fill(`#settings [name=${name}]`, v);
    await page.click("#train");
    await expect.poll(() => page.getAttribute("#train-result", "data-history"), { timeout: 60_000 }).not.toBeNull();
    expect(Number(await page.getAttribute("#train-result", "data-val-accuracy"))).toBeGreaterThan(0.9);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save-model")]);
    const saved = join(dir, "page.simdnet");
    await download.saveAs(saved);
    const m = decodeModel(readFileSync(saved), "page.simdnet");
    expect(m.meta?.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(m.meta?.normalization?.kind).toBe("standard");
    expect(m.spec).toMatchObject({ inputSize: 2, outputSize: 3, inputKind: "f32" });
    expect(errors).toEqual([]);
  }, 120_000);
});
