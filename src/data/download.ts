// The MNIST download for `simdnet train` with no data: the four .gz files from a mirror into a cache
// folder, each checked against its published SHA-256. A file is streamed to a temp name beside its
// final one and renamed only once its hash is right, so an interrupted or corrupted download never
// leaves a file under the final name.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { SimdnetError } from "../errors.js";
import { MNIST_FILES } from "./files.js";

/** SHA-256 of the original MNIST .gz files (yann.lecun.com/exdb/mnist). */
export const MNIST_SHA256: Record<string, string> = {
  "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
  "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
  "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
  "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
};

/** PyTorch's MNIST mirror (torchvision's first choice); any URL serving the four .gz files works. */
export const DEFAULT_MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/";

/** Give up on a connection that sends nothing for this long. */
const STALL_MS = 30_000;

// Minimal shapes instead of NodeJS.* types, so the published .d.ts needs no @types/node.
type Env = Record<string, string | undefined>;
interface TextSink {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** $SIMDNET_CACHE, else $XDG_CACHE_HOME/simdnet, else ~/.cache/simdnet. */
export function cacheDir(env: Env = process.env): string {
  if (env.SIMDNET_CACHE) return env.SIMDNET_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "simdnet");
}

export function mnistMirror(env: Env = process.env): string {
  const m = env.SIMDNET_MNIST_MIRROR || DEFAULT_MNIST_MIRROR;
  return m.endsWith("/") ? m : m + "/";
}

export interface DownloadProgress {
  file: string;
  received: number;
  /** From Content-Length; null when the server does not say. */
  total: number | null;
  done: boolean;
}

export interface DownloadOptions {
  /** Folder for the four files (created if missing). */
  dir: string;
  mirror: string;
  onProgress?: (p: DownloadProgress) => void;
}

const sha256File = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Downloads (or finds, already verified) the four MNIST .gz files in `dir`; returns `dir`. */
export async function downloadMnist(o: DownloadOptions): Promise<string> {
  try {
    mkdirSync(o.dir, { recursive: true });
  } catch (e) {
    throw new SimdnetError(`cannot create the cache folder: ${(e as Error).message}`, { file: o.dir, field: "SIMDNET_CACHE" });
  }
  for (const base of Object.values(MNIST_FILES)) {
    const name = `${base}.gz`;
    const final = join(o.dir, name);
    if (existsSync(final) && sha256File(final) === MNIST_SHA256[name]) continue;
    await downloadOne(new URL(name, o.mirror).href, final, MNIST_SHA256[name], name, o.onProgress);
  }
  return o.dir;
}

async function downloadOne(url: string, final: string, sha256: string, name: string, onProgress?: (p: DownloadProgress) => void): Promise<void> {
  const tmp = `${final}.${process.pid}.part`;
  const abort = new AbortController();
  let stall = setTimeout(() => abort.abort(), STALL_MS);
  const fd = openSync(tmp, "w");
  let ok = false;
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: abort.signal, redirect: "follow" });
    } catch (e) {
      throw new SimdnetError(`cannot reach the MNIST mirror: ${causeOf(e)}`, { file: url });
    }
    if (!res.ok || !res.body) throw new SimdnetError(`the MNIST mirror answered HTTP ${res.status} ${res.statusText}`.trim(), { file: url });
    const lengthHeader = res.headers.get("content-length");
    const total = lengthHeader !== null && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
    const hash = createHash("sha256");
    let received = 0;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        clearTimeout(stall);
        stall = setTimeout(() => abort.abort(), STALL_MS);
        hash.update(chunk);
        for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off, chunk.length - off);
        received += chunk.length;
        onProgress?.({ file: name, received, total, done: false });
      }
    } catch (e) {
      throw new SimdnetError(`the download broke off after ${received} bytes${total !== null ? ` of ${total}` : ""}: ${causeOf(e)}`, { file: url });
    }
    if (total !== null && received !== total) throw new SimdnetError(`the download broke off after ${received} of ${total} bytes`, { file: url });
    const got = hash.digest("hex");
    if (got !== sha256) throw new SimdnetError(`SHA-256 mismatch: expected ${sha256}, got ${got} (corrupt download or a wrong mirror)`, { file: url, field: "sha256" });
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, final);
    ok = true;
    onProgress?.({ file: name, received, total, done: true });
  } finally {
    clearTimeout(stall);
    if (!ok) {
      try {
        closeSync(fd);
      } catch {
        /* closed already */
      }
      try {
        unlinkSync(tmp);
      } catch {
        /* gone already */
      }
    }
  }
}

/** fetch wraps network errors as "fetch failed" with the reason in .cause. */
function causeOf(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  if (err?.name === "AbortError") return `no data for ${STALL_MS / 1000} s`;
  const c = err?.cause;
  return c ? `${c.code ?? c.message}${c.code && c.message && !c.message.includes(c.code) ? ` (${c.message})` : ""}` : String(err?.message ?? e);
}

/** Progress on stderr (stdout may carry --json lines): a live line on a terminal, one line per file otherwise. */
export function stderrProgress(stream: TextSink = process.stderr): (p: DownloadProgress) => void {
  let last = 0;
  const mb = (n: number) => (n / 1048576).toFixed(1);
  return (p) => {
    if (stream.isTTY) {
      const now = performance.now();
      if (!p.done && now - last < 100) return;
      last = now;
      const of = p.total ? ` / ${mb(p.total)} MB  ${((100 * p.received) / p.total).toFixed(0)}%` : " MB";
      stream.write(`\r\x1b[2Kdownloading ${p.file}  ${mb(p.received)}${of}${p.done ? "  ✓\n" : ""}`);
    } else if (p.done) stream.write(`downloaded ${p.file} (${mb(p.received)} MB, SHA-256 verified)\n`);
  };
}
