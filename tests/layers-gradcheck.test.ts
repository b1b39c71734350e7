// Finite-difference gradient checks of every layer kind, alone and inside whole networks, on odd
// shapes (H, W not multiples of 4; channels 1, 3, 5, 17; kernels 1, 3, 4, 5; stride 2; both
// paddings; batch norm in training mode), in float64 through the TypeScript backend. Planted bugs
// (a flipped kernel, a wrong pool index, a missing batch-norm term) must make the check fail.
import { describe, expect, it } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import type { LayerConfig } from "../src/layers/layer.js";
import type { Activation, ModelSpec } from "../src/model/spec.js";
import { gradCheck } from "../src/train/gradcheck.js";

export function cnnSpec(input: [number, number, number], layers: LayerConfig[], activation: Activation = "tanh", classes = 5): ModelSpec {
  return { inputSize: input[0] * input[1] * input[2], inputShape: input, hidden: [], layers, outputSize: classes, activation };
}

const cases: [string, ModelSpec][] = [
  ["conv 3×3 valid, C=1 (uint8 first layer)", cnnSpec([7, 5, 1], [{ type: "conv2d", filters: 3, kernelSize: 3 }])],
  ["conv 4×4 same stride 2, C=3", cnnSpec([9, 7, 3], [{ type: "conv2d", filters: 5, kernelSize: 4, strides: 2, padding: "same" }])],
  ["conv 1×1 then conv 5×5 same, C=5 → 17", cnnSpec([6, 7, 5], [{ type: "conv2d", filters: 17, kernelSize: 1 }, { type: "conv2d", filters: 3, kernelSize: 5, padding: "same" }])],
  ["conv 3×3 stride 2 valid then conv 3×3 (data gradient with stride)", cnnSpec([11, 9, 2], [{ type: "conv2d", filters: 4, kernelSize: 3, strides: 2 }, { type: "conv2d", filters: 3, kernelSize: 3 }])],
  ["maxpool 2 after a conv", cnnSpec([9, 10, 1], [{ type: "conv2d", filters: 3, kernelSize: 3, padding: "same" }, { type: "maxPooling2d", poolSize: 2 }])],
  ["maxpool 3/2 (overlapping) after a conv", cnnSpec([9, 7, 2], [{ type: "conv2d", filters: 5, kernelSize: 3 }, { type: "maxPooling2d", poolSize: 3, strides: 2 }])],
  ["avgpool 2 and 3/2", cnnSpec([10, 9, 1], [{ type: "conv2d", filters: 3, kernelSize: 3 }, { type: "averagePooling2d", poolSize: 2 }, { type: "conv2d", filters: 2, kernelSize: 1 }, { type: "averagePooling2d", poolSize: 3, strides: 2 }])],
  ["global average pooling", cnnSpec([7, 6, 3], [{ type: "conv2d", filters: 17, kernelSize: 3, padding: "same" }, { type: "globalAveragePooling2d" }])],
  ["batch norm after a conv (per channel, training mode)", cnnSpec([7, 5, 1], [{ type: "conv2d", filters: 5, kernelSize: 3, activation: "none" }, { type: "batchNormalization", activation: "tanh" }])],
  ["batch norm after a dense (per feature)", cnnSpec([5, 5, 1], [{ type: "dense", units: 13 }, { type: "batchNormalization" }, { type: "dense", units: 7 }])],
  ["dropout between convs (same masks on both sides)", cnnSpec([8, 7, 1], [{ type: "conv2d", filters: 4, kernelSize: 3 }, { type: "dropout", rate: 0.3 }, { type: "conv2d", filters: 3, kernelSize: 3 }])],
  ["flatten then dense after pooling", cnnSpec([9, 9, 1], [{ type: "conv2d", filters: 3, kernelSize: 3 }, { type: "maxPooling2d", poolSize: 2 }, { type: "flatten" }, { type: "dense", units: 13 }])],
  ["a pool first (the batch cast to floats), then conv", cnnSpec([9, 8, 3], [{ type: "maxPooling2d", poolSize: 2 }, { type: "conv2d", filters: 3, kernelSize: 3 }])],
  [
    "a small whole CNN: conv, bn, relu-free pool, conv stride 2, dropout, dense",
    cnnSpec([13, 11, 1], [
      { type: "conv2d", filters: 5, kernelSize: 3, padding: "same", activation: "none" },
      { type: "batchNormalization", activation: "gelu" },
      { type: "maxPooling2d", poolSize: 2 },
      { type: "conv2d", filters: 6, kernelSize: 3, strides: 2, padding: "same", activation: "sigmoid" },
      { type: "dropout", rate: 0.25 },
      { type: "dense", units: 14, activation: "leaky-relu" },
    ]),
  ],
];

describe("gradient check of every layer kind (float64, TypeScript backend)", () => {
  for (const [title, spec] of cases) {
    it(title, () => {
      const r = gradCheck({ spec, batch: 3, seed: 5, maxParams: 400 });
      expect(r.checked).toBeGreaterThan(20);
      expect(r.maxRelError).toBeLessThan(1e-4);
    });
  }

  for (const act of ["relu", "leaky-relu", "tanh", "sigmoid", "gelu"] as const) {
    it(`conv with fused ${act}, its derivative through the data gradient`, () => {
      const spec = cnnSpec([8, 9, 3], [{ type: "conv2d", filters: 4, kernelSize: 3, activation: act }, { type: "conv2d", filters: 3, kernelSize: 3, strides: 2, activation: act }], act);
      const r = gradCheck({ spec, batch: 2, seed: 11 });
      expect(r.maxRelError).toBeLessThan(1e-4);
    });
  }
});

// Planted bugs in a reference backend: each must make the check fail.
class FlippedKernelData extends JsBackend {
  convBackwardData(dx: number, dz: number, w: number, zPrev: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, actPrev: number): void {
    // the classic bug: correlate with the kernel flipped (as a true convolution would)
    const f = this.floats();
    const n = K * K * C * F;
    const saved = Float64Array.from(f.subarray(w, w + n));
    for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) for (let i = 0; i < C * F; i++) f[w + (ky * K + kx) * C * F + i] = saved[((K - 1 - ky) * K + (K - 1 - kx)) * C * F + i];
    super.convBackwardData(dx, dz, w, zPrev, B, H, W, C, F, K, S, padT, padL, OH, OW, actPrev);
    f.set(saved, w);
  }
}
class WrongPoolIndex extends JsBackend {
  maxPoolBackward(dx: number, dy: number, argmax: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void {
    const idx = this.ints(argmax, B * OH * OW * C);
    for (let i = 0; i < idx.length; i++) idx[i] = idx[i] % W === W - 1 ? idx[i] : idx[i] + 1; // one column off
    super.maxPoolBackward(dx, dy, argmax, B, H, W, C, OH, OW);
  }
}
class BatchNormWithoutMeanTerm extends JsBackend {
  batchNormBackward(dx: number, dgamma: number, dbeta: number, dz: number, x: number, gamma: number, mean: number, invStd: number, N: number, C: number): void {
    super.batchNormBackward(dx, dgamma, dbeta, dz, x, gamma, mean, invStd, N, C);
    if (dx < 0) return;
    const f = this.floats();
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let i = 0; i < N; i++) s += f[dz + i * C + c];
      for (let i = 0; i < N; i++) f[dx + i * C + c] += (f[gamma + c] * f[invStd + c] * s) / N; // drops the −mean(dz) term
    }
  }
}

describe("planted bugs make the gradient check fail", () => {
  const two = cnnSpec([9, 7, 2], [{ type: "conv2d", filters: 3, kernelSize: 3 }, { type: "conv2d", filters: 4, kernelSize: 3 }]);
  it("a flipped kernel in the data gradient", () => {
    expect(gradCheck({ spec: two, batch: 2, backend: new FlippedKernelData("f64") }).maxRelError).toBeGreaterThan(1e-2);
    expect(gradCheck({ spec: two, batch: 2 }).maxRelError).toBeLessThan(1e-4);
  });
  it("a wrong max-pool index", () => {
    const spec = cnnSpec([9, 9, 1], [{ type: "conv2d", filters: 3, kernelSize: 3 }, { type: "maxPooling2d", poolSize: 2 }]);
    expect(gradCheck({ spec, batch: 2, backend: new WrongPoolIndex("f64") }).maxRelError).toBeGreaterThan(1e-2);
  });
  it("batch norm without the mean(dz) term", () => {
    const spec = cnnSpec([6, 5, 1], [{ type: "conv2d", filters: 3, kernelSize: 3, activation: "none" }, { type: "batchNormalization", activation: "tanh" }]);
    expect(gradCheck({ spec, batch: 3, backend: new BatchNormWithoutMeanTerm("f64") }).maxRelError).toBeGreaterThan(1e-2);
  });
});
