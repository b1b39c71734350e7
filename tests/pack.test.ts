// The published package as a user gets it: npm pack, install the tarball into a fresh project,
// import 'simdnet' and 'simdnet/node', train, predict, round-trip a model, run the bin.
import { execFileSync, spawnSync } from "node:child_process";
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

describe("npm package", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-pack-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("packs, installs offline into a fresh project and works from 'simdnet' and 'simdnet/node'", () => {
    execFileSync(npm, ["pack", "--silent", "--pack-destination", dir], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    const app = join(dir, "app");
    execFileSync("mkdir", [app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", version: "1.0.0", type: "module", private: true }));
    execFileSync(npm, ["install", "--offline", "--no-audit", "--no-fund", "--silent", join(dir, tarball!)], { cwd: app, stdio: ["ignore", "pipe", "inherit"] });
    const pkg = join(app, "node_modules/simdnet");
    expect(existsSync(join(pkg, "src"))).toBe(false); // only dist and the README ship
    expect(existsSync(join(pkg, "dist/index.d.ts"))).toBe(true);

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

    const bin = spawnSync(join(app, "node_modules/.bin/simdnet"), ["--help"], { cwd: app, encoding: "utf8" });
    expect(bin.status, bin.stderr).toBe(0);
    expect(bin.stdout).toContain("predict");
    const h = spawnSync(join(app, "node_modules/.bin/simdnet"), ["info", "--model", "m.simdnet"], { cwd: app, encoding: "utf8" });
    expect(h.status, h.stderr).toBe(0);
    expect(h.stdout).toContain("784-32-10");
  });
});
