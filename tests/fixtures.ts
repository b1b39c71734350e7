import type { Dataset } from "../src/data/dataset.js";
import { Rng } from "../src/rng.js";

/** A learnable synthetic digit set: class k brightens its own band of pixels, plus noise. */
export function syntheticDigits(count: number, seed = 1, D = 784, classes = 10): Dataset {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * D);
  const labels = new Uint8Array(count);
  const band = Math.floor(D / classes);
  for (let i = 0; i < count; i++) {
    const y = rng.int(classes);
    labels[i] = y;
    for (let k = 0; k < D; k++) {
      const inBand = k >= y * band && k < (y + 1) * band;
      images[i * D + k] = inBand ? (rng.next() < 0.8 ? 120 + rng.int(136) : 0) : rng.next() < 0.05 ? rng.int(256) : 0;
    }
  }
  return { images, labels, count, inputSize: D, source: "synthetic" };
}
