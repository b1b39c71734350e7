// Finite-difference gradient checks of the CNN layers on the wasm backend (float32 analytic
// gradients against float64 central differences), at the wasm tolerance of tests/gradcheck.test.ts.
// Measured worst over seeds 5–9 (fast and naive kernels agree bit for bit): pools ≤ 1.1e-4; batch
// norm after a dense 2.5e-4 at batch 8 (at batch 3 it reaches 1.2e-3: normalising three rows
// amplifies f32 rounding by 1/σ of a 3-sample spread), so batch norm is checked at batch 8.
// Conv cases run when the wasm backend has conv kernels. One measured exception: a conv followed
// by batch norm has a bias whose true gradient is 0 (batch norm removes the mean); in f32 it comes
// out as one ulp of its O(1) summands, 1.19e-7, which the relative error's 1e-4 floor turns into
// 1.19e-3, so that case is held to 2e-3.
import { describe, expect, it } from "vitest";
import { WasmBackend } from "../src/backend/wasm.js";
import type { LayerConfig } from "../src/layers/layer.js";
import type { ModelSpec } from "../src/model/spec.js";
import { gradCheck } from "../src/train/gradcheck.js";

const WASM_TOL = 1e-3;
const cnn = (input: [number, number, number], layers: LayerConfig[]): ModelSpec => ({ inputSize: input[0] * input[1] * input[2], inputShape: input, hidden: [], layers, outputSize: 5, activation: "tanh" });
const wasmHasConv = typeof (WasmBackend.prototype as unknown as Record<string, unknown>).convForward === "function";

const cases: [string, ModelSpec, number][] = [
  ["batch norm after a dense 21 wide (per feature)", cnn([5, 5, 1], [{ type: "dense", units: 21 }, { type: "batchNormalization" }, { type: "dense", units: 7 }]), 8],
  ["max pool 2 first (C = 3), then dense 13", cnn([9, 8, 3], [{ type: "maxPooling2d", poolSize: 2 }, { type: "flatten" }, { type: "dense", units: 13 }]), 3],
  ["max pool 3/2 first, overlapping (C = 5)", cnn([9, 7, 5], [{ type: "maxPooling2d", poolSize: 3, strides: 2 }, { type: "flatten" }, { type: "dense", units: 13 }]), 3],
  ["average pool 3/2 first (C = 5)", cnn([10, 9, 5], [{ type: "averagePooling2d", poolSize: 3, strides: 2 }, { type: "flatten" }, { type: "dense", units: 13 }]), 3],
  ["global average pooling (C = 17)", cnn([7, 6, 17], [{ type: "globalAveragePooling2d" }, { type: "dense", units: 13 }]), 3],
];
const convCases: [string, ModelSpec, number, number?][] = [
  ["conv 3×3 valid, C = 1 (uint8 first layer), 13 filters", cnn([7, 5, 1], [{ type: "conv2d", filters: 13, kernelSize: 3 }]), 3],
  ["conv 4×4 same stride 2, C = 3", cnn([9, 7, 3], [{ type: "conv2d", filters: 5, kernelSize: 4, strides: 2, padding: "same" }]), 3],
  ["conv 1×1 then conv 5×5 same, C = 5 → 17", cnn([6, 7, 5], [{ type: "conv2d", filters: 17, kernelSize: 1 }, { type: "conv2d", filters: 3, kernelSize: 5, padding: "same" }]), 3],
  ["conv stride 2 then conv (data gradient with stride)", cnn([11, 9, 2], [{ type: "conv2d", filters: 4, kernelSize: 3, strides: 2 }, { type: "conv2d", filters: 3, kernelSize: 3 }]), 3],
  ["conv, max pool 3/2, conv, batch norm", cnn([9, 7, 2], [{ type: "conv2d", filters: 5, kernelSize: 3 }, { type: "maxPooling2d", poolSize: 3, strides: 2 }, { type: "conv2d", filters: 4, kernelSize: 1, activation: "none" }, { type: "batchNormalization", activation: "tanh" }]), 8, 2e-3],
];

describe("gradient check of the CNN layers, wasm backend (float32)", () => {
  for (const [title, spec, batch] of cases)
    it(`${title}: within ${WASM_TOL}`, () => {
      for (const kernels of ["fast", "naive"] as const)
        for (const seed of [5, 6]) {
          const r = gradCheck({ spec, backend: new WasmBackend({ kernels }), batch, seed, maxParams: 400 });
          expect(r.checked).toBeGreaterThan(20);
          expect(r.maxRelError, `${kernels} seed ${seed}`).toBeLessThan(WASM_TOL);
        }
    });
  for (const [title, spec, batch, tol = WASM_TOL] of convCases)
    it.skipIf(!wasmHasConv)(`${title}: within ${tol}`, () => {
      for (const kernels of ["fast", "naive"] as const) {
        const r = gradCheck({ spec, backend: new WasmBackend({ kernels }), batch, seed: 5, maxParams: 400 });
        expect(r.maxRelError, kernels).toBeLessThan(tol);
      }
    });
});
