import { describe, expect, it } from "vitest";
import { gradCheck } from "../src/train/gradcheck.js";
import { JsBackend } from "../src/backend/js.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { NONE } from "../src/backend/types.js";
import { HIDDEN_ACTIVATIONS, type Activation, type ModelSpec } from "../src/model/spec.js";
import { actForward } from "../src/backend/activations.js";

const spec = (activation: Activation, hidden = [9, 6]): ModelSpec => ({ inputSize: 13, hidden, outputSize: 5, activation });

describe("finite-difference gradient check", () => {
  for (const act of HIDDEN_ACTIVATIONS) {
    it(`float64 TypeScript backend, ${act}: every parameter within 1e-4`, () => {
      const r = gradCheck({ spec: spec(act), batch: 7, seed: 3 });
      expect(r.checked).toBe(13 * 9 + 9 + 9 * 6 + 6 + 6 * 5 + 5);
      expect(r.maxRelError).toBeLessThan(1e-4);
    });
    it(`wasm SIMD backend (float32), ${act}: within 1e-2 of float64 finite differences`, () => {
      const r = gradCheck({ spec: spec(act), backend: new WasmBackend(), batch: 7, seed: 4 });
      expect(r.maxRelError).toBeLessThan(1e-2);
    });
  }

  it("checks the first layer of a softmax-regression model and a three-hidden-layer model", () => {
    expect(gradCheck({ spec: spec("relu", []), batch: 5 }).maxRelError).toBeLessThan(1e-4);
    expect(gradCheck({ spec: spec("tanh", [7, 5, 4]), batch: 5 }).maxRelError).toBeLessThan(1e-4);
  });

  it("dropout: gradients through the masks check out, on both backends, and the masks are identical", () => {
    for (const act of ["relu", "tanh"] as Activation[]) {
      expect(gradCheck({ spec: spec(act), batch: 7, seed: 5, dropout: 0.3 }).maxRelError).toBeLessThan(1e-4);
      expect(gradCheck({ spec: spec(act), backend: new WasmBackend(), batch: 7, seed: 5, dropout: 0.3 }).maxRelError).toBeLessThan(1e-2);
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
