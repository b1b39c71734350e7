// The MNIST download (train with no data): against a node:http server on 127.0.0.1 — the only
// traffic these tests make. The real files come from $SIMDNET_MNIST_DIR (never copied into the
// repo): outside CI the tests that need them skip without it; in CI its absence is a failure.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cacheDir, downloadMnist, MNIST_SHA256, mnistMirror, type DownloadProgress } from "../src/data/download.js";
import { hasMnistFiles } from "../src/data/files.js";
import { SimdnetError } from "../src/errors.js";
import { realMnistDir } from "./helpers.js";

const mnistDir = realMnistDir("MNIST download of the real files", (d) => hasMnistFiles(d) && Object.keys(MNIST_SHA256).every((f) => readdirSync(d).includes(f)), "serving stand-in bytes and skipping the real-file tests");
const haveData = mnistDir !== undefined;
const root = resolve(import.meta.dirname, "..");

type Handler = (req: IncomingMessage, res: ServerResponse, name: string) => void;
let handler: Handler = (_q, res) => res.writeHead(404).end();
const requests: string[] = [];
let server: Server;
let mirror = "";
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "simdnet-dl-"));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const name = (req.url ?? "/").split("/").pop() ?? "";
    requests.push(name);
    handler(req, res, name);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  mirror = `http://127.0.0.1:${(server.address() as { port: number }).port}/mnist/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const realFile = (name: string) => readFileSync(join(mnistDir!, name));
const serveReal: Handler = (_q, res, name) => {
  if (!(name in MNIST_SHA256)) return void res.writeHead(404).end();
  const body = realFile(name);
  res.writeHead(200, { "content-length": body.length, "content-type": "application/gzip" }).end(body);
};

async function failure(p: Promise<unknown>): Promise<SimdnetError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SimdnetError);
    return e as SimdnetError;
  }
  throw new Error("expected the download to fail");
}

describe("MNIST download", () => {
  it("cache folder and mirror come from SIMDNET_CACHE, XDG_CACHE_HOME, SIMDNET_MNIST_MIRROR", () => {
    expect(cacheDir({ SIMDNET_CACHE: "/c" })).toBe("/c");
    expect(cacheDir({ XDG_CACHE_HOME: "/x" })).toBe(join("/x", "simdnet"));
    expect(cacheDir({})).toMatch(/\.cache[/\\]simdnet$/);
    expect(mnistMirror({ SIMDNET_MNIST_MIRROR: "http://127.0.0.1:1/m" })).toBe("http://127.0.0.1:1/m/");
    expect(mnistMirror({})).toMatch(/^https:\/\//);
  });

  it.skipIf(!haveData)("downloads the four files, verifies them, and a second run fetches nothing", async () => {
    handler = serveReal;
    const dir = join(tempDir(), "mnist");
    const progress: DownloadProgress[] = [];
    requests.length = 0;
    await downloadMnist({ dir, mirror, onProgress: (p) => progress.push({ ...p }) });
    expect(requests.sort()).toEqual(Object.keys(MNIST_SHA256).sort());
    for (const [name, sum] of Object.entries(MNIST_SHA256)) expect(createHash("sha256").update(readFileSync(join(dir, name))).digest("hex")).toBe(sum);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(MNIST_SHA256).sort()); // no temp files left
    const done = progress.filter((p) => p.done);
    expect(done.map((p) => p.file).sort()).toEqual(Object.keys(MNIST_SHA256).sort());
    for (const p of done) expect(p.received).toBe(p.total);
    requests.length = 0;
    await downloadMnist({ dir, mirror });
    expect(requests).toEqual([]);
  });

  it("a corrupted file is rejected (SHA-256) and never kept", async () => {
    handler = (_q, res, name) => {
      const body = haveData ? Buffer.from(realFile(name)) : Buffer.alloc(100_000, 7);
      body[body.length >> 1] ^= 0xff;
      res.writeHead(200, { "content-length": body.length }).end(body);
    };
    const dir = tempDir();
    const e = await failure(downloadMnist({ dir, mirror }));
    expect(e.message).toMatch(/SHA-256 mismatch/);
    expect(e.message).toContain("train-images-idx3-ubyte.gz");
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a server that drops the connection midway leaves no partial file", async () => {
    handler = (_q, res, name) => {
      const body = haveData ? realFile(name) : Buffer.alloc(2_000_000, 7);
      res.writeHead(200, { "content-length": body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
    };
    const dir = tempDir();
    const e = await failure(downloadMnist({ dir, mirror }));
    expect(e.message).toMatch(/broke off after \d+ bytes/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a 404 is a clear error naming the URL", async () => {
    handler = (_q, res) => res.writeHead(404, "Not Found").end("no");
    const dir = tempDir();
    const e = await failure(downloadMnist({ dir, mirror }));
    expect(e.message).toContain(`${mirror}train-images-idx3-ubyte.gz`);
    expect(e.message).toMatch(/HTTP 404/);
    expect(readdirSync(dir)).toEqual([]);
  });

  /** `simdnet train` as a child process (through tsx), with no data given. */
  function trainNoData(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const child = spawn(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), "train", ...args], {
      cwd: tempDir(),
      env: { ...process.env, SIMDNET_MNIST_DIR: "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    return new Promise((ok) => child.on("close", (code) => ok({ code, stdout, stderr })));
  }

  it("train without data and a failing mirror: trains on the shipped sample, says why and how to get the full set, exit 0", async () => {
    handler = (_q, res) => res.writeHead(404).end();
    const cache = tempDir();
    const out = join(cache, "m.simdnet");
    // the defaults, as `npm run train` on a fresh offline machine: 784-128-10, 10 epochs
    const r = await trainNoData(["--json", "--out", out], { SIMDNET_CACHE: cache, SIMDNET_MNIST_MIRROR: mirror });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the MNIST download failed \(.*HTTP 404/);
    expect(r.stderr).toContain("Training on the MNIST sample shipped with simdnet instead: 5,000 training and 1,000 test digits");
    expect(r.stderr).toContain(join(root, "data", "mnist-sample"));
    expect(r.stderr).toMatch(/CC BY-SA 3\.0/);
    expect(r.stderr).toMatch(/--data path\/to\/mnist-folder/);
    expect(r.stderr).toMatch(/SIMDNET_MNIST_DIR/);
    expect(r.stderr).toMatch(/network connection/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l)); // stdout stays pure JSON lines
    expect(lines[0].message).toContain("(the MNIST sample)");
    expect(lines[0].message).toContain("4500 train, 500 val, 1000 test");
    const summary = lines[lines.length - 1];
    expect(summary.event).toBe("summary");
    expect(summary.epochs).toBe(10);
    expect(summary.testAccuracy).toBeGreaterThanOrEqual(0.9); // 93.2% with seed 1
    expect(readdirSync(cache)).toContain("m.simdnet");
  });

  it("a SIMDNET_MNIST_DIR without the files is an error naming it, not a download", async () => {
    requests.length = 0;
    const empty = tempDir();
    const r = await trainNoData([], { SIMDNET_MNIST_DIR: empty, SIMDNET_CACHE: tempDir(), SIMDNET_MNIST_MIRROR: mirror });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`SIMDNET_MNIST_DIR is set, but ${empty} does not hold the four MNIST IDX files`);
    expect(requests).toEqual([]);
  });

  it.skipIf(!haveData)("train without data downloads MNIST into SIMDNET_CACHE, then trains on it", async () => {
    handler = serveReal;
    const cache = tempDir();
    const out = join(cache, "m.simdnet");
    const r = await trainNoData(["--epochs", "1", "--hidden", "16", "--json", "--out", out], { SIMDNET_CACHE: cache, SIMDNET_MNIST_MIRROR: mirror });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/downloaded train-images-idx3-ubyte\.gz \(9\.5 MB, SHA-256 verified\)/);
    expect(readdirSync(join(cache, "mnist")).sort()).toEqual(Object.keys(MNIST_SHA256).sort());
    const summary = JSON.parse(r.stdout.trim().split("\n").pop()!); // stdout stays pure JSON lines
    expect(summary.event).toBe("summary");
    expect(summary.testAccuracy).toBeGreaterThan(0.85);
  });
});
