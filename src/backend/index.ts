import { JsBackend } from "./js.js";
import { WasmBackend, fmaSupported } from "./wasm.js";
import { ThreadedBackend, defaultThreads, nodeSpawner, threadsAvailable, type ThreadSpawner } from "./threads.js";
import type { Backend, BackendName } from "./types.js";

export { JsBackend, WasmBackend, ThreadedBackend, defaultThreads, fmaSupported };
export { webSpawner, closeAllThreads, type ThreadSpawner } from "./threads.js";
export * from "./types.js";

export function createBackend(name: BackendName = "wasm"): Backend {
  return name === "js" ? new JsBackend("f32") : new WasmBackend();
}

export interface OpenBackendOptions {
  backend?: BackendName; // default "wasm"
  /** Threads to train on (default: the cores available, defaultThreads()); 1 is the single-threaded backend. */
  threads?: number;
  /** The relaxed-SIMD FMA build, where the engine has it (else the plain build, with a notice). */
  fma?: boolean;
  /** How to start workers (default: worker_threads in Node; a browser passes webSpawner(url)). */
  spawn?: ThreadSpawner;
  /** Told when a request cannot be met (no relaxed SIMD, no shared memory) and what is used instead. */
  notice?: (message: string) => void;
}

/**
 * The backend for a training run: the js reference, or wasm on `threads` threads (one shared
 * memory, bit-identical results for any count) in the plain or FMA build. Falls back to what the
 * engine has, saying so through `notice`. Close it (backend.close?.()) when done.
 */
export async function openBackend(o: OpenBackendOptions = {}): Promise<Backend> {
  if (o.backend === "js") return createBackend("js");
  let fma = o.fma ?? false;
  if (fma && !fmaSupported()) {
    o.notice?.("relaxed SIMD (FMA) is not available in this engine: using the plain SIMD build");
    fma = false;
  }
  const threads = o.threads ?? defaultThreads();
  if (threads > 1) {
    const spawn = o.spawn ?? nodeSpawner();
    if (!threadsAvailable() || !spawn) o.notice?.(`threads need shared memory (cross-origin isolation in a browser): training on 1 thread instead of ${threads}`);
    else {
      try {
        return await ThreadedBackend.create({ threads, fma, spawn });
      } catch (e) {
        o.notice?.(`could not start ${threads} threads (${(e as Error).message}): training on 1 thread`);
      }
    }
  }
  return new WasmBackend({ fma });
}
