import { JsBackend } from "./js.js";
import { WasmBackend } from "./wasm.js";
import type { Backend, BackendName } from "./types.js";

export { JsBackend, WasmBackend };
export * from "./types.js";

export function createBackend(name: BackendName = "wasm"): Backend {
  return name === "js" ? new JsBackend("f32") : new WasmBackend();
}
