// The page trains multi-threaded when it is cross-origin isolated (COOP/COEP headers, as the Vite
// dev and preview servers send) and on one thread otherwise, says which, and both give exactly the
// weights a single-threaded Node run computes (Debian's chromium, as tests/browser.test.ts).
import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "vite";
import { chromium, type Browser } from "playwright-core";
import { loadMnistDir } from "../src/data/files.js";
import { decodeModel } from "../src/model/format.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { fit } from "../src/train/trainer.js";
import { DEFAULT_SETTINGS, prepareRun } from "../web/training.js";

const CHROMIUM = process.env.SIMDNET_CHROMIUM ?? "/usr/bin/chromium";
const MIME: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".wasm": "application/wasm" };
const ISOLATION = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" };

function serve(root: string, isolated: boolean): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(root, path.endsWith("/") ? path + "index.html" : path);
    if (!file.startsWith(root) || !existsSync(file)) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream", ...(isolated ? ISOLATION : {}) }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)("page: threads when cross-origin isolated", () => {
  let browser: Browser;
  let outDir: string;
  const servers: Server[] = [];
  let nodeParams: Float32Array;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), "simdnet-web-threads-"));
    await build({ configFile: join(process.cwd(), "web/vite.config.ts"), build: { outDir, emptyOutDir: true }, logLevel: "warn" });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
    const sample = loadMnistDir(join(process.cwd(), "data/mnist-sample"));
    const run = prepareRun(new WasmBackend(), sample.train, DEFAULT_SETTINGS);
    await fit(run.net, run.train, run.val, run.options);
    nodeParams = run.net.getParams();
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await new Promise((r) => s.close(r));
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  for (const isolated of [true, false]) {
    it(`${isolated ? "isolated: 2 threads" : "not isolated: one thread"}, the same weights as Node bit for bit`, async () => {
      const { server, url } = await serve(outDir, isolated);
      servers.push(server);
      const page = await browser.newPage({ acceptDownloads: true });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => void (m.type() === "error" && errors.push(m.text())));
      await page.goto(url);
      expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(isolated);
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      await page.click("#train-sample");
      await expect.poll(() => page.getAttribute("#train-result", "data-history"), { timeout: 90_000 }).not.toBeNull();
      const threads = Number(await page.getAttribute("#engine", "data-threads"));
      const engine = await page.textContent("#engine");
      if (isolated) {
        expect(threads).toBe(cores);
        expect(cores).toBeGreaterThan(1);
        expect(engine).toContain(`${cores} threads (cross-origin isolated)`);
      } else {
        expect(threads).toBe(1);
        expect(engine).toContain("one thread (not cross-origin isolated");
      }
      const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save-model")]);
      const saved = decodeModel(readFileSync((await download.path())!), "download");
      expect(new Uint32Array(saved.params.buffer, saved.params.byteOffset, saved.params.length)).toEqual(new Uint32Array(nodeParams.buffer));
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
