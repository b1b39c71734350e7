import { describe, expect, it } from "vitest";
import { gradCheck } from "../src/train/gradcheck.js";
import { JsBackend } from "../src/backend/js.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { NONE } from "../src/backend/types.js";
import { HIDDEN_ACTIVATIONS, type Activation, type ModelSpec } from "../src/model/spec.js";
import { actForward } from "../src/backend/activations.js";

// The first hidden layer is 21 wide: past OUT > 12 the uint8 first layer takes the wide kernels
// (2-row forward panels, gemm_tn_acc_u8_nz backward), and 21 = 16 + 5 reaches their tails too.
// Narrow first layers (OUT ≤ 10) are covered by the softmax-regression case below.
const spec = (activation: Activation, hidden = [21, 6], outputSize = 5): ModelSpec => ({ inputSize: 13, hidden, outputSize, activation });
// float32 analytic gradients against float64 central differences: the measured worst over seeds
// 1–6 and every activation is 8.8e-5 (2.6e-4 with dropout, whose 1/(1−p) scales errors up), so
// 1e-3 leaves headroom without hiding a 0.2% error in a derivative.
const WASM_TOL = 1e-3;

describe("finite-difference gradient check", () => {
  for (const act of HIDDEN_ACTIVATIONS) {
    it(`float64 TypeScript backend, ${act}: every parameter within 1e-4`, () => {
      const r = gradCheck({ spec: spec(act), batch: 7, seed: 3 });
      expect(r.checked).toBe(13 * 21 + 21 + 21 * 6 + 6 + 6 * 5 + 5);
      expect(r.maxRelError).toBeLessThan(1e-4);
    });
    it(`wasm SIMD backend (float32), ${act}: within ${WASM_TOL} of float64 finite differences`, () => {
      for (const seed of [4, 5]) {
        const r = gradCheck({ spec: spec(act), backend: new WasmBackend(), batch: 7, seed });
        expect(r.maxRelError, `seed ${seed}`).toBeLessThan(WASM_TOL);
      }
    });
    it(`wasm naive twins (float32), ${act}: within ${WASM_TOL}`, () => {
      expect(gradCheck({ spec: spec(act), backend: new WasmBackend({ kernels: "naive" }), batch: 7, seed: 4 }).maxRelError).toBeLessThan(WASM_TOL);
    });
  }

  it("checks the first layer of a softmax-regression model and a three-hidden-layer model", () => {
    expect(gradCheck({ spec: spec("relu", []), batch: 5 }).maxRelError).toBeLessThan(1e-4);
    expect(gradCheck({ spec: spec("tanh", [7, 5, 4]), batch: 5 }).maxRelError).toBeLessThan(1e-4);
  });

  it("wasm: the uint8 first layer on both its paths (narrow OUT ≤ 10, wide OUT > 12) and deeper stacks", () => {
    for (const [hidden, out] of [[[], 5], [[], 10], [[], 13], [[], 21], [[13], 10], [[16, 11], 3], [[7, 5, 4], 5]] as [number[], number][])
      for (const act of ["relu", "tanh"] as Activation[]) {
        const r = gradCheck({ spec: spec(act, hidden, out), backend: new WasmBackend(), batch: 6, seed: 2 });
        expect(r.maxRelError, `${act} 13-${[...hidden, out].join("-")}`).toBeLessThan(WASM_TOL);
      }
  });

  it("dropout: gradients through the masks check out, on both backends, and the masks are identical", () => {
    for (const act of ["relu", "tanh"] as Activation[]) {
      expect(gradCheck({ spec: spec(act), batch: 7, seed: 5, dropout: 0.3 }).maxRelError).toBeLessThan(1e-4);
      expect(gradCheck({ spec: spec(act), backend: new WasmBackend(), batch: 7, seed: 5, dropout: 0.3 }).maxRelError).toBeLessThan(WASM_TOL);
    }
  });

  it("catches the original bug: backprop through ReLU(z) instead of its derivative", () => {
    // The question's code multiplied by relu(z) where relu'(z) belongs.
    class ReluInsteadOfDerivative extends JsBackend {
      override denseBackward(dzPrev: number, dw: number, db: number, dz: number, x: number, zPrev: number, w: number, B: number, IN: number, OUT: number, actPrev: number, scratch: number): void {
        super.denseBackward(dzPrev, dw, db, dz, x, zPrev, w, B, IN, OUT, 0, scratch);
        if (dzPrev === NONE) return;
        const f = this.floats();
        for (let i = 0; i < B * IN; i++) f[dzPrev + i] *= actForward(f[zPrev + i], actPrev);
      }
    }
    const r = gradCheck({ spec: spec("relu"), backend: new ReluInsteadOfDerivative("f64"), batch: 7, seed: 3 });
    expect(r.maxRelError).toBeGreaterThan(1e-2);
    // the last layer's gradients do not pass through the bug; the first layer's do
    expect(r.layers[2].w).toBeLessThan(1e-4);
    expect(r.layers[0].w).toBeGreaterThan(1e-2);
  });
});
