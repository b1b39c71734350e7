// MNIST download, when no data is found: the four .gz files from a mirror into a cache folder, each
// checked against its SHA-256 before it is renamed into place (so the cache never holds a partial
// or wrong file). SIMDNET_CACHE picks the cache folder, SIMDNET_MNIST_MIRROR the mirror.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { SimdnetError } from "../errors.js";
import { writeFileAtomic } from "../fsutil.js";
import { MNIST_FILES } from "./files.js";

/** SHA-256 of the original MNIST .gz files (as published; byte-identical on every mirror). */
export const MNIST_SHA256: Record<string, string> = {
  "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
  "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
  "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
  "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
};

/** PyTorch's MNIST mirror (the original site no longer serves the files reliably). */
export const DEFAULT_MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/";

export function mnistCacheDir(): string {
  return join(process.env.SIMDNET_CACHE || join(homedir(), ".cache", "simdnet"), "mnist");
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface DownloadOptions {
  dir?: string;
  mirror?: string;
  /** file name → expected SHA-256 (tests serve small stand-ins with their own sums). */
  sums?: Record<string, string>;
  log?: (message: string) => void;
}

/** Makes sure dir holds the four MNIST files, downloading what is missing; returns dir. */
export async function downloadMnist(o: DownloadOptions = {}): Promise<string> {
  const dir = o.dir ?? mnistCacheDir();
  const mirror = (o.mirror ?? (process.env.SIMDNET_MNIST_MIRROR || DEFAULT_MNIST_MIRROR)).replace(/\/?$/, "/");
  const sums = o.sums ?? MNIST_SHA256;
  const log = o.log ?? ((m: string) => process.stderr.write(m + "\n"));
  for (const base of Object.values(MNIST_FILES)) {
    const name = `${base}.gz`;
    const target = join(dir, name);
    if (existsSync(target)) continue; // only verified files are ever renamed into the cache
    const url = mirror + name;
    log(`simdnet: downloading ${url}`);
    let bytes: Uint8Array;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(300_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new SimdnetError(`could not download MNIST: ${url}: ${(e as Error).message}${cause ? ` (${cause})` : ""}\n\n${DOWNLOAD_HELP}`);
    }
    const got = sha256Hex(bytes);
    if (got !== sums[name])
      throw new SimdnetError(`downloaded ${url} has SHA-256 ${got}, expected ${sums[name]}: refusing it (a bad mirror or a damaged transfer)\n\n${DOWNLOAD_HELP}`, { field: "sha256" });
    mkdirSync(dir, { recursive: true });
    writeFileAtomic(target, bytes);
  }
  log(`simdnet: MNIST cached in ${dir}`);
  return dir;
}

const DOWNLOAD_HELP =
  "Provide the data yourself instead:\n" +
  "  --data path/to/train.csv       a Kaggle digit-recognizer CSV\n" +
  "  --data path/to/mnist-folder     a folder with the four MNIST IDX files (raw or .gz)\n" +
  "  SIMDNET_MNIST_DIR=folder        the same folder through the environment\n" +
  "or set SIMDNET_MNIST_MIRROR to another mirror (SIMDNET_CACHE picks the cache folder).";
