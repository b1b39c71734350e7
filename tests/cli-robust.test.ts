// The train and gradcheck commands as a user runs them (child processes): bad input exits 2 with
// file/line/field and no stack; divergence exits 3 with a diagnosis; Ctrl-C checkpoints and exits
// 130, and --resume then ends with exactly the weights of an uninterrupted run.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { encodeDigitsCsv } from "../src/data/csv.js";
import { decodeModel } from "../src/model/format.js";
import { decodeCheckpoint } from "../src/train/checkpoint.js";
import { syntheticDigits } from "./fixtures.js";

const root = resolve(import.meta.dirname, "..");
const nodeArgs = (args: string[]) => ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), ...args];
const env = { ...process.env, SIMDNET_MNIST_DIR: undefined };

function simdnet(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, nodeArgs(args), { cwd, env, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), "simdnet-cli-robust-"));
const csv = join(dir, "train.csv");
writeFileSync(csv, encodeDigitsCsv(syntheticDigits(1500, 3)));
const NO_STACK = /\n\s+at /;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("simdnet train: bad input", () => {
  it("a bad CSV value: exit 2, file, line and field on stderr, no stack trace", () => {
    const lines = readFileSync(csv, "utf8").split("\n");
    lines[7] = lines[7].replace(/^(\d),(\d+),/, "$1,$2.5,"); // a fractional pixel0 on file line 8
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, lines.join("\n"));
    const r = simdnet(["train", "--data", bad, "--epochs", "1"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`simdnet: ${bad}, line 8, field pixel0: expected an integer 0–255, got a fractional number\n`);
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it("an empty file and a missing file: exit 2, named, no stack", () => {
    const empty = join(dir, "empty.csv");
    writeFileSync(empty, "");
    for (const [path, message] of [
      [empty, `${empty}, line 1: empty file`],
      [join(dir, "missing.csv"), `${join(dir, "missing.csv")}, field --data: no such file or folder`],
    ]) {
      const r = simdnet(["train", "--data", path], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(NO_STACK);
    }
  });

  it("an --out folder that does not exist, and a split leaving no training data: refused before training", () => {
    let r = simdnet(["train", "--data", csv, "--out", join(dir, "no-such-folder", "m.simdnet")], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/field --out: cannot write the model there: .*no-such-folder is not a writable folder/);
    expect(r.stdout).not.toMatch(/^epoch/m);
    const tiny = join(dir, "tiny.csv");
    writeFileSync(tiny, encodeDigitsCsv(syntheticDigits(4, 1)));
    r = simdnet(["train", "--data", tiny, "--val-split", "0.9"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("simdnet: field --val-split: a validation fraction of 0.9 leaves none of the 4 samples for training\n");
  });

  it("a corrupt checkpoint given to --resume: exit 2, named", () => {
    const ck = join(dir, "corrupt.simdckpt");
    writeFileSync(ck, "SIMDCKPT garbage");
    const r = simdnet(["train", "--resume", ck], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^simdnet: ${ck.replace(/[.]/g, "\\.")}, byte 8, field header: header length \\d+ runs past the end`));
  });
});

describe("simdnet train: divergence", () => {
  it("--lr 10: stops at once with a diagnosis naming the learning rate, exit 3, writes no model", () => {
    const out = join(dir, "lr10.simdnet");
    const r = simdnet(["train", "--data", csv, "--hidden", "32", "--epochs", "3", "--lr", "10", "--out", out], dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/training is diverging: the loss is [\d.e+]+ at epoch 1, batch \d+/);
    expect(r.stderr).toMatch(/learning rate too high \(lr 10\).*Try --lr 1 or lower/);
    expect(r.stderr).toMatch(/no model written\. Use --checkpoint-dir DIR/);
    expect(existsSync(out)).toBe(false);
  });

  it("a run that collapses to chance later: stopped, and the checkpoint of the last healthy epoch is kept and named", () => {
    const d = syntheticDigits(1500, 3);
    for (let i = 0; i < d.count; i += 3) d.labels![i] = (d.labels![i] * 7 + 3) % 10; // noisy labels: the gradient never vanishes
    const noisy = join(dir, "noisy.csv");
    writeFileSync(noisy, encodeDigitsCsv(d));
    const ckDir = join(dir, "collapse-ck");
    // the learning rate warms up towards 40: fine at first, ruinous later
    const r = simdnet(["train", "--data", noisy, "--hidden", "32", "--epochs", "8", "--lr", "40", "--warmup", "20", "--schedule", "constant", "--checkpoint-dir", ckDir, "--out", join(dir, "c.simdnet")], dir);
    expect(r.code).toBe(3);
    const m = r.stderr.match(/after (\d+) steps the training accuracy over the last 50 batches is [\d.]+%, chance level/);
    expect(m).not.toBeNull();
    expect(r.stderr).toMatch(/learning rate too high \(lr 40\)/);
    const ckPath = join(ckDir, "checkpoint.simdckpt");
    expect(r.stderr).toContain(`The last good checkpoint is ${ckPath}.`);
    const ck = decodeCheckpoint(readFileSync(ckPath));
    const stepsPerEpoch = 22; // 1350 training rows, batch 64
    expect(ck.epochsCompleted).toBe(Math.floor(Number(m![1]) / stepsPerEpoch)); // the last epoch completed before the diagnosis
    expect(existsSync(join(dir, "c.simdnet"))).toBe(false);
  });

  it("10·randn init (--init normal0.01 --init-scale 1000): the diagnosis names the initialisation; --json gives a diagnosis event", () => {
    const r = simdnet(["train", "--data", csv, "--hidden", "32", "--epochs", "2", "--init", "normal0.01", "--init-scale", "1000", "--json", "--out", join(dir, "init.simdnet")], dir);
    expect(r.code).toBe(3);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const d = events.find((e) => e.event === "diagnosis");
    expect(d).toMatchObject({ symptom: "loss-explosion", fatal: true, epoch: 1, batch: 1, step: 1 });
    expect(d.message).toMatch(/initialisation scale too large: layer 1 \(dense 32 act=relu\) started with weight RMS 10/);
    expect(events[events.length - 1]).toMatchObject({ event: "summary", status: "diverged" });
  });

  it("--on-divergence warn: prints the diagnosis and keeps training", () => {
    const r = simdnet(["train", "--data", csv, "--hidden", "32", "--epochs", "2", "--init", "normal0.01", "--init-scale", "1000", "--on-divergence", "warn", "--out", join(dir, "warn.simdnet")], dir);
    expect(r.stderr).toMatch(/training is diverging/);
    expect(r.stdout.match(/^epoch \d\/2 /gm)).toHaveLength(2);
    expect(r.code).toBe(0);
  });

  it("a healthy run with per-epoch checkpoints: no diagnosis, a checkpoint and its predecessor", () => {
    const ckDir = join(dir, "ok-ck");
    const r = simdnet(["train", "--data", csv, "--hidden", "32", "--epochs", "3", "--out", join(dir, "ok.simdnet"), "--checkpoint-dir", ckDir], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(decodeCheckpoint(readFileSync(join(ckDir, "checkpoint.simdckpt"))).epochsCompleted).toBe(3);
    expect(decodeCheckpoint(readFileSync(join(ckDir, "checkpoint.prev.simdckpt"))).epochsCompleted).toBe(2);
  });
});

describe("simdnet train: Ctrl-C and --resume", () => {
  const args = ["train", "--data", csv, "--hidden", "256", "--epochs", "8", "--dropout", "0.1", "--augment", "shift", "--optimizer", "adam", "--lr", "0.002"];

  it("SIGINT finishes the batch, checkpoints, exits 130; --resume reaches bit-identical weights", async () => {
    const full = join(dir, "full.simdnet");
    expect(simdnet([...args, "--out", full], dir).code).toBe(0);

    const out = join(dir, "resumed.simdnet");
    const ckDir = join(dir, "int-ck");
    const child = spawn(process.execPath, nodeArgs([...args, "--out", out, "--checkpoint-dir", ckDir]), { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      if (/^epoch 2\/8 /m.test(stdout) && !child.killed) child.kill("SIGINT");
    });
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => child.on("exit", (c) => done(c)));
    expect(code, stderr).toBe(130);
    const ckPath = join(ckDir, "checkpoint.simdckpt");
    expect(stderr).toContain(`checkpoint written to ${ckPath}`);
    expect(stderr).toContain(`continue with: simdnet train --resume ${ckPath}`);
    expect(existsSync(out)).toBe(false);
    const ck = decodeCheckpoint(readFileSync(ckPath));
    expect(ck.position.epoch).toBeGreaterThanOrEqual(3);
    expect(ck.epochsCompleted).toBeLessThan(8);

    const r = simdnet(["train", "--resume", ckPath, "--out", out], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`resuming ${ckPath}: epoch ${ck.position.epoch}, after batch ${ck.position.batch}`);
    const a = decodeModel(readFileSync(full)).params;
    const b = decodeModel(readFileSync(out)).params;
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });

  it("--resume refuses other training options and other data, naming them", () => {
    const ckDir = join(dir, "ok-ck");
    const ck = join(ckDir, "checkpoint.simdckpt");
    let r = simdnet(["train", "--resume", ck, "--hidden", "64"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/field --hidden: cannot be changed when resuming/);
    const other = join(dir, "other.csv");
    writeFileSync(other, encodeDigitsCsv(syntheticDigits(1500, 99)));
    r = simdnet(["train", "--resume", ck, "--data", other], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/field data: the checkpoint was made on other training data/);
  });
});

describe("simdnet gradcheck", () => {
  it("prints per-layer errors and PASS, exit 0; --json has the same verdict", () => {
    const r = simdnet(["gradcheck", "--hidden", "12,7", "--activation", "tanh", "--input-size", "15", "--classes", "4", "--batch", "5"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/^ {2}layer \d \((dense \d+( act=tanh)?)\) {2}W max rel error \S+ {2}b max rel error \S+ {2}PASS$/gm)).toHaveLength(3);
    expect(r.stdout).toMatch(/^PASS: max relative error /m);
    const j = JSON.parse(simdnet(["gradcheck", "--backend", "js", "--json"], dir).stdout);
    expect(j.pass).toBe(true);
    expect(j.maxRelError).toBeLessThan(1e-4);
    expect(j.checked).toBe(20 * 16 + 16 + 16 * 8 + 8 + 8 * 10 + 10);
  });

  it("bad options are named", () => {
    const r = simdnet(["gradcheck", "--activation", "swish"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/field --activation: unknown activation "swish"/);
  });
});
