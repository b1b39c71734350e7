// In-memory data sets stay uint8 (60000×784 bytes, not floats). Splits and shuffles are index
// arrays over them, so nothing is copied until a batch is gathered into the arena.
import { Rng } from "../rng.js";

export interface Dataset {
  /**
   * (count, inputSize) uint8 pixels, row-major. Read-only once a wasm backend has gathered a batch
   * from it: the backend keeps a copy in its memory (Backend.gatherRows) and would not see a change.
   */
  images: Uint8Array;
  /** (count) labels 0..9, or null for an unlabelled set (Kaggle test.csv). */
  labels: Uint8Array | null;
  count: number;
  inputSize: number;
  /** Where it came from, for messages. */
  source: string;
  /** Float features (count, inputSize), row-major, for a float-input model (tabular data, already normalised); images is then empty. */
  features?: Float32Array;
  /** Regression targets (count, outputs), row-major, standardised; labels is then null. */
  targets?: Float32Array;
}

export interface Subset {
  data: Dataset;
  indices: Uint32Array;
}

export function allOf(data: Dataset): Subset {
  const indices = new Uint32Array(data.count);
  for (let i = 0; i < data.count; i++) indices[i] = i;
  return { data, indices };
}

/** Shuffles with a seeded RNG, then splits off the first round(fraction·count) as validation. */
export function splitTrainVal(data: Dataset, valFraction: number, seed: number): { train: Subset; val: Subset | null } {
  const all = allOf(data).indices;
  new Rng(seed ^ 0x5eed5eed).shuffle(all);
  const nVal = Math.round(valFraction * data.count);
  if (nVal <= 0) return { train: { data, indices: all }, val: null };
  return {
    val: { data, indices: all.subarray(0, nVal) },
    train: { data, indices: all.subarray(nVal) },
  };
}
