// MNIST download when no data is found, against a node:http server on 127.0.0.1 (never the internet):
// checksums, the cache, no partial files, and a clear failure naming --data and SIMDNET_MNIST_DIR.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { downloadMnist, sha256Hex } from "../src/data/download.js";
import { encodeIdx } from "../src/data/idx.js";
import { hasMnistFiles, loadMnistDir } from "../src/data/files.js";
import { SimdnetError } from "../src/errors.js";
import { syntheticDigits } from "./fixtures.js";

const root = resolve(import.meta.dirname, "..");
const mnistDir = process.env.SIMDNET_MNIST_DIR;
const haveMnist = Boolean(mnistDir && hasMnistFiles(mnistDir));

/** Small stand-in MNIST files (synthetic digits as gzipped IDX) and their SHA-256. */
function standIns(): { files: Record<string, Uint8Array>; sums: Record<string, string> } {
  const tr = syntheticDigits(50, 1), te = syntheticDigits(20, 2);
  const files: Record<string, Uint8Array> = {
    "train-images-idx3-ubyte.gz": gzipSync(encodeIdx([50, 28, 28], tr.images)),
    "train-labels-idx1-ubyte.gz": gzipSync(encodeIdx([50], tr.labels!)),
    "t10k-images-idx3-ubyte.gz": gzipSync(encodeIdx([20, 28, 28], te.images)),
    "t10k-labels-idx1-ubyte.gz": gzipSync(encodeIdx([20], te.labels!)),
  };
  return { files, sums: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, sha256Hex(v)])) };
}

describe("MNIST download", () => {
  let server: Server;
  let base = "";
  let files: Record<string, Uint8Array> = {};
  const requests: string[] = [];
  const quiet = () => {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push(req.url!);
      const [, folder, name] = req.url!.split("/"); // /<folder>/<file>
      const body = folder === "good" ? files[name] : folder === "corrupt" ? Buffer.from("not gzip at all") : folder === "real" && haveMnist ? readFileSync(join(mnistDir!, name)) : undefined;
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-length": body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("downloads the four files, checks their SHA-256, caches them, and loads them", async () => {
    const s = standIns();
    files = s.files;
    const dir = join(mkdtempSync(join(tmpdir(), "simdnet-dl-")), "mnist");
    requests.length = 0;
    expect(await downloadMnist({ dir, mirror: `${base}/good`, sums: s.sums, log: quiet })).toBe(dir);
    expect(requests).toHaveLength(4);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(s.files).sort()); // no temp files left
    for (const [name, bytes] of Object.entries(s.files)) expect(readFileSync(join(dir, name))).toEqual(Buffer.from(bytes));
    expect(loadMnistDir(dir).test.count).toBe(20);
    requests.length = 0;
    await downloadMnist({ dir, mirror: `${base}/good`, sums: s.sums, log: quiet });
    expect(requests).toHaveLength(0); // cached
  });

  it("refuses a file whose SHA-256 is wrong and leaves nothing in the cache", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "simdnet-dl-")), "mnist");
    const err = await downloadMnist({ dir, mirror: `${base}/corrupt`, log: quiet }).catch((e) => e);
    expect(err).toBeInstanceOf(SimdnetError);
    expect(err.message).toMatch(/SHA-256/);
    expect(err.message).toContain("train-images-idx3-ubyte.gz");
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it("a failed download says how to provide data (--data, SIMDNET_MNIST_DIR)", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "simdnet-dl-")), "mnist");
    for (const mirror of [`${base}/missing`, "http://127.0.0.1:9/"]) {
      const err = await downloadMnist({ dir, mirror, log: quiet }).catch((e) => e);
      expect(err).toBeInstanceOf(SimdnetError);
      expect(err.message).toContain(mirror.replace(/\/$/, ""));
      expect(err.message).toMatch(/--data/);
      expect(err.message).toMatch(/SIMDNET_MNIST_DIR/);
    }
  });

  it.skipIf(!haveMnist && !process.env.CI)("simdnet train with no data downloads the real MNIST (checked against the published SHA-256) and trains", async () => {
    expect(haveMnist, "CI must set SIMDNET_MNIST_DIR").toBe(true);
    const cwd = mkdtempSync(join(tmpdir(), "simdnet-dl-cli-"));
    const cache = join(cwd, "cache");
    const env: NodeJS.ProcessEnv = { ...process.env, SIMDNET_CACHE: cache, SIMDNET_MNIST_MIRROR: `${base}/real/` };
    delete env.SIMDNET_MNIST_DIR;
    // async spawn: this process serves the files while the child runs
    const child = spawn(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), "train", "--epochs", "1", "--hidden", "8", "--json", "--out", "m.simdnet"], { cwd, env });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise((r) => child.on("close", r));
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/downloading .*train-images-idx3-ubyte\.gz/);
    expect(hasMnistFiles(join(cache, "mnist"))).toBe(true);
    const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
    expect(summary.testAccuracy).toBeGreaterThan(0.8);
  });
});
