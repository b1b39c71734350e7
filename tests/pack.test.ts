// The published package as a user gets it: npm pack, install the tarball into a fresh project,
// import 'simdnet' and 'simdnet/node', train, predict, round-trip a model, run the bin — and the bin
// offline with no data trains on the MNIST sample that ships inside the package.
import { execFileSync, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

const USER_SCRIPT = `
import { Model, SimdnetError } from "simdnet";
import { saveModel, loadModel } from "simdnet/node";
import { Rng } from "./rng-free.mjs";

// a learnable synthetic set: class k lights up its own band of pixels
const rng = new Rng(7);
function digits(n) {
  const images = new Uint8Array(n * 784), labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const y = rng.int(10); labels[i] = y;
    for (let k = y * 78; k < (y + 1) * 78; k++) images[i * 784 + k] = rng.next() < 0.8 ? 200 : 0;
  }
  return { images, labels, count: n, inputSize: 784, source: "synthetic" };
}
const train = digits(500), test = digits(100);
const model = Model.create({ hidden: [32], activation: "relu", seed: 3 });
const history = await model.fit(train, { epochs: 3, batchSize: 32, lr: 0.1, validation: 0.2 });
const probs = model.predict(test.images);
const classes = model.predictClasses(test.images);
const floats = Float32Array.from(test.images, (v) => v / 255);
const sameFromFloats = model.predictClasses(floats).every((c, i) => c === classes[i]);
const back = Model.fromBytes(model.toBytes());
const sameAfterRoundTrip = back.predict(test.images).every((p, i) => p === probs[i]);
saveModel(model, "m.simdnet");
const loaded = loadModel("m.simdnet");
let badFile = null;
try { loadModel("missing.simdnet"); } catch (e) { badFile = e instanceof SimdnetError ? e.message : "other"; }
console.log(JSON.stringify({
  epochs: history.length, valAccuracy: history.at(-1).valAccuracy, probsLength: probs.length,
  rowSum: probs.slice(0, 10).reduce((a, b) => a + b, 0), testAccuracy: model.evaluate(test).accuracy,
  sameFromFloats, sameAfterRoundTrip, loadedAccuracy: loaded.evaluate(test).accuracy, badFile,
}));
`;

// a tiny seeded RNG so the user script needs nothing but the package
const RNG = `export class Rng { constructor(s) { this.s = s >>> 0; }
  next() { this.s = (this.s + 0x6d2b79f5) >>> 0; let t = this.s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }
  int(n) { return Math.floor(this.next() * n); } }`;

/** Every relative import reachable from a dist entry point. */
function importGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  for (const m of readFileSync(entry, "utf8").matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) importGraph(resolve(dirname(entry), m[1]), seen);
  return seen;
}

/** A 127.0.0.1 port with nothing listening (connection refused: what "offline" looks like to fetch). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
  const port = (s.address() as { port: number }).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

describe("npm package", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-pack-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("packs, installs offline into a fresh project and works from 'simdnet' and 'simdnet/node'", async () => {
    execFileSync(npm, ["pack", "--silent", "--pack-destination", dir], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    const app = join(dir, "app");
    execFileSync("mkdir", [app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", type: "module", private: true }));
    execFileSync(npm, ["install", "--offline", "--no-audit", "--no-fund", "--silent", join(dir, tarball!)], { cwd: app, stdio: ["ignore", "pipe", "inherit"] });
    const pkg = join(app, "node_modules/simdnet");
    expect(existsSync(join(pkg, "src"))).toBe(false); // only dist, the README and the MNIST sample ship
    expect(readdirSync(join(pkg, "data"))).toEqual(["mnist-sample"]);
    expect(readdirSync(join(pkg, "data/mnist-sample")).sort()).toEqual(["README.md", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]);
    expect(existsSync(join(pkg, "dist/index.d.ts"))).toBe(true);
    // no source maps: they would point at src/, which is not shipped
    expect(readdirSync(join(pkg, "dist"), { recursive: true }).filter((f) => String(f).endsWith(".map"))).toEqual([]);

    writeFileSync(join(app, "rng-free.mjs"), RNG);
    writeFileSync(join(app, "main.mjs"), USER_SCRIPT);
    const r = spawnSync(process.execPath, ["main.mjs"], { cwd: app, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.epochs).toBe(3);
    expect(out.valAccuracy).toBeGreaterThan(0.8);
    expect(out.testAccuracy).toBeGreaterThan(0.8);
    expect(out.probsLength).toBe(1000);
    expect(out.rowSum).toBeCloseTo(1, 5);
    expect(out.sameFromFloats).toBe(true);
    expect(out.sameAfterRoundTrip).toBe(true);
    expect(out.loadedAccuracy).toBe(out.testAccuracy);
    expect(out.badFile).toContain("missing.simdnet");

    // the universal entry point pulls in no Node built-ins (it must load in a browser)
    for (const file of importGraph(join(pkg, "dist/index.js"))) expect(readFileSync(file, "utf8"), file).not.toMatch(/from\s*["']node:|require\(/);

    // the TypeScript types resolve through package.json "exports" for a NodeNext project
    writeFileSync(
      join(app, "check.ts"),
      `import { Model, toTfjsLayers, type EpochStats } from "simdnet";\nimport { loadModel, downloadMnist } from "simdnet/node";\n` +
        `const m: Model = Model.create({ hidden: [8] });\nconst p: Float32Array = m.predict(new Uint8Array(784));\n` +
        `const h: Promise<EpochStats[]> = m.fit({ images: new Uint8Array(784), labels: new Uint8Array(1), count: 1, inputSize: 784, source: "x" }, { epochs: 1 });\n` +
        `const l: Model = loadModel("m.simdnet");\nconst j = toTfjsLayers(m.spec, m.getParams()).modelJson.format;\nvoid [p, h, l, j, downloadMnist];\n` +
        `// @ts-expect-error: predict takes pixels, not a string\nm.predict("no");\n`,
    );
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, types: [] }, files: ["check.ts"] }));
    const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: app, encoding: "utf8" });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
    const bin = spawnSync(join(app, "node_modules/.bin/simdnet"), ["--help"], { cwd: app, encoding: "utf8" });
    expect(bin.status, bin.stderr).toBe(0);
    expect(bin.stdout).toContain("predict");
    const h = spawnSync(join(app, "node_modules/.bin/simdnet"), ["info", "--model", "m.simdnet"], { cwd: app, encoding: "utf8" });
    expect(h.status, h.stderr).toBe(0);
    expect(h.stdout).toContain("784-32-10");

    // offline, no data anywhere: the installed bin trains on the sample inside the package
    const env: Record<string, string | undefined> = { ...process.env, SIMDNET_CACHE: join(dir, "cache"), SIMDNET_MNIST_MIRROR: `http://127.0.0.1:${await closedPort()}/` };
    delete env.SIMDNET_MNIST_DIR;
    const t = spawnSync(join(app, "node_modules/.bin/simdnet"), ["train", "--epochs", "3", "--hidden", "64", "--json", "--out", "sample.simdnet"], { cwd: app, encoding: "utf8", env });
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/the MNIST download failed \(.*cannot reach the MNIST mirror/);
    expect(t.stderr).toContain(`Training on the MNIST sample shipped with simdnet instead: 5,000 training and 1,000 test digits (${join(pkg, "data", "mnist-sample")};`);
    const summary = JSON.parse(t.stdout.trim().split("\n").pop()!);
    expect(summary.status).toBe("completed");
    expect(summary.testAccuracy).toBeGreaterThanOrEqual(0.85); // 90.7% with seed 1
    expect(existsSync(join(app, "sample.simdnet"))).toBe(true);
  });
});
