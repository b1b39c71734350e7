// The MNIST sample shipped with simdnet (data/mnist-sample/: 5,000 training and 1,000 test digits,
// CC BY-SA 3.0, see its README.md): what `simdnet train` falls back to when it finds no data and
// cannot download MNIST. The folder sits at the package root, two levels above this file both in
// the source tree (src/data/) and in the built package (dist/data/).
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hasMnistFiles } from "./files.js";

export const SAMPLE_TRAIN_COUNT = 5000;
export const SAMPLE_TEST_COUNT = 1000;

/** The sample's folder (absolute), or null if it is missing (a stripped install). */
export function sampleDir(): string | null {
  const dir = resolve(fileURLToPath(new URL("../../data/mnist-sample/", import.meta.url)));
  return hasMnistFiles(dir) ? dir : null;
}
