// What gradCheck reports, as `simdnet gradcheck` and the tests read it: a gradient corrupted at one
// known parameter must show up at that index, in that layer's weight or bias block and nowhere else;
// maxParams must thin the checked set evenly; the defaults must be the documented ones.
import { describe, expect, it } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import type { ModelSpec } from "../src/model/spec.js";
import { gradCheck, relError } from "../src/train/gradcheck.js";

// 5 → dense 4 (the uint8 first layer) → dense 3: W0 at 0–19, b0 20–23, W1 24–35, b1 36–38
const SPEC: ModelSpec = { inputSize: 5, hidden: [4], outputSize: 3, activation: "tanh" };
const PARAMS = 5 * 4 + 4 + 4 * 3 + 3;

/** The float64 TypeScript backend with one gradient entry off by 0.5: `which` picks the layer and the entry of its dW or db. */
function corrupted(which: { layer: 0 | 1; block: "w" | "b"; entry: number }) {
  return new (class extends JsBackend {
    override denseBackwardU8(dw: number, db: number, dz: number, x: number, B: number, IN: number, OUT: number): void {
      super.denseBackwardU8(dw, db, dz, x, B, IN, OUT);
      if (which.layer === 0) this.floats()[(which.block === "w" ? dw : db) + which.entry] += 0.5;
    }
    override denseBackward(dzPrev: number, dw: number, db: number, dz: number, x: number, zPrev: number, w: number, B: number, IN: number, OUT: number, actPrev: number, scratch?: number): void {
      super.denseBackward(dzPrev, dw, db, dz, x, zPrev, w, B, IN, OUT, actPrev, scratch);
      if (which.layer === 1) this.floats()[(which.block === "w" ? dw : db) + which.entry] += 0.5;
    }
  })("f64");
}

describe("gradCheck's report", () => {
  it("relError is relative to the larger magnitude, with an absolute floor", () => {
    expect(relError(2, 1)).toBe(0.5);
    expect(relError(-1, 1)).toBe(2);
    expect(relError(1, -3)).toBeCloseTo(4 / 3, 15);
    expect(relError(1e-6, 0)).toBeCloseTo(1e-2, 15); // floor 1e-4
    expect(relError(1e-6, 0, 1e-8)).toBe(1);
    expect(relError(0, 0)).toBe(0);
  });

  it("a correct backend: every parameter checked, every block within 1e-6", () => {
    const r = gradCheck({ spec: SPEC });
    expect(r.checked).toBe(PARAMS);
    expect(r.layers).toHaveLength(2);
    for (const L of r.layers) {
      expect(L.w).toBeGreaterThan(0); // measured, not left at zero
      expect(L.w).toBeLessThan(1e-6);
      expect(L.b).toBeGreaterThan(0);
      expect(L.b).toBeLessThan(1e-6);
    }
    expect(r.maxRelError).toBe(Math.max(...r.layers.flatMap((L) => [L.w, L.b])));
    expect(r.maxRelError).toBe(relError(r.worst.analytic, r.worst.numeric));
  });

  for (const [which, index] of [
    [{ layer: 0, block: "w", entry: 19 }, 19], // the last weight of W0
    [{ layer: 0, block: "b", entry: 0 }, 20], // the first bias right after it
    [{ layer: 1, block: "w", entry: 0 }, 24],
    [{ layer: 1, block: "b", entry: 2 }, 38], // the very last parameter
  ] as const) {
    it(`a gradient off by 0.5 at parameter ${index} (layer ${which.layer} ${which.block}) is reported there and only there`, () => {
      const r = gradCheck({ spec: SPEC, backend: corrupted(which) });
      expect(r.worst.index).toBe(index);
      expect(r.worst.analytic - r.worst.numeric).toBeCloseTo(0.5, 6);
      expect(r.maxRelError).toBe(relError(r.worst.analytic, r.worst.numeric));
      expect(r.maxRelError).toBeGreaterThan(0.1);
      r.layers.forEach((L, l) => {
        for (const block of ["w", "b"] as const)
          if (l === which.layer && block === which.block) expect(L[block]).toBe(r.maxRelError);
          else expect(L[block], `layer ${l} ${block}`).toBeLessThan(1e-6);
      });
    });
  }

  it("maxParams checks that many parameters spread evenly, so it can step over a wrong one", () => {
    const bad = corrupted({ layer: 1, block: "b", entry: 1 }); // parameter 37
    const thinned = gradCheck({ spec: SPEC, backend: bad, maxParams: 10 }); // stride 3.9: 0, 3, 7, …, 31, 35
    expect(thinned.checked).toBe(10);
    expect(thinned.maxRelError).toBeLessThan(1e-6);
    const every = gradCheck({ spec: SPEC, backend: bad, maxParams: PARAMS });
    expect(every.checked).toBe(PARAMS);
    expect(every.worst.index).toBe(37);
    expect(gradCheck({ spec: SPEC, maxParams: 1000 }).checked).toBe(PARAMS);
  });

  it("defaults: batch 8, seed 1, step 1e-6", () => {
    const worst = (o: Partial<Parameters<typeof gradCheck>[0]>) => gradCheck({ spec: SPEC, ...o }).worst;
    expect(worst({})).toEqual(worst({ batch: 8, seed: 1, h: 1e-6 }));
    expect(worst({})).not.toEqual(worst({ batch: 7 }));
    expect(worst({})).not.toEqual(worst({ seed: 2 }));
    expect(worst({}).numeric).not.toBe(worst({ h: 1e-5 }).numeric);
    // a coarse step measures tanh's curvature, not its slope
    expect(gradCheck({ spec: SPEC, h: 0.5 }).maxRelError).toBeGreaterThan(1e-3);
  });

  it("what is checked: dropout masks are drawn when the spec or the options ask for dropout; regression targets are loaded", () => {
    class Recording extends JsBackend {
      drops = 0;
      targets: number[] = [];
      override dropoutForward(a: number, mask: number, n: number, p: number, seed: number): void {
        this.drops++;
        super.dropoutForward(a, mask, n, p, seed);
      }
      override mseLoss(dout: number, out: number, target: number, B: number, D: number, gradScale: number): number {
        this.targets = Array.from(this.floats().subarray(target, target + B * D));
        return super.mseLoss(dout, out, target, B, D, gradScale);
      }
    }
    const layer = new Recording("f64");
    gradCheck({ spec: { ...SPEC, hidden: [], layers: [{ type: "dense", units: 4, activation: "tanh" }, { type: "dropout", rate: 0.4 }] }, backend: layer, batch: 6 });
    expect(layer.drops).toBeGreaterThan(0);
    const rate = new Recording("f64");
    gradCheck({ spec: SPEC, backend: rate, dropout: 0.4, batch: 6 });
    expect(rate.drops).toBeGreaterThan(0);
    const none = new Recording("f64");
    gradCheck({ spec: { ...SPEC, hidden: [], layers: [{ type: "dense", units: 4, activation: "tanh" }, { type: "dropout", rate: 0 }] }, backend: none, batch: 6 });
    expect(none.drops).toBe(0);
    const regression = new Recording("f64");
    gradCheck({ spec: { ...SPEC, outputSize: 2, task: "regression" }, backend: regression, batch: 5 });
    expect(regression.targets).toHaveLength(10);
    expect(regression.targets.every((t) => t !== 0)).toBe(true);
  });

  it("dropout: the same masks on both sides, from a dropout rate or a dropout layer", () => {
    expect(gradCheck({ spec: SPEC, dropout: 0.4, batch: 6 }).maxRelError).toBeLessThan(1e-6);
    const withLayer: ModelSpec = { ...SPEC, hidden: [], layers: [{ type: "dense", units: 4, activation: "tanh" }, { type: "dropout", rate: 0.4 }] };
    expect(gradCheck({ spec: withLayer, batch: 6 }).maxRelError).toBeLessThan(1e-6);
  });
});
