// The train command's safety net: checkpoint files (written atomically, the previous one kept),
// --resume, and Ctrl-C handling (finish the batch, checkpoint, exit 130).
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { SimdnetError } from "../errors.js";
import { writeFileAtomic } from "../fsutil.js";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "../train/checkpoint.js";

/** Exit code of a run stopped by Ctrl-C after writing its checkpoint (128 + SIGINT, as shells do). */
export const EXIT_INTERRUPTED = 130;
/** Exit code of a run stopped by the divergence watcher. */
export const EXIT_DIVERGED = 3;

/**
 * Options that may be given with --resume: where things are and how to report, plus the two knobs
 * that rescue a diverging run (the learning rate and gradient clipping; changing them ends exactness).
 */
export const RESUME_OPTIONS = ["resume", "data", "out", "json", "checkpoint-dir", "on-divergence", "backend", "threads", "fma", "lr", "clip-norm", "report"];

/** Where a run keeps its checkpoint: DIR/checkpoint.simdckpt, or beside the model (model.simdckpt). */
export function checkpointPath(out: string, checkpointDir: string | undefined): string {
  if (checkpointDir) return join(checkpointDir, "checkpoint.simdckpt");
  return join(dirname(out), basename(out).replace(/\.simdnet$/, "") + ".simdckpt");
}

/**
 * Checks before training that the model can be written and the checkpoint folder exists (creating
 * it), so a long run never ends with nowhere to save its result.
 */
export function checkOutputPaths(out: string, checkpointDir: string | undefined): void {
  const dir = dirname(out);
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
    accessSync(dir, constants.W_OK);
  } catch {
    ok = false;
  }
  if (!ok) throw new SimdnetError(`cannot write the model there: ${dir} is not a writable folder`, { file: out, field: "--out" });
  if (checkpointDir) {
    try {
      mkdirSync(checkpointDir, { recursive: true });
      accessSync(checkpointDir, constants.W_OK);
    } catch (e) {
      throw new SimdnetError(`cannot use the checkpoint folder: ${(e as Error).message}`, { file: checkpointDir, field: "--checkpoint-dir" });
    }
  }
}

export function readCheckpointFile(path: string): Checkpoint {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new SimdnetError(`cannot read checkpoint: ${(e as Error).message}`, { file: path, field: "--resume" });
  }
  return decodeCheckpoint(bytes, path);
}

/**
 * Writes checkpoints atomically. Before replacing DIR/checkpoint.simdckpt it saves the bytes it
 * replaces as checkpoint.prev.simdckpt, so a kill at any moment leaves at least one complete file.
 */
export class CheckpointWriter {
  private last: Uint8Array | null = null;
  constructor(readonly path: string) {}

  write(ck: Checkpoint): void {
    const dir = dirname(this.path);
    if (!existsSync(dir)) {
      try {
        mkdirSync(dir, { recursive: true });
      } catch (e) {
        throw new SimdnetError(`cannot create the checkpoint folder: ${(e as Error).message}`, { file: dir, field: "--checkpoint-dir" });
      }
    }
    const bytes = encodeCheckpoint(ck);
    if (this.last) writeFileAtomic(this.path.replace(/\.simdckpt$/, ".prev.simdckpt"), this.last);
    writeFileAtomic(this.path, bytes);
    this.last = bytes;
  }
}

/**
 * Ctrl-C (or SIGTERM): the first signal asks the loop to stop after the current batch (the caller then writes a
 * checkpoint); a second one exits at once. Returns a flag reader and a function removing the handler.
 */
export function catchInterrupt(onFirst: () => void): { interrupted: () => boolean; dispose: () => void } {
  let count = 0;
  const handler = () => {
    if (++count === 1) onFirst();
    else process.exit(EXIT_INTERRUPTED);
  };
  // SIGTERM (a job scheduler, `kill`) gets the same treatment as Ctrl-C
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    interrupted: () => count > 0,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
