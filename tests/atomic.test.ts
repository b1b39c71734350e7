// Nothing lost: a child process rewrites a model file and a checkpoint in a loop and is killed with
// SIGKILL at random moments, many times. After every kill both files must decode completely, to
// the old version or the new one.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../src/fsutil.js";
import { decodeModel, encodeModel } from "../src/model/format.js";
import { decodeCheckpoint, encodeCheckpoint } from "../src/train/checkpoint.js";
import { ATOMIC_SPEC, atomicCheckpoint, atomicParams } from "./atomic-fixture.js";
import { Rng } from "../src/rng.js";

const root = resolve(import.meta.dirname, "..");
const KILLS = 12;

/** Starts the writer, waits until it is writing plus `delayMs`, kills it with SIGKILL. */
function writeThenKill(modelPath: string, ckPath: string, delayMs: number, mode = "atomic"): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "tests/atomic-writer-child.ts"), modelPath, ckPath, mode], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.once("data", () => setTimeout(() => child.kill("SIGKILL"), delayMs));
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? done() : fail(new Error(`writer exited ${code}: ${err}`))));
  });
}

/** Which version (1 or 2) a complete file holds; throws when the file is not a complete, valid one. */
const modelVersion = (path: string) => decodeModel(readFileSync(path), path).params[0];
const checkpointVersion = (path: string) => decodeCheckpoint(readFileSync(path), path).optimizer.steps;

describe("atomic writes survive kill -9", () => {
  it(`the model file and the checkpoint are always complete, old or new (${KILLS} kills at random moments)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-kill-"));
    const modelPath = join(dir, "model.simdnet");
    const ckPath = join(dir, "checkpoint.simdckpt");
    writeFileAtomic(modelPath, encodeModel(ATOMIC_SPEC, atomicParams(1)));
    writeFileAtomic(ckPath, encodeCheckpoint(atomicCheckpoint(1)));
    const rng = new Rng(2024);
    const seen = new Set<number>();
    for (let k = 0; k < KILLS; k++) {
      await writeThenKill(modelPath, ckPath, rng.int(120));
      const m = modelVersion(modelPath);
      const c = checkpointVersion(ckPath);
      expect([1, 2]).toContain(m);
      expect([1, 2]).toContain(c);
      seen.add(m);
    }
    expect(seen.size).toBe(2); // the writer really was replacing the file between kills
    rmSync(dir, { recursive: true, force: true });
  });
});
