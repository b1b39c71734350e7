// The train command as a user runs it: a child process, its exit code and its output.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { encodeDigitsCsv } from "../src/data/csv.js";
import { TRAIN_OPTIONS, resolveTrainConfig } from "../src/cli/train.js";
import { syntheticDigits } from "./fixtures.js";

const root = resolve(import.meta.dirname, "..");
function simdnet(args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  // tsx resolved from the project, since the child runs in a temp folder
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), ...args], {
    cwd,
    env: { ...process.env, SIMDNET_MNIST_DIR: undefined, ...env },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("simdnet train (CLI)", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-cli-"));
  const csv = join(dir, "train.csv");
  writeFileSync(csv, encodeDigitsCsv(syntheticDigits(400, 3)));

  it("--json prints JSON lines ending with the summary contract, and writes the model", () => {
    const out = join(dir, "m.simdnet");
    const r = simdnet(["train", "--data", csv, "--epochs", "2", "--hidden", "16", "--json", "--out", out], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.event === "epoch")).toHaveLength(2);
    const summary = lines[lines.length - 1];
    expect(summary.event).toBe("summary");
    for (const k of ["testAccuracy", "valAccuracy", "trainLoss", "samplesPerSec", "epochs", "seconds"]) expect(summary).toHaveProperty(k);
    expect(summary.testAccuracy).toBeNull(); // a CSV has no test set
    expect(summary.valAccuracy).toBeGreaterThan(0.5);
    expect(summary.epochs).toBe(2);
    expect(existsSync(out)).toBe(true);
  });

  it("plain lines when piped: one per epoch, no progress-bar escapes", () => {
    const r = simdnet(["train", "--data", csv, "--epochs", "2", "--hidden", "16", "--out", join(dir, "p.simdnet")], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    expect(r.stdout.match(/^epoch \d\/2 /gm)).toHaveLength(2);
  });

  it("--help lists every option with its default, and those defaults are what a run gets", () => {
    const r = simdnet(["train", "--help"], dir);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    for (const o of TRAIN_OPTIONS) {
      const line = lines.find((l) => new RegExp(`^\\s*--${o.name}(\\s|$)`).test(l));
      expect(line, `--${o.name} in --help`).toBeDefined();
      if (o.default !== undefined && o.default !== false) expect(line, `--${o.name}`).toContain(`(default: ${o.default})`);
    }
    // the documented defaults are the resolved configuration of a run given no options
    const cfg = resolveTrainConfig([]);
    if (cfg === "help") throw new Error("unexpected help");
    const def = (name: string) => String(TRAIN_OPTIONS.find((o) => o.name === name)!.default);
    expect(cfg.spec.hidden.join(",")).toBe(def("hidden"));
    expect(cfg.spec.activation).toBe(def("activation"));
    expect(String(cfg.epochs)).toBe(def("epochs"));
    expect(String(cfg.batch)).toBe(def("batch"));
    expect(String(cfg.lr)).toBe(def("lr"));
    expect(cfg.optimizer.name).toBe(def("optimizer"));
    expect(String(cfg.optimizer.momentum)).toBe(def("momentum"));
    expect(cfg.schedule.name).toBe(def("schedule"));
    expect(String(cfg.schedule.gamma)).toBe(def("gamma"));
    expect(String(cfg.schedule.patience)).toBe(def("patience"));
    expect(String(cfg.dropout)).toBe(def("dropout"));
    expect(cfg.init).toBe(def("init"));
    expect(String(cfg.seed)).toBe(def("seed"));
    expect(cfg.backend).toBe(def("backend"));
    expect(cfg.augment).toBeUndefined(); // --augment none
    expect(def("augment")).toBe("none");
  });

  it("a --data that does not exist is an error naming it (never the shipped sample)", () => {
    const r = simdnet(["train", "--data", join(dir, "nope")], dir, { SIMDNET_CACHE: join(dir, "cache"), SIMDNET_MNIST_MIRROR: "http://127.0.0.1:9/" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(dir, "nope"));
    expect(r.stderr).toMatch(/no such file or folder/);
    expect(r.stderr).not.toMatch(/sample/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("bad options are named errors, exit 2, no stack", () => {
    for (const args of [["--epochs", "0"], ["--hidden", "12,x"], ["--bogus"], ["--preset", "nope"], ["--optimizer", "rmsprop"]]) {
      const r = simdnet(["train", "--data", csv, ...args], dir);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^simdnet: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
