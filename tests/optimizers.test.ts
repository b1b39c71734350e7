import { describe, expect, it } from "vitest";
import { JsBackend } from "../src/backend/js.js";
import { WasmBackend } from "../src/backend/wasm.js";
import type { Backend } from "../src/backend/types.js";
import { Network } from "../src/model/network.js";
import { Adam, Sgd, clipGradNorm, createOptimizer, type Optimizer, type OptimizerConfig } from "../src/train/optimizers.js";
import { SimdnetError } from "../src/errors.js";
import { constantSchedule } from "../src/train/schedules.js";
import { fit } from "../src/train/trainer.js";
import { allOf, splitTrainVal } from "../src/data/dataset.js";
import { loadMnistDir } from "../src/data/files.js";
import { realMnistDir } from "./helpers.js";
import type { Dataset } from "../src/data/dataset.js";

// One parameter block of 3 values, driven by hand-written gradients.
function run(backend: Backend, opt: Optimizer, p0: number[], gs: number[][], lr: number): number[] {
  const spec = { inputSize: 1, hidden: [], outputSize: 1, activation: "relu" as const }; // 2 params: w, b
  const net = new Network(spec, backend, 1, opt.stateSlots);
  const { params, grads } = net.layout;
  const f = net.backend.floats();
  f.set(p0.slice(0, 2), params);
  for (const g of gs) {
    net.backend.floats().set(g.slice(0, 2), grads);
    opt.step(net, lr);
  }
  return Array.from(net.backend.floats().subarray(params, params + 2));
}

const backends = () => [new JsBackend("f64"), new WasmBackend()];
const close = (a: number[], b: number[], tol = 1e-6) => a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(tol));

describe("optimizer update rules, against steps computed by hand", () => {
  for (const be of backends()) {
    it(`${be.variant}: SGD  p ← p − lr·g`, () => {
      close(run(be, new Sgd(), [1, -2], [[0.5, -1]], 0.1), [0.95, -1.9]);
    });
    it(`${be.variant}: SGD momentum 0.9, weight decay 0.1 (PyTorch semantics)`, () => {
      // step 1: d = 0.5 + 0.1·1 = 0.6, v = 0.6, p = 1 − 0.1·0.6 = 0.94
      // step 2: d = 0.5 + 0.1·0.94 = 0.594, v = 0.9·0.6 + 0.594 = 1.134, p = 0.94 − 0.1134 = 0.8266
      close(run(be, new Sgd({ momentum: 0.9, weightDecay: 0.1 }), [1, 0], [[0.5, 0], [0.5, 0]], 0.1), [0.8266, 0]);
    });
    it(`${be.variant}: SGD Nesterov`, () => {
      // step 1: v = 0.5, p = 1 − 0.1·(0.5 + 0.9·0.5) = 0.905
      // step 2: v = 0.45 + 0.5 = 0.95, p = 0.905 − 0.1·(0.5 + 0.855) = 0.7695
      close(run(be, new Sgd({ momentum: 0.9, nesterov: true }), [1, 0], [[0.5, 0], [0.5, 0]], 0.1), [0.7695, 0]);
    });
    it(`${be.variant}: Adam, bias-corrected`, () => {
      // t=1: m = 0.1·g, v = 0.001·g², m̂ = g, v̂ = g² ⇒ p −= lr·g/(|g| + ε) ≈ lr·sign(g)
      const p = run(be, new Adam(), [1, 2], [[0.5, -4]], 0.01);
      close(p, [1 - 0.01 * (0.5 / (0.5 + 1e-8)), 2 + 0.01 * (4 / (4 + 1e-8))]);
      // t=2 with g = 0.5 then 0.1: m = 0.9·0.05 + 0.01 = 0.055, v = 0.999·0.00025 + 0.001·0.01 = 0.00025975
      const m = 0.055 / (1 - 0.81), v = 0.00025975 / (1 - 0.998001);
      const p2 = run(be, new Adam(), [1, 0], [[0.5, 0], [0.1, 0]], 0.01);
      close(p2, [1 - 0.01 - (0.01 * m) / (Math.sqrt(v) + 1e-8), 0], 1e-5);
    });
    it(`${be.variant}: AdamW decays decoupled from the gradient; Adam L2 adds it to the gradient`, () => {
      // AdamW, g = 0: m = v = 0 ⇒ p = p·(1 − lr·wd)
      close(run(be, new Adam({ decoupled: true, weightDecay: 0.1 }), [2, 0], [[0, 0]], 0.5), [2 * (1 - 0.05), 0]);
      // Adam + L2, g = 0: d = wd·p = 0.2 ⇒ p −= lr·sign(d)
      close(run(be, new Adam({ weightDecay: 0.1 }), [2, 0], [[0, 0]], 0.5), [2 - 0.5 * (0.2 / (0.2 + 1e-8)), 0], 1e-5);
    });
    it(`${be.variant}: gradient-norm clipping scales to the limit`, () => {
      const net = new Network({ inputSize: 1, hidden: [], outputSize: 2, activation: "relu" }, be, 1); // 4 params
      net.backend.floats().set([3, 4, 0, 0], net.layout.grads);
      expect(clipGradNorm(net, 1)).toBeCloseTo(5, 5);
      close(Array.from(net.backend.floats().subarray(net.layout.grads, net.layout.grads + 4)), [0.6, 0.8, 0, 0], 1e-6);
    });
    it(`${be.variant}: clipping leaves a gradient under the limit, and every gradient when the limit is 0 (off)`, () => {
      const net = new Network({ inputSize: 1, hidden: [], outputSize: 2, activation: "relu" }, be, 1);
      const grads = () => Array.from(net.backend.floats().subarray(net.layout.grads, net.layout.grads + 4));
      net.backend.floats().set([3, 4, 0, 0], net.layout.grads);
      expect(clipGradNorm(net, 6)).toBeCloseTo(5, 5);
      expect(grads()).toEqual([3, 4, 0, 0]);
      expect(clipGradNorm(net, 0)).toBeCloseTo(5, 5);
      expect(grads()).toEqual([3, 4, 0, 0]);
    });
    it(`${be.variant}: SGD without momentum but with weight decay  p ← p − lr·(g + wd·p)`, () => {
      // d = 0.5 + 0.1·1 = 0.6 ⇒ p = 1 − 0.1·0.6 = 0.94; b: d = −1 + 0.1·(−2) = −1.2 ⇒ −2 + 0.12
      close(run(be, new Sgd({ weightDecay: 0.1 }), [1, -2], [[0.5, -1]], 0.1), [0.94, -1.88]);
    });
  }
});

describe("optimizer construction: names, state slots, the config factory", () => {
  const base: OptimizerConfig = { name: "sgd", momentum: 0, nesterov: false, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  it("SGD's name and state follow momentum and weight decay", () => {
    expect(new Sgd()).toMatchObject({ name: "sgd", stateSlots: 0 });
    expect(new Sgd({ weightDecay: 0.01 })).toMatchObject({ name: "sgd", stateSlots: 1 }); // the step's scratch
    expect(new Sgd({ momentum: 0.9 })).toMatchObject({ name: "sgd-momentum", stateSlots: 1 });
    expect(new Sgd({ momentum: 0.9, nesterov: true })).toMatchObject({ name: "sgd-nesterov", stateSlots: 1 });
    expect(new Adam()).toMatchObject({ name: "adam", stateSlots: 2, weightDecay: 0 });
    expect(new Adam({ decoupled: true })).toMatchObject({ name: "adamw", stateSlots: 2, weightDecay: 0.01 });
  });
  it("Nesterov without momentum (0, or none given) is refused, naming --nesterov", () => {
    for (const o of [{ nesterov: true }, { nesterov: true, momentum: 0 }]) {
      let err: unknown;
      try {
        new Sgd(o);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SimdnetError);
      expect((err as SimdnetError).message).toMatch(/Nesterov momentum needs --momentum > 0/);
      expect((err as SimdnetError).field).toBe("--nesterov");
    }
  });
  it("createOptimizer passes every option to the optimizer it names", () => {
    expect(createOptimizer({ ...base, momentum: 0.8, nesterov: true, weightDecay: 0.02 })).toMatchObject({ name: "sgd-nesterov", momentum: 0.8, nesterov: true, weightDecay: 0.02 });
    const adam = createOptimizer({ ...base, name: "adam", beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.03 });
    expect(adam).toBeInstanceOf(Adam);
    expect(adam).toMatchObject({ name: "adam", beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.03, decoupled: false });
    expect(createOptimizer({ ...base, name: "adamw", weightDecay: 0.05 })).toMatchObject({ name: "adamw", decoupled: true, weightDecay: 0.05 });
  });
});

// A small real problem: the first 3000 MNIST training images. Real data only (a synthetic set is
// too easy to tell a broken gradient from a working one): in CI it must be there, outside CI the
// suite skips with one line naming SIMDNET_MNIST_DIR.
const mnist = realMnistDir("optimizers on a small real problem");
function smallProblem(dir: string): Dataset {
  const train = loadMnistDir(dir).train;
  const n = 3000;
  return { ...train, images: train.images.subarray(0, n * 784), labels: train.labels!.subarray(0, n), count: n };
}

describe.skipIf(!mnist)("each optimizer trains a small real problem as well as measured", () => {
  const data = mnist ? smallProblem(mnist) : undefined!;
  const { train, val } = mnist ? splitTrainVal(data, 0.2, 1) : ({} as ReturnType<typeof splitTrainVal>);
  // [name, optimizer, lr, ceiling on the last epoch's train loss]. Measured (deterministic: the wasm
  // f32 and TypeScript f64 backends agree to 1e-6): sgd 0.278, momentum 0.239, Nesterov 0.226,
  // adam 0.177, adamw 0.180; the ceilings are about 12% above. A ReLU backward that lets the
  // gradient through unmasked ends at 0.30–0.38 with every optimizer (recorded in TESTING.md).
  const cases: [string, () => Optimizer, number, number][] = [
    ["sgd", () => new Sgd(), 0.1, 0.31],
    ["sgd-momentum", () => new Sgd({ momentum: 0.9 }), 0.02, 0.27],
    ["sgd-nesterov", () => new Sgd({ momentum: 0.9, nesterov: true }), 0.02, 0.25],
    ["adam", () => new Adam(), 0.003, 0.2],
    ["adamw", () => new Adam({ decoupled: true }), 0.003, 0.2],
  ];
  for (const [name, make, lr, maxTrainLoss] of cases) {
    it(`${name}: last train loss < ${maxTrainLoss}, validation loss < 0.45, ≥ 90% on the 3000 images`, async () => {
      const opt = make();
      const net = new Network({ inputSize: 784, hidden: [30], outputSize: 10, activation: "relu" }, new WasmBackend(), 32, opt.stateSlots); // 30: SIMD lanes and a tail
      net.init(1);
      const before = net.evaluate(val!);
      const r = await fit(net, train, val, { epochs: 5, batchSize: 32, schedule: constantSchedule(lr), seed: 1, optimizer: opt });
      const after = net.evaluate(val!);
      const all = net.evaluate(allOf(data));
      if (process.env.SIMDNET_REPORT) console.log(name, { before: before.loss, after: after.loss, accuracy: all.accuracy, train: r.history.map((h) => h.trainLoss) });
      expect(before.loss).toBeGreaterThan(2); // untrained: about ln 10
      expect(after.loss).toBeLessThan(0.45); // measured 0.38–0.42
      for (let e = 1; e < 5; e++) expect(r.history[e].trainLoss, `epoch ${e + 1}`).toBeLessThan(r.history[e - 1].trainLoss);
      expect(r.history[4].trainLoss).toBeLessThan(maxTrainLoss);
      expect(all.accuracy).toBeGreaterThan(0.9); // measured 0.908–0.935
    });
  }
});
