import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LrSchedule, cosPi, type ScheduleConfig } from "../src/train/schedules.js";
import { JsBackend } from "../src/backend/js.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { Network } from "../src/model/network.js";
import { affineImage, augmenter, shiftImage } from "../src/data/augment.js";
import { Rng } from "../src/rng.js";
import { fit } from "../src/train/trainer.js";
import { Sgd } from "../src/train/optimizers.js";
import { constantSchedule } from "../src/train/schedules.js";
import { splitTrainVal } from "../src/data/dataset.js";
import { encodeDigitsCsv } from "../src/data/csv.js";
import { resolveTrainConfig, runTrain } from "../src/cli/train.js";
import type { Reporter } from "../src/cli/output.js";
import { JsonReporter, TextReporter } from "../src/cli/output.js";
import { decodeModel } from "../src/model/format.js";
import { syntheticDigits } from "./fixtures.js";

const base: ScheduleConfig = { name: "constant", lr: 1, epochs: 10, warmupEpochs: 0, gamma: 0.5, stepSize: 3, minLr: 0, patience: 1 };

describe("learning-rate schedules", () => {
  it("constant, step, exponential, cosine with warm-up", () => {
    expect(new LrSchedule(base).lrAt(7.5)).toBe(1);
    const step = new LrSchedule({ ...base, name: "step" });
    expect([0, 2.9, 3, 6.5, 9].map((p) => step.lrAt(p))).toEqual([1, 1, 0.5, 0.25, 0.125]);
    const exp = new LrSchedule({ ...base, name: "exponential" });
    expect([0, 1, 2.5].map((p) => exp.lrAt(p))).toEqual([1, 0.5, 0.25]);
    const cos = new LrSchedule({ ...base, name: "cosine", warmupEpochs: 2, minLr: 0.1 });
    expect(cos.lrAt(1)).toBeCloseTo(0.5, 3); // half-way through the warm-up
    expect(cos.lrAt(2)).toBeCloseTo(1, 6); // peak
    expect(cos.lrAt(6)).toBeCloseTo(0.55, 6); // half-way down: (1 + 0.1) / 2
    expect(cos.lrAt(10)).toBeCloseTo(0.1, 6);
  });

  it("cosine uses an engine-independent cos(πt) (arithmetic only) within 1e-15 of Math.cos", () => {
    for (let i = 0; i <= 200; i++) expect(Math.abs(cosPi(i / 200) - Math.cos((Math.PI * i) / 200))).toBeLessThan(1e-15);
    expect(cosPi(0)).toBe(1);
  });

  it("reduce-on-plateau decays after `patience` epochs without improvement", () => {
    const s = new LrSchedule({ ...base, name: "plateau", patience: 1, minLr: 0.2 });
    for (const v of [1.0, 0.9, 0.95]) s.epochEnd(v);
    expect(s.lrAt(3)).toBe(1); // one bad epoch: still patient
    s.epochEnd(0.91);
    expect(s.lrAt(4)).toBe(0.5);
    for (const v of [0.92, 0.93, 0.94, 0.95]) s.epochEnd(v);
    expect(s.lrAt(8)).toBe(0.2); // floored at minLr
  });
});

describe("dropout", () => {
  const spec = { inputSize: 40, hidden: [64, 32], outputSize: 10, activation: "relu" as const };
  it("is inverted (kept units scaled by 1/(1−p)), seeded, and identical on both backends", () => {
    const masks = [new JsBackend("f32"), new WasmBackend()].map((b) => {
      const d = new Network(spec, b, 16, 0, 0.25);
      d.init(3);
      d.loadPixels(new Uint8Array(16 * 40).fill(100), 16);
      d.forward(16, 12345);
      const L = d.layout.layers.find((q) => q.type === "dropout")!; // after the first hidden layer
      return Float64Array.from(d.backend.floats().subarray(L.mask, L.mask + 16 * 64));
    });
    expect(Array.from(masks[0])).toEqual(Array.from(masks[1]));
    const dropped = masks[0].filter((v) => v === 0).length / masks[0].length;
    expect(dropped).toBeGreaterThan(0.18);
    expect(dropped).toBeLessThan(0.32);
    expect(new Set(masks[0])).toEqual(new Set([0, Math.fround(1 / 0.75)]));
  });

  it("is off at evaluation: forward without a seed is deterministic and mask-free", () => {
    const b = new WasmBackend();
    const d = new Network(spec, b, 8, 0, 0.5);
    d.init(1);
    d.loadPixels(new Uint8Array(8 * 40).fill(50), 8);
    const L = d.layout.layers[d.layout.layers.length - 1];
    d.forward(8);
    const a = Float64Array.from(b.floats().subarray(L.z, L.z + 80));
    d.forward(8, 7);
    const trained = Float64Array.from(b.floats().subarray(L.z, L.z + 80));
    d.forward(8);
    const again = Float64Array.from(b.floats().subarray(L.z, L.z + 80));
    expect(Array.from(again)).toEqual(Array.from(a));
    expect(Array.from(trained)).not.toEqual(Array.from(a));
  });
});

describe("augmentation", () => {
  const img = Uint8Array.from({ length: 16 }, (_, i) => i + 1); // 4×4: 1..16
  it("shifts with zero fill", () => {
    const out = new Uint8Array(16);
    shiftImage(out, 0, img, 0, 4, 4, 1, -1);
    expect(Array.from(out)).toEqual([0, 5, 6, 7, 0, 9, 10, 11, 0, 13, 14, 15, 0, 0, 0, 0]);
    shiftImage(out, 0, img, 0, 4, 4, 5, 0);
    expect(Array.from(out)).toEqual(new Array(16).fill(0));
  });
  it("shift matches its definition for every offset, and writes only its own image", () => {
    const w = 5, h = 4, src = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    for (let dx = -6; dx <= 6; dx++)
      for (let dy = -5; dy <= 5; dy++) {
        const out = new Uint8Array(30).fill(99);
        shiftImage(out, 5, src, 0, w, h, dx, dy);
        const want: number[] = [];
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const sx = x - dx, sy = y - dy;
            want.push(sx >= 0 && sx < w && sy >= 0 && sy < h ? src[sy * w + sx] : 0);
          }
        expect(Array.from(out.subarray(5, 25)), `dx ${dx} dy ${dy}`).toEqual(want);
        expect([...out.subarray(0, 5), ...out.subarray(25)]).toEqual(new Array(10).fill(99));
      }
  });
  it("affine with no rotation and unit scale equals the integer shift", () => {
    const a = new Uint8Array(16), b = new Uint8Array(16);
    affineImage(a, 0, img, 0, 4, 4, 0, 1, -1, 2);
    shiftImage(b, 0, img, 0, 4, 4, -1, 2);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
  // w×w test image with distinct values, so any misplaced pixel shows
  const square = (w: number) => Uint8Array.from({ length: w * w }, (_, i) => (i * 37 + 11) % 251);
  it("affine rotates by quarter turns exactly (about the centre; positive degrees turn clockwise on screen)", () => {
    const w = 7, src = square(w);
    const at = (img: Uint8Array, x: number, y: number) => img[y * w + x];
    // dst(x, y) = src(inverse rotation of (x, y) about the centre): whole pixels, no interpolation
    for (const [deg, from] of [
      [90, (x: number, y: number) => [y, w - 1 - x]],
      [180, (x: number, y: number) => [w - 1 - x, w - 1 - y]],
      [-90, (x: number, y: number) => [w - 1 - y, x]],
    ] as [number, (x: number, y: number) => number[]][]) {
      const out = new Uint8Array(w * w);
      affineImage(out, 0, src, 0, w, w, deg, 1, 0, 0);
      const want = Array.from({ length: w * w }, (_, i) => at(src, ...(from(i % w, Math.floor(i / w)) as [number, number])));
      expect(Array.from(out), `${deg}°`).toEqual(want);
      expect(out).not.toEqual(src);
    }
  });
  it("affine scales about the centre: ×2 doubles distances from it (bilinear between), ×1/2 halves them", () => {
    const w = 9, src = square(w), c = 4;
    const up = new Uint8Array(w * w);
    affineImage(up, 0, src, 0, w, w, 0, 2, 0, 0);
    for (let y = 0; y < w; y += 2) for (let x = 0; x < w; x += 2) expect(up[y * w + x], `(${x}, ${y})`).toBe(src[(c + (y - c) / 2) * w + c + (x - c) / 2]);
    // an odd column samples half-way between two source columns
    const mid = (src[c * w + c] + src[c * w + c + 1]) / 2;
    expect(up[c * w + c + 1]).toBe(Math.floor(mid + 0.5));
    const down = new Uint8Array(w * w);
    affineImage(down, 0, src, 0, w, w, 0, 0.5, 0, 0);
    for (let y = 2; y <= 6; y++) for (let x = 2; x <= 6; x++) expect(down[y * w + x]).toBe(src[(c + 2 * (y - c)) * w + c + 2 * (x - c)]);
    expect(down[0]).toBe(0); // sampled from outside the image
  });
  it("affine rotation and scale together: 90° at ×2 (whole pixels at even offsets from the centre)", () => {
    const w = 9, src = square(w), c = 4;
    const out = new Uint8Array(w * w);
    affineImage(out, 0, src, 0, w, w, 90, 2, 0, 0);
    // dst(x, y) = src(c + (y − c)/2, c − (x − c)/2)
    for (let y = 0; y < w; y += 2) for (let x = 0; x < w; x += 2) expect(out[y * w + x], `(${x}, ${y})`).toBe(src[(c - (x - c) / 2) * w + c + (y - c) / 2]);
  });
  it("affine samples bilinearly between pixels, with zeros outside (half-pixel shifts)", () => {
    const w = 4, src = Uint8Array.from({ length: 16 }, (_, i) => 10 * (i + 1)); // 10..160
    const at = (x: number, y: number) => (x >= 0 && x < w && y >= 0 && y < w ? src[y * w + x] : 0);
    const out = new Uint8Array(16);
    affineImage(out, 0, src, 0, w, w, 0, 1, 0.5, 0.5); // dst(x, y) = src(x − ½, y − ½)
    const want = Array.from({ length: 16 }, (_, i) => {
      const x = i % w, y = Math.floor(i / w);
      return Math.floor((at(x - 1, y - 1) + at(x, y - 1) + at(x - 1, y) + at(x, y)) / 4 + 0.5);
    });
    expect(Array.from(out)).toEqual(want);
    affineImage(out, 0, src, 0, w, w, 0, 1, -0.5, 0); // dst(x, y) = src(x + ½, y)
    expect(Array.from(out)).toEqual(Array.from({ length: 16 }, (_, i) => Math.floor((at((i % w) + 1, Math.floor(i / w)) + src[i]) / 2 + 0.5)));
  });
  it("affine writes only its own image", () => {
    const w = 5, src = square(w);
    for (const [deg, scale] of [[0, 1], [30, 0.7], [-45, 1.3], [90, 2]]) {
      const out = new Uint8Array(45).fill(99);
      affineImage(out, 10, src, 0, w, w, deg, scale, 1, -1);
      expect([...out.subarray(0, 10), ...out.subarray(35)], `${deg}° ×${scale}`).toEqual(new Array(20).fill(99));
    }
  });
  it("no augmenter for kind none", () => {
    expect(augmenter({ kind: "none", maxShift: 2, maxRotate: 10, maxScale: 0.1 }, 28, new Rng(1))).toBeUndefined();
  });
  it("the affine augmenter applies the rotation, scale and shift it draws", () => {
    const d = syntheticDigits(8, 3);
    const o = { kind: "affine" as const, maxShift: 2, maxRotate: 10, maxScale: 0.1 };
    const rng = new Rng(5), mirror = new Rng(5);
    const t = augmenter(o, 28, rng)!;
    let changed = 0;
    for (let i = 0; i < 8; i++) {
      const out = new Uint8Array(784), want = new Uint8Array(784), shifted = new Uint8Array(784);
      t(out, 0, d.images, i * 784);
      // the same draws, in the same order: rotation, scale, then the two shifts
      const deg = (2 * mirror.next() - 1) * o.maxRotate;
      const scale = 1 + (2 * mirror.next() - 1) * o.maxScale;
      const dx = mirror.int(5) - 2, dy = mirror.int(5) - 2;
      expect(Math.abs(deg)).toBeLessThanOrEqual(10);
      affineImage(want, 0, d.images, i * 784, 28, 28, deg, scale, dx, dy);
      expect(Array.from(out), `image ${i}`).toEqual(Array.from(want));
      shiftImage(shifted, 0, d.images, i * 784, 28, 28, dx, dy);
      if (out.some((v, k) => v !== shifted[k])) changed++; // rotation/scale did something beyond the shift
    }
    expect(changed).toBe(8);
  });
  it("is reproducible from the step seed and keeps the label's pixels mostly", () => {
    const d = syntheticDigits(4, 2);
    const rng = new Rng(9);
    const t = augmenter({ kind: "affine", maxShift: 2, maxRotate: 10, maxScale: 0.1 }, 28, rng)!;
    const run = () => {
      rng.reseed(42);
      const out = new Uint8Array(784);
      t(out, 0, d.images, 0);
      return out;
    };
    expect(Array.from(run())).toEqual(Array.from(run()));
  });
});

describe("early stopping", () => {
  it("stops after `patience` epochs without improvement and restores the best weights", async () => {
    const data = syntheticDigits(600, 5, 64);
    const { train, val } = splitTrainVal(data, 0.3, 2);
    const net = new Network({ inputSize: 64, hidden: [48], outputSize: 10, activation: "relu" }, new WasmBackend(), 32);
    net.init(3);
    // a learning rate that overfits fast, so the validation loss turns up within a few epochs
    const r = await fit(net, train, val, {
      epochs: 60,
      batchSize: 8,
      schedule: constantSchedule(0.5),
      seed: 1,
      optimizer: new Sgd(),
      earlyStopping: { monitor: "val_loss", patience: 2, minDelta: 0, restoreBest: true },
    });
    expect(r.stoppedEarly).toBe(true);
    expect(r.history.length).toBeLessThan(60);
    const bestEpoch = r.history.reduce((b, h) => (h.valLoss! < b.valLoss! ? h : b));
    expect(r.history.length).toBe(bestEpoch.epoch + 2);
    expect(r.restoredEpoch).toBe(bestEpoch.epoch);
    expect(net.evaluate(val!).loss).toBeCloseTo(bestEpoch.valLoss!, 10);
  });

  // minDelta: a change smaller than it is no improvement, so with a huge one only the first epoch
  // (better than nothing) counts; both monitors; restoreBest false keeps the last epoch's weights
  const short = async (monitor: "val_loss" | "val_accuracy", minDelta: number, restoreBest: boolean) => {
    const data = syntheticDigits(300, 5, 64);
    const { train, val } = splitTrainVal(data, 0.3, 2);
    const net = new Network({ inputSize: 64, hidden: [24], outputSize: 10, activation: "relu" }, new WasmBackend(), 32);
    net.init(3);
    const r = await fit(net, train, val, { epochs: 12, batchSize: 16, schedule: constantSchedule(0.1), seed: 1, optimizer: new Sgd(), earlyStopping: { monitor, patience: 2, minDelta, restoreBest } });
    return { r, net, val: val! };
  };
  for (const monitor of ["val_loss", "val_accuracy"] as const)
    it(`${monitor}: a minDelta larger than any change stops ${2} epochs after the first, restoring epoch 1`, async () => {
      const { r, net, val } = await short(monitor, 1e6, true);
      expect(r.stoppedEarly).toBe(true);
      expect(r.history).toHaveLength(3);
      expect(r.restoredEpoch).toBe(1);
      expect(net.evaluate(val).loss).toBeCloseTo(r.history[0].valLoss!, 10);
    });
  it("minDelta 0 keeps training while the validation loss falls; restoreBest false keeps the last weights", async () => {
    const { r, net, val } = await short("val_loss", 0, false);
    expect(r.history.length).toBeGreaterThan(3); // the loss falls for more than the first epoch here
    expect(r.restoredEpoch).toBeNull();
    expect(net.evaluate(val).loss).toBeCloseTo(r.history[r.history.length - 1].valLoss!, 10);
  });
});

describe("determinism", () => {
  const quiet: Reporter = { info() {}, batch() {}, epoch() {}, event() {}, warn() {} };
  const dir = mkdtempSync(join(tmpdir(), "simdnet-det-"));
  const csv = join(dir, "train.csv");
  writeFileSync(csv, encodeDigitsCsv(syntheticDigits(700, 8)));
  const sink = { write: () => true, isTTY: true } as unknown as NodeJS.WriteStream;
  async function weights(seed: string, reporter: Reporter, backend = "wasm") {
    const out = join(dir, `m-${Math.random()}.simdnet`);
    const cfg = resolveTrainConfig(["--data", csv, "--out", out, "--hidden", "32,16", "--epochs", "3", "--batch", "32", "--seed", seed,
      "--optimizer", "adam", "--lr", "0.003", "--dropout", "0.2", "--augment", "affine", "--backend", backend]);
    if (cfg === "help") throw new Error();
    const summary = await runTrain(cfg, reporter);
    return { params: decodeModel(readFileSync(out), out).params, summary };
  }
  it("same seed, data and options ⇒ bit-identical weights, whatever the display", async () => {
    const a = await weights("5", quiet);
    const b = await weights("5", new TextReporter(sink, sink)); // a TTY progress display
    const c = await weights("5", new JsonReporter(sink));
    expect(Buffer.from(b.params.buffer).equals(Buffer.from(a.params.buffer))).toBe(true);
    expect(Buffer.from(c.params.buffer).equals(Buffer.from(a.params.buffer))).toBe(true);
    const d = await weights("6", quiet);
    expect(Buffer.from(d.params.buffer).equals(Buffer.from(a.params.buffer))).toBe(false);
    expect(a.summary.valAccuracy).toBeGreaterThan(0.5);
  });
});

// What fit reports: each epoch's loss and accuracy are the sums of its batches over the samples
// done (the same figures onBatchEnd's running values reach at the epoch's last batch), the
// throughput is training samples over training time, and times are wall-clock seconds.
describe("fit's reported figures", () => {
  it("epoch and batch statistics agree with each other and with the clock", async () => {
    const data = syntheticDigits(200, 9);
    const { train, val } = splitTrainVal(data, 0.2, 1);
    const optimizer = new Sgd({ momentum: 0.9 });
    const net = new Network({ inputSize: 784, hidden: [16], outputSize: 10, activation: "relu" }, new WasmBackend(), 32, optimizer.stateSlots);
    net.init(2, "he");
    const batches: { epoch: number; loss: number; size: number; correct: number; runningLoss: number; runningAccuracy: number; samplesPerSec: number }[] = [];
    const t0 = performance.now();
    const r = await fit(net, train, val, {
      epochs: 2,
      batchSize: 32,
      schedule: constantSchedule(0.05),
      seed: 3,
      optimizer,
      onBatchEnd: (b) => batches.push({ ...b }),
    });
    const wall = (performance.now() - t0) / 1000;
    expect(r.history).toHaveLength(2);
    expect(r.seconds).toBeGreaterThan(0);
    expect(r.seconds).toBeLessThanOrEqual(wall + 1e-3);
    for (const e of r.history) {
      const mine = batches.filter((b) => b.epoch === e.epoch);
      const done = mine.reduce((s, b) => s + b.size, 0);
      expect(done).toBe(train.indices.length);
      const lossSum = mine.reduce((s, b) => s + b.loss * b.size, 0);
      const correct = mine.reduce((s, b) => s + b.correct, 0);
      expect(e.trainLoss).toBeCloseTo(lossSum / done, 5);
      expect(e.trainAccuracy).toBeCloseTo(correct / done, 10);
      expect(mine[mine.length - 1].runningLoss).toBeCloseTo(lossSum / done, 5);
      expect(mine[mine.length - 1].runningAccuracy).toBeCloseTo(correct / done, 10);
      // training time ≤ the epoch's wall time ≤ the whole run's
      expect(e.seconds).toBeGreaterThan(0);
      expect(e.seconds).toBeLessThanOrEqual(r.seconds + 1e-3);
      expect(e.samplesPerSec).toBeGreaterThanOrEqual((done / e.seconds) * 0.999);
      expect(e.samplesPerSec).toBeLessThan(1e9);
      for (const b of mine) expect(b.samplesPerSec).toBeGreaterThan(0);
      expect(e.valLoss).not.toBeNull();
      expect(Number.isFinite(e.trainLoss)).toBe(true);
    }
  });

  it("refuses an optimizer that keeps more state than the network was laid out for", async () => {
    const data = syntheticDigits(40, 2);
    const net = new Network({ inputSize: 784, hidden: [8], outputSize: 10, activation: "relu" }, new WasmBackend(), 16); // 0 slots
    const run = fit(net, splitTrainVal(data, 0, 1).train, null, { epochs: 1, batchSize: 16, schedule: constantSchedule(0.05), seed: 1, optimizer: new Sgd({ momentum: 0.9 }) });
    await expect(run).rejects.toThrow(/0 optimizer state slot\(s\) per parameter, sgd-momentum needs 1/);
  });
});
