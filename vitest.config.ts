import { defineConfig } from "vitest/config";

// SIMDNET_KERNELS_MODULE: a module to load in place of src/backend/kernels.generated.ts (the
// embedded wasm). scripts/plant-kernels.mjs points it at throwaway builds with planted bugs.
const kernels = process.env.SIMDNET_KERNELS_MODULE;

export default defineConfig({
  resolve: {
    alias: kernels ? [{ find: /^\.\/kernels\.generated\.js$/, replacement: kernels }] : [],
  },
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
  },
});
