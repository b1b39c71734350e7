// The demo page: root is web/, output web/dist. base "./" so the built page works from any
// static server and any sub-path; the wasm kernels are embedded in the bundle (no extra fetch).
import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

const ISOLATION = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
  worker: { format: "es" },
  // cross-origin isolation (shared memory for multi-threaded training); a static host needs the same two headers
  server: { host: "127.0.0.1", headers: ISOLATION },
  preview: { host: "127.0.0.1", headers: ISOLATION },
});
