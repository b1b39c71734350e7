// Multi-threaded training: every threaded kernel bit-identical to the single-threaded one (odd
// shapes, uneven parts, more threads than rows), whole runs bit-identical across thread counts,
// --resume of a 2-thread run on 1 thread, worker failures ending in an error (never a hang), and
// the FMA build within 1e-5 of the plain one.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { WasmBackend, fmaSupported } from "../src/backend/wasm.js";
import { ThreadedBackend } from "../src/backend/threads.js";
import { part, panelColumns } from "../src/backend/parallel.js";
import type { Backend } from "../src/backend/types.js";
import { Network } from "../src/model/network.js";
import type { ModelSpec } from "../src/model/spec.js";
import { parseLayers } from "../src/layers/parse.js";
import { Adam, Sgd } from "../src/train/optimizers.js";
import { fit } from "../src/train/trainer.js";
import { constantSchedule } from "../src/train/schedules.js";
import { allOf, splitTrainVal } from "../src/data/dataset.js";
import { encodeDigitsCsv } from "../src/data/csv.js";
import { DEFAULT_AUGMENT } from "../src/data/augment.js";
import { resolveTrainConfig, runTrain } from "../src/cli/train.js";
import { JsonReporter } from "../src/cli/output.js";
import { decodeModel } from "../src/model/format.js";
import { loadedNetwork as loadedNet, maxRelDiff } from "./helpers.js";

/** helpers' loadedNetwork with room for optimizer state (two slots per parameter). */
function loadedNetwork(spec: ModelSpec, be: Backend, B: number, seed: number, zeroFraction = 0): Network {
  const probe = loadedNet(spec, new WasmBackend(), B, seed, zeroFraction);
  const net = new Network(spec, be, B, 2);
  net.setParams(probe.getParams());
  const D = spec.inputSize;
  net.backend.bytes(net.layout.x, B * D).set(probe.backend.bytes(probe.layout.x, B * D));
  net.backend.ints(net.layout.labels, B).set(probe.backend.ints(probe.layout.labels, B));
  return net;
}
import { syntheticDigits } from "./fixtures.js";

const root = join(import.meta.dirname, "..");
const pools: ThreadedBackend[] = [];
afterAll(() => pools.forEach((p) => p.close()));
async function threaded(threads: number, splitAll = false): Promise<ThreadedBackend> {
  const be = await ThreadedBackend.create({ threads, splitAll });
  pools.push(be);
  return be;
}

const mlp = (hidden: number[], inputSize = 784): ModelSpec => ({ inputSize, hidden, outputSize: 10, activation: "relu" });
const cnn = (input: [number, number, number], layers: string): ModelSpec => ({
  inputSize: input[0] * input[1] * input[2],
  inputShape: input,
  hidden: [],
  layers: parseLayers(layers),
  outputSize: 10,
  activation: "relu",
});

/** The arena below the scratch block as raw bits (scratch is per thread, everything else one layout). */
function bits(net: Network): Uint32Array {
  const f = net.backend.floats() as Float32Array;
  return Uint32Array.from(new Uint32Array(f.buffer, f.byteOffset, net.layout.scratch));
}

function firstDiff(a: Uint32Array, b: Uint32Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : a.length;
}

/** One training step (forward with dropout, loss, backward, Adam) on a loaded batch. */
function step(net: Network, B: number): void {
  net.computeGradients(B, 12345);
  new Adam({ weightDecay: 1e-3 }).step(net, 0.01);
  new Sgd({ momentum: 0.9, nesterov: true, weightDecay: 1e-4 }).step(net, 0.01); // optimizer state slots: Adam's m (and v for SGD's velocity): both kernels split
}

describe("splits", () => {
  it("parts cover [0, n) in order, aligned, for any thread count", () => {
    for (const n of [0, 1, 5, 17, 64, 785])
      for (const T of [1, 2, 3, 4, 7, 40]) {
        let end = 0;
        for (let t = 0; t < T; t++) {
          const [lo, hi] = part(n, 4, t, T);
          expect(lo).toBe(end);
          expect(lo % 4 === 0 || lo === n).toBe(true);
          end = hi;
        }
        expect(end).toBe(n);
        end = 0;
        for (let t = 0; t < T; t++) {
          const [lo, hi] = panelColumns(n, t, T);
          expect(lo).toBe(end);
          if (hi > lo && hi < n) expect(hi % 8).toBe(0);
          if (hi < n) expect(n - hi > 4 || n - hi === 0 || n <= 8 || hi % 8 === 0).toBe(true);
          end = Math.max(end, hi);
        }
        expect(end).toBe(n);
      }
  });
});

describe("threaded kernels are bit-identical to the single-threaded ones", () => {
  // Every call split (no size thresholds), on 3 and 5 threads: uneven parts, empty parts (5 threads
  // over 3 rows), u8 first layers narrow (10 outputs) and wide, conv with C = 1, 3 and 5, strides,
  // padding, pooling, batch norm over dense and conv outputs, dropout, every optimizer kernel;
  // digit-like pixels (60% zeros) unless a case says otherwise.
  const cases: [string, ModelSpec, number, number?][] = [
    ["MLP 784-37-13-10, batch 7", mlp([37, 13]), 7],
    // no zero pixel: every whole 4-row block of the wide u8 layer takes the dense 4-row tile, the 2-row tail the sparse one
    ["MLP 784-40-10 on dense pixels, batch 14", mlp([40]), 14, 0],
    ["MLP 784-10 (narrow u8 dW), batch 3", mlp([]), 3],
    ["MLP 100-19-batchnorm, batch 9", cnn([10, 10, 1], "flatten, dense 19 act=none, batchnorm act=relu, dropout 0.3, dense 11"), 9],
    ["CNN 13×11×1: conv same, maxpool, conv stride 2, batchnorm, dropout, dense", cnn([13, 11, 1], "conv 5 3 padding=same, maxpool 2, conv 6 3 stride=2 act=none, batchnorm act=relu, dropout 0.25, dense 9"), 5],
    ["CNN 9×10×5: conv C≥4 u8, batchnorm, conv 2×2 tanh, avgpool, gap", cnn([9, 10, 5], "conv 12 3 padding=same act=none, batchnorm act=relu, conv 9 2 act=tanh, avgpool 2, conv 17 1, gap"), 6],
    ["CNN 8×7×3 (C < 4 filter path), batch 3", cnn([8, 7, 3], "conv 8 3, maxpool 2 stride=1, dense 7"), 3],
    // a second conv with C = 3 (the float C < 4 filter path), over 11 images in 8 fixed blocks
    ["CNN 9×9×1: conv 3 3, conv 5 3 (C = 3), batch 11", cnn([9, 9, 1], "conv 3 3, conv 5 3 padding=same, dense 6"), 11],
    // dW split by 8-column blocks (one group of 4 im2col columns, 3 blocks), gathered (F ≤ 16) and packed (F > 16) filter panels
    // C = 1, K·K·C = 9 (a lone last tap: gemm_gather1_acc), F = 70: dW by 32-column blocks on 3 threads
    ["CNN 6×5×1: conv 70 3", cnn([6, 5, 1], "conv 70 3, dense 6"), 3],
    ["CNN 9×8×1: conv 24 2, conv 8 3 (C = 24), conv 20 3 (C = 8), conv 12 1", cnn([9, 8, 1], "conv 24 2, conv 8 3 padding=same, conv 20 3, conv 12 1, dense 5"), 4],
  ];
  for (const T of [3, 5]) {
    it(`${T} threads`, async () => {
      const be = await threaded(T, true);
      for (const [name, spec, B, zeroFraction = 0.6] of cases) {
        const single = loadedNetwork(spec, new WasmBackend(), B, 7, zeroFraction);
        const multi = loadedNetwork(spec, be, B, 7, zeroFraction);
        expect(firstDiff(bits(single), bits(multi)), `${name}: loaded`).toBe(-1);
        step(single, B);
        step(multi, B);
        const d = firstDiff(bits(single), bits(multi));
        expect(d, `${name}: first differing slot ${d}`).toBe(-1);
        // evaluation mode too (batch norm with running statistics, no dropout)
        single.forward(B);
        multi.forward(B);
        expect(firstDiff(bits(single), bits(multi)), `${name}: eval forward`).toBe(-1);
      }
    });
  }
});

describe("the gradient's sum of squares (clipping, diagnostics)", () => {
  // blocks of 4096 values split over 3 threads: one block, a partial last block, a scalar tail, more threads than blocks
  it("is bit-identical on 1 and 3 threads and within 1e-6 of the float64 sum", async () => {
    const be = await threaded(3, true);
    const single = new WasmBackend();
    const n = 3 * 4096 * 4 + 4096 + 1237;
    for (const b of [be, single]) {
      b.allocate(n + 64);
      const f = b.floats();
      for (let i = 0; i < n; i++) f[i] = Math.sin(i * 0.37) * (1 + (i % 97));
    }
    const f = single.floats();
    for (const [x, len] of [[0, 4096], [1, 4097], [3, 9000], [5, 3 * 4096 * 4 + 5], [0, n], [7, 33000]]) {
      let exact = 0;
      for (let i = 0; i < len; i++) exact += f[x + i] * f[x + i];
      const one = single.sumSquares(x, len);
      expect(be.sumSquares(x, len), `${len} values from ${x}`).toBe(one);
      expect(Math.abs(one - exact) / exact).toBeLessThan(1e-6);
    }
  });
});

describe("batches gathered in wasm memory (Backend.gatherRows)", () => {
  // uneven row counts over 3 threads, a table that is not a whole number of cache lines, and a
  // second network on the same backend whose bigger arena takes the memory the table copy held
  it("hold the rows the indices name, on 1 and 3 threads, before and after the arena grows", async () => {
    const D = 100, N = 997;
    const images = new Uint8Array(N * D + 3).subarray(0, N * D);
    for (let i = 0; i < images.length; i++) images[i] = (Math.imul(i, 2654435761) >>> 23) & 255;
    const data = { images, labels: new Uint8Array(N).map((_, i) => i % 10), count: N, inputSize: D, source: "table" };
    const indices = new Uint32Array(N).map((_, i) => (i * 389 + 11) % N);
    for (const be of [new WasmBackend(), await threaded(3, true)]) {
      for (const B of [41, 70, 130]) {
        const net = new Network(mlp([8], D), be, B);
        for (const start of [0, N - B]) {
          net.loadBatch({ data, indices }, start, B);
          const x = be.bytes(net.layout.x, B * D);
          for (let r = 0; r < B; r++) {
            const i = indices[start + r];
            const row = x.subarray(r * D, r * D + D);
            const want = images.subarray(i * D, i * D + D);
            if (!row.every((v, k) => v === want[k])) expect.fail(`${be.variant}, batch ${B} from ${start}: row ${r} is not table row ${i}`);
          }
          expect(Array.from(be.ints(net.layout.labels, B))).toEqual(Array.from(indices.subarray(start, start + B), (i) => i % 10));
        }
      }
      expect(be.gatherRows!(0, images, D, indices, 0, 50)).toBe(true); // the kernel ran (not the JS copy)
    }
  });

  it("a table past the backend's limit is copied by the caller; smaller ones still go in", () => {
    // 400 kB for the row list (256 kB) and the tables: a 300 kB table is refused, a 100 kB one kept
    const be = new WasmBackend({ hostedBytes: 400_000 });
    const D = 100;
    const table = (n: number, seed: number) => {
      const images = new Uint8Array(n * D).map((_, i) => (i * seed) & 255);
      return { images, labels: new Uint8Array(n), count: n, inputSize: D, source: "table" };
    };
    const big = table(3000, 7), small = table(1000, 13);
    const net = new Network(mlp([4], D), be, 64);
    const indices = new Uint32Array(64).map((_, i) => (i * 37 + 5) % 1000);
    for (const data of [big, small]) {
      net.loadBatch({ data, indices }, 0, 64);
      const x = be.bytes(net.layout.x, 64 * D);
      for (let r = 0; r < 64; r++) expect(Array.from(x.subarray(r * D, r * D + D))).toEqual(Array.from(data.images.subarray(indices[r] * D, indices[r] * D + D)));
    }
    expect(be.gatherRows(net.layout.x, big.images, D, indices, 0, 64)).toBe(false);
    expect(be.gatherRows(net.layout.x, small.images, D, indices, 0, 64)).toBe(true);
  });
});

describe("whole runs are bit-identical for 1, 2 and 3 threads", () => {
  const data = syntheticDigits(600, 3);
  const runs: [string, ModelSpec, number, boolean][] = [
    ["MLP 784-64-32-10, dropout, shift augmentation", mlp([64, 32]), 0.2, true],
    ["MLP 784-48-10, no augmentation (batches gathered in wasm memory)", mlp([48]), 0, false],
    ["CNN: conv, batchnorm, maxpool, dropout, affine augmentation", cnn([28, 28, 1], "conv 8 3 act=none, batchnorm act=relu, maxpool 2, conv 12 3, maxpool 2, dropout 0.25, dense 16"), 0, true],
  ];
  for (const [name, spec, dropout, augment] of runs) {
    it(name, async () => {
      const results: Uint32Array[] = [];
      for (const threads of [1, 2, 3]) {
        const be: Backend = threads === 1 ? new WasmBackend() : await threaded(threads);
        const { train, val } = splitTrainVal(data, 0.1, 5);
        const net = new Network(spec, be, 32, 2, dropout);
        net.init(9);
        await fit(net, train, val, {
          epochs: 2,
          batchSize: 32,
          schedule: constantSchedule(0.003),
          seed: 9,
          optimizer: new Adam(),
          augment: augment ? { ...DEFAULT_AUGMENT, kind: spec.layers ? "affine" : "shift" } : undefined,
        });
        const p = net.getParams();
        const s = net.getState();
        results.push(new Uint32Array([...new Uint32Array(p.buffer), ...new Uint32Array(s.buffer)]));
        expect(net.evaluate(allOf(data)).accuracy).toBeGreaterThan(0.15);
      }
      expect(firstDiff(results[0], results[1])).toBe(-1);
      expect(firstDiff(results[0], results[2])).toBe(-1);
    });
  }
});

describe("CLI", () => {
  it("--resume of a 2-thread run on 1 thread ends with the same weights", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-threads-"));
    const csv = join(dir, "train.csv");
    writeFileSync(csv, encodeDigitsCsv(syntheticDigits(400, 4)));
    const base = ["--data", csv, "--hidden", "48", "--epochs", "2", "--batch", "32", "--dropout", "0.1", "--augment", "shift", "--optimizer", "adam", "--lr", "0.01", "--seed", "3"];
    const quiet = new JsonReporter({ write: () => true } as unknown as NodeJS.WriteStream);
    const a = await runTrain(resolveTrainConfig([...base, "--threads", "2", "--out", join(dir, "a.simdnet"), "--checkpoint-dir", join(dir, "ck")]) as never, quiet);
    expect(a.status).toBe("completed");
    // checkpoint.prev holds the state after epoch 1: finish epoch 2 on one thread
    const b = await runTrain(resolveTrainConfig(["--resume", join(dir, "ck", "checkpoint.prev.simdckpt"), "--threads", "1", "--out", join(dir, "b.simdnet")]) as never, quiet);
    expect(b.status).toBe("completed");
    const pa = decodeModel(readFileSync(join(dir, "a.simdnet"))).params;
    const pb = decodeModel(readFileSync(join(dir, "b.simdnet"))).params;
    expect(firstDiff(new Uint32Array(pa.buffer, pa.byteOffset, pa.length), new Uint32Array(pb.buffer, pb.byteOffset, pb.length))).toBe(-1);
  });

  it("a worker failing in a CLI run ends it with a clear error, and the process exits", () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-threads-"));
    const script = join(dir, "child.mts");
    writeFileSync(
      script,
      `import { ThreadedBackend } from ${JSON.stringify(pathToFileURL(join(root, "src/backend/threads.ts")).href)};
const be = await ThreadedBackend.create({ threads: 2 });
try { be.injectFault(1, 1); } catch (e) { console.log("caught:", (e as Error).message); }
// no close(): idle (unref'd) workers must not keep the process alive
`,
    );
    const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, script], { encoding: "utf8", timeout: 30_000 });
    expect(r.error).toBeUndefined();
    expect(r.stdout).toMatch(/caught: .*training thread 1 of 2 failed: the thread exited \(code 3\)/);
    expect(r.status).toBe(0);
  });
});

describe("faults", () => {
  it("a worker that throws ends the call with an error naming it; the pool then refuses work", async () => {
    const be = await threaded(3);
    const net = loadedNetwork(mlp([32]), be, 16, 1);
    net.computeGradients(16);
    expect(() => be.injectFault(2, 0)).toThrow(/training thread 2 of 3 failed: Error: injected fault/);
    expect(() => net.computeGradients(16)).toThrow(/training thread 2 of 3 failed/);
  });

  it("a worker whose thread exits mid-call ends it with an error (no hang)", async () => {
    const be = await threaded(2);
    const t0 = performance.now();
    expect(() => be.injectFault(1, 1)).toThrow(/training thread 1 of 2 failed: the thread exited/);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });
});

describe("FMA build", () => {
  it.runIf(fmaSupported())("gradients within 1e-5 relative of the plain build (MLP and CNN), threaded FMA equal to single FMA", async () => {
    const be = await ThreadedBackend.create({ threads: 2, fma: true, splitAll: true });
    pools.push(be);
    const specs: [ModelSpec, number][] = [[mlp([64, 32]), 16], [cnn([28, 28, 1], "conv 8 3, maxpool 2, conv 16 3, dense 10"), 8]];
    for (const [spec, B] of specs) {
      const plain = loadedNetwork(spec, new WasmBackend(), B, 3, 0.5);
      const fma = loadedNetwork(spec, new WasmBackend({ fma: true }), B, 3, 0.5);
      const fmaT = loadedNetwork(spec, be, B, 3, 0.5);
      for (const n of [plain, fma, fmaT]) n.computeGradients(B);
      const g = (n: Network) => n.backend.floats().subarray(n.layout.grads, n.layout.grads + n.paramCount);
      for (const L of plain.paramLayers) {
        const at = L.paramOffset;
        // relative to the layer's largest gradient: FMA rounds each multiply-add once, and entries that
        // are small by cancellation carry that difference at a larger relative size
        const a = g(fma).subarray(at, at + L.paramCount);
        const b = g(plain).subarray(at, at + L.paramCount);
        let scale = 0;
        for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
        expect(maxRelDiff(a, b, scale), L.name).toBeLessThan(1e-5);
      }
      expect(firstDiff(bits(fma), bits(fmaT))).toBe(-1);
    }
  });
});
