// Pooling, batch-norm, activation-backward and uint8-cast kernels: the wasm SIMD kernels and their
// naive wasm twins against float64 references written here, over odd shapes (H, W not multiples
// of 4; C = 1, 3, 5, 17, 32; overlapping, dense-stride and global pools; batch norm after a conv and
// after a dense). The references themselves are checked by finite differences in float64.
import { describe, expect, it } from "vitest";
import { WasmBackend } from "../src/backend/wasm.js";
import { JsBackend } from "../src/backend/js.js";
import { NONE, type Backend } from "../src/backend/types.js";
import { actForward, actGrad } from "../src/backend/activations.js";
import { Rng } from "../src/rng.js";

const fast = new WasmBackend();
const naive = new WasmBackend({ kernels: "naive" });
const WASM: [string, Backend][] = [
  ["fast", fast],
  ["naive", naive],
];

/** |a − b| ≤ tol·max(|b|, 1) element-wise (b is the reference); names the first offending index. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-4): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], b = expected[i];
    if (!(Math.abs(a - b) <= tol * Math.max(Math.abs(b), 1))) {
      expect.fail(`${what}[${i}]: got ${a}, expected ${b} (|diff| ${Math.abs(a - b)})`);
    }
  }
}

function expectEqualInts(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) expect.fail(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
}

/** f32-rounded random values (what the kernels see), kept as plain numbers for the f64 references. */
function randomF32(rng: Rng, n: number, scale = 1, offset = 0): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = Math.fround(offset + scale * rng.normal());
  return v;
}

/**
 * Named regions in one backend's arena, at odd slot offsets (so f32x4 loads are unaligned as they
 * may be in a real arena), everything else poisoned with NaN so an output a kernel fails to write
 * shows up.
 */
function arena(be: Backend, sizes: Record<string, number>) {
  const slot: Record<string, number> = {};
  let at = 3;
  for (const [name, n] of Object.entries(sizes)) {
    slot[name] = at;
    at += n + 5;
  }
  be.allocate(at + 16);
  be.floats().fill(NaN, 0, at + 16);
  return {
    slot,
    set(name: string, v: ArrayLike<number>) {
      be.floats().set(v, slot[name]);
    },
    setInts(name: string, v: ArrayLike<number>) {
      be.ints(slot[name], v.length).set(v);
    },
    get(name: string): Float64Array {
      return Float64Array.from(be.floats().subarray(slot[name], slot[name] + sizes[name]));
    },
    ints(name: string): Int32Array {
      return Int32Array.from(be.ints(slot[name], sizes[name]));
    },
  };
}

// ---------------------------------------------------------------- float64 references

interface Pool {
  B: number;
  H: number;
  W: number;
  C: number;
  PH: number;
  PW: number;
  SH: number;
  SW: number;
  OH: number;
  OW: number;
}

function pool(B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number): Pool {
  return { B, H, W, C, PH, PW, SH, SW, OH: Math.floor((H - PH) / SH) + 1, OW: Math.floor((W - PW) / SW) + 1 };
}

function refMaxPool(x: ArrayLike<number>, p: Pool): { y: Float64Array; argmax: Int32Array } {
  const { B, H, W, C, PH, PW, SH, SW, OH, OW } = p;
  const y = new Float64Array(B * OH * OW * C);
  const argmax = new Int32Array(y.length);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity, idx = -1;
          for (let ky = 0; ky < PH; ky++)
            for (let kx = 0; kx < PW; kx++) {
              const h = oy * SH + ky, w = ox * SW + kx;
              const v = x[((b * H + h) * W + w) * C + c];
              if (v > best) {
                best = v;
                idx = h * W + w;
              }
            }
          const o = ((b * OH + oy) * OW + ox) * C + c;
          y[o] = best;
          argmax[o] = idx;
        }
  return { y, argmax };
}

function refMaxPoolBackward(dy: ArrayLike<number>, argmax: ArrayLike<number>, p: Pool): Float64Array {
  const { B, H, W, C, OH, OW } = p;
  const dx = new Float64Array(B * H * W * C);
  for (let b = 0; b < B; b++)
    for (let o = 0; o < OH * OW; o++)
      for (let c = 0; c < C; c++) {
        const k = (b * OH * OW + o) * C + c;
        dx[(b * H * W + argmax[k]) * C + c] += dy[k];
      }
  return dx;
}

function refAvgPool(x: ArrayLike<number>, p: Pool): Float64Array {
  const { B, H, W, C, PH, PW, SH, SW, OH, OW } = p;
  const y = new Float64Array(B * OH * OW * C);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let ky = 0; ky < PH; ky++) for (let kx = 0; kx < PW; kx++) s += x[((b * H + oy * SH + ky) * W + ox * SW + kx) * C + c];
          y[((b * OH + oy) * OW + ox) * C + c] = s / (PH * PW);
        }
  return y;
}

function refAvgPoolBackward(dy: ArrayLike<number>, p: Pool): Float64Array {
  const { B, H, W, C, PH, PW, SH, SW, OH, OW } = p;
  const dx = new Float64Array(B * H * W * C);
  for (let b = 0; b < B; b++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++)
        for (let c = 0; c < C; c++) {
          const g = dy[((b * OH + oy) * OW + ox) * C + c] / (PH * PW);
          for (let ky = 0; ky < PH; ky++) for (let kx = 0; kx < PW; kx++) dx[((b * H + oy * SH + ky) * W + ox * SW + kx) * C + c] += g;
        }
  return dx;
}

interface BnOut {
  z: Float64Array;
  mean: Float64Array;
  invStd: Float64Array;
  runMean: Float64Array;
  runVar: Float64Array;
}

function refBatchNorm(x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>, runMean: ArrayLike<number>, runVar: ArrayLike<number>, N: number, C: number, training: boolean, momentum: number, eps: number): BnOut {
  const mean = new Float64Array(C), invStd = new Float64Array(C);
  const rm = Float64Array.from(runMean), rv = Float64Array.from(runVar);
  for (let c = 0; c < C; c++) {
    if (training) {
      let s = 0;
      for (let r = 0; r < N; r++) s += x[r * C + c];
      const m = s / N;
      let q = 0;
      for (let r = 0; r < N; r++) q += (x[r * C + c] - m) ** 2;
      const v = q / N;
      mean[c] = m;
      invStd[c] = 1 / Math.sqrt(v + eps);
      rm[c] = (1 - momentum) * rm[c] + momentum * m;
      rv[c] = (1 - momentum) * rv[c] + momentum * (N > 1 ? (v * N) / (N - 1) : v);
    } else {
      mean[c] = runMean[c];
      invStd[c] = 1 / Math.sqrt(runVar[c] + eps);
    }
  }
  const z = new Float64Array(N * C);
  for (let r = 0; r < N; r++) for (let c = 0; c < C; c++) z[r * C + c] = gamma[c] * (x[r * C + c] - mean[c]) * invStd[c] + beta[c];
  return { z, mean, invStd, runMean: rm, runVar: rv };
}

function refBatchNormBackward(dz: ArrayLike<number>, x: ArrayLike<number>, gamma: ArrayLike<number>, mean: ArrayLike<number>, invStd: ArrayLike<number>, N: number, C: number) {
  const dx = new Float64Array(N * C), dgamma = new Float64Array(C), dbeta = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let sd = 0, sdx = 0;
    for (let r = 0; r < N; r++) {
      const xh = (x[r * C + c] - mean[c]) * invStd[c];
      sd += dz[r * C + c];
      sdx += dz[r * C + c] * xh;
    }
    dbeta[c] = sd;
    dgamma[c] = sdx;
    for (let r = 0; r < N; r++) {
      const xh = (x[r * C + c] - mean[c]) * invStd[c];
      dx[r * C + c] = gamma[c] * invStd[c] * (dz[r * C + c] - sd / N - (xh * sdx) / N);
    }
  }
  return { dx, dgamma, dbeta };
}

// ---------------------------------------------------------------- pooling

const POOLS: [string, number, number, number, number][] = [
  ["2/2", 2, 2, 2, 2],
  ["3/2 (overlapping)", 3, 3, 2, 2],
  ["2/1", 2, 2, 1, 1],
  ["3/3", 3, 3, 3, 3],
  ["2x3/1x2", 2, 3, 1, 2],
];
const PLANES: [number, number][] = [
  [5, 7],
  [13, 13],
  [27, 27],
  [28, 28],
];
const CHANNELS = [1, 3, 5, 17, 32];
const BATCHES = [1, 3, 8];

function poolCases(): [string, Pool][] {
  const out: [string, Pool][] = [];
  let t = 0;
  for (const [H, W] of PLANES)
    for (const C of CHANNELS)
      for (const [name, PH, PW, SH, SW] of [...POOLS, ["global", H, W, 1, 1] as [string, number, number, number, number]]) {
        const B = BATCHES[t++ % BATCHES.length];
        out.push([`${name} ${H}x${W}x${C} batch ${B}`, pool(B, H, W, C, PH, PW, SH, SW)]);
      }
  return out;
}

function checkMaxPool(p: Pool, x: ArrayLike<number>, dy: ArrayLike<number>, label: string): void {
  const ref = refMaxPool(x, p);
  const refDx = refMaxPoolBackward(dy, ref.argmax, p);
  const nx = p.B * p.H * p.W * p.C, ny = p.B * p.OH * p.OW * p.C;
  for (const [name, be] of WASM) {
    const A = arena(be, { x: nx, y: ny, argmax: ny, dy: ny, dx: nx });
    A.set("x", x);
    A.set("dy", dy);
    be.maxPoolForward(A.slot.y, A.slot.argmax, A.slot.x, p.B, p.H, p.W, p.C, p.PH, p.PW, p.SH, p.SW, p.OH, p.OW);
    expectClose(A.get("y"), ref.y, `${name} ${label} max y`);
    expectEqualInts(A.ints("argmax"), ref.argmax, `${name} ${label} argmax`);
    be.maxPoolBackward(A.slot.dx, A.slot.dy, A.slot.argmax, p.B, p.H, p.W, p.C, p.OH, p.OW);
    expectClose(A.get("dx"), refDx, `${name} ${label} max dx`);
  }
}

describe("max pooling", () => {
  for (const [label, p] of poolCases()) {
    it(label, () => {
      const rng = new Rng(p.H * 1000 + p.C * 10 + p.PH);
      checkMaxPool(p, randomF32(rng, p.B * p.H * p.W * p.C), randomF32(rng, p.B * p.OH * p.OW * p.C), label);
    });
  }

  it("ties: the first maximum (row-major in the window) wins, in every lane and in the tail", () => {
    const rng = new Rng(11);
    for (const C of [1, 3, 4, 5, 17]) {
      for (const [, PH, PW, SH, SW] of POOLS) {
        const p = pool(2, 9, 11, C, PH, PW, SH, SW);
        // few distinct values: most windows hold their maximum more than once
        const x = Float64Array.from({ length: p.B * p.H * p.W * C }, () => rng.int(3) - 1);
        checkMaxPool(p, x, randomF32(rng, p.B * p.OH * p.OW * C), `ties C=${C} ${PH}x${PW}/${SH}x${SW}`);
      }
      // a constant image: every argmax is its window's top-left cell
      const p = pool(1, 5, 7, C, 3, 3, 2, 2);
      const x = new Float64Array(p.H * p.W * C).fill(-2.5);
      checkMaxPool(p, x, randomF32(rng, p.OH * p.OW * C), `constant C=${C}`);
      const want = refMaxPool(x, p).argmax;
      for (let oy = 0; oy < p.OH; oy++) for (let ox = 0; ox < p.OW; ox++) for (let c = 0; c < C; c++) expect(want[(oy * p.OW + ox) * C + c]).toBe(oy * 2 * p.W + ox * 2);
    }
  });

  it("argmax NONE: forward still writes y", () => {
    const p = pool(2, 6, 6, 5, 2, 2, 2, 2);
    const x = randomF32(new Rng(5), 2 * 36 * 5);
    for (const [name, be] of WASM) {
      const A = arena(be, { x: x.length, y: 2 * 9 * 5 });
      A.set("x", x);
      be.maxPoolForward(A.slot.y, NONE, A.slot.x, p.B, p.H, p.W, p.C, p.PH, p.PW, p.SH, p.SW, p.OH, p.OW);
      expectClose(A.get("y"), refMaxPool(x, p).y, `${name} y`);
    }
  });
});

describe("average pooling", () => {
  for (const [label, p] of poolCases()) {
    it(label, () => {
      const rng = new Rng(p.W * 1000 + p.C * 10 + p.PW + 1);
      const nx = p.B * p.H * p.W * p.C, ny = p.B * p.OH * p.OW * p.C;
      const x = randomF32(rng, nx), dy = randomF32(rng, ny);
      const refY = refAvgPool(x, p), refDx = refAvgPoolBackward(dy, p);
      for (const [name, be] of WASM) {
        const A = arena(be, { x: nx, y: ny, dy: ny, dx: nx });
        A.set("x", x);
        A.set("dy", dy);
        be.avgPoolForward(A.slot.y, A.slot.x, p.B, p.H, p.W, p.C, p.PH, p.PW, p.SH, p.SW, p.OH, p.OW);
        expectClose(A.get("y"), refY, `${name} ${label} avg y`);
        be.avgPoolBackward(A.slot.dx, A.slot.dy, p.B, p.H, p.W, p.C, p.PH, p.PW, p.SH, p.SW, p.OH, p.OW);
        expectClose(A.get("dx"), refDx, `${name} ${label} avg dx`);
      }
    });
  }
});

// ---------------------------------------------------------------- batch norm

const EPS = 1e-3; // Keras' default (PyTorch's is 1e-5; both are just numbers here)

function checkBatchNorm(N: number, C: number, seed: number, opts: { act?: number; alias?: boolean; offset?: number; scale?: number; statsOnly?: boolean } = {}): void {
  const act = opts.act ?? 0;
  const rng = new Rng(seed);
  const x = randomF32(rng, N * C, opts.scale ?? 1.5, opts.offset ?? 0.3);
  const gamma = Float64Array.from({ length: C }, () => Math.fround(0.5 + rng.next()));
  const beta = randomF32(rng, C, 0.2);
  const runMean = randomF32(rng, C, 0.1);
  const runVar = Float64Array.from({ length: C }, () => Math.fround(0.5 + rng.next()));
  const dz = randomF32(rng, N * C);
  const dg0 = randomF32(rng, C), db0 = randomF32(rng, C); // dgamma, dbeta accumulate onto these
  const momentum = 0.1;
  for (const training of [true, false]) {
    const ref = refBatchNorm(x, gamma, beta, runMean, runVar, N, C, training, momentum, EPS);
    const refA = ref.z.map((v) => actForward(v, act));
    const g = refBatchNormBackward(dz, x, gamma, ref.mean, ref.invStd, N, C);
    for (const [name, be] of WASM) {
      const what = `${name} N=${N} C=${C} act ${act}${opts.alias ? " a=z" : ""} ${training ? "training" : "eval"}`;
      const A = arena(be, { x: N * C, z: N * C, a: N * C, gamma: C, beta: C, mean: C, invStd: C, runMean: C, runVar: C, dz: N * C, dx: N * C, dgamma: C, dbeta: C });
      for (const [k, v] of Object.entries({ x, gamma, beta, runMean, runVar, dz, dgamma: dg0, dbeta: db0 })) A.set(k, v);
      const aSlot = opts.alias ? A.slot.z : A.slot.a;
      be.batchNormForward(aSlot, A.slot.z, A.slot.x, A.slot.gamma, A.slot.beta, A.slot.mean, A.slot.invStd, A.slot.runMean, A.slot.runVar, N, C, training ? 1 : 0, momentum, EPS, act);
      if (training) {
        expectClose(A.get("mean"), ref.mean, `${what} mean`);
        expectClose(A.get("invStd"), ref.invStd, `${what} invStd`);
        expectClose(A.get("runMean"), ref.runMean, `${what} runMean`);
        expectClose(A.get("runVar"), ref.runVar, `${what} runVar`);
      }
      if (opts.statsOnly) continue;
      if (!opts.alias) expectClose(A.get("z"), ref.z, `${what} z`);
      expectClose(A.get(opts.alias ? "z" : "a"), refA, `${what} a`);
      if (training) {
        // the training-mode backward (reads the forward's mean and invStd)
        be.batchNormBackward(A.slot.dx, A.slot.dgamma, A.slot.dbeta, A.slot.dz, A.slot.x, A.slot.gamma, A.slot.mean, A.slot.invStd, N, C);
        expectClose(A.get("dx"), g.dx, `${what} dx`);
        expectClose(A.get("dgamma"), g.dgamma.map((v, c) => v + dg0[c]), `${what} dgamma`);
        expectClose(A.get("dbeta"), g.dbeta.map((v, c) => v + db0[c]), `${what} dbeta`);
        // dx NONE: the parameter gradients still accumulate (a second time), dx is not touched
        A.set("dx", new Float64Array(N * C).fill(7));
        be.batchNormBackward(NONE, A.slot.dgamma, A.slot.dbeta, A.slot.dz, A.slot.x, A.slot.gamma, A.slot.mean, A.slot.invStd, N, C);
        expect(A.get("dx").every((v) => v === 7), `${what} dx untouched`).toBe(true);
        expectClose(A.get("dgamma"), g.dgamma.map((v, c) => 2 * v + dg0[c]), `${what} dgamma twice`);
        expectClose(A.get("dbeta"), g.dbeta.map((v, c) => 2 * v + db0[c]), `${what} dbeta twice`);
      } else {
        // evaluation writes neither the batch statistics nor the running ones
        expect(A.get("mean").every(Number.isNaN), `${what} mean untouched`).toBe(true);
        expect(A.get("invStd").every(Number.isNaN), `${what} invStd untouched`).toBe(true);
        expectEqualInts(A.get("runMean"), runMean, `${what} runMean untouched`);
        expectEqualInts(A.get("runVar"), runVar, `${what} runVar untouched`);
      }
    }
  }
}

describe("batch norm", () => {
  // after a conv: N = B·H·W rows
  const conv: [number, number, number][] = [
    [1, 5, 7],
    [3, 5, 7],
    [8, 13, 13],
    [1, 27, 27],
    [3, 13, 13],
  ];
  for (const [B, H, W] of conv)
    for (const C of CHANNELS)
      it(`after a conv: ${B}x${H}x${W} rows x ${C}`, () => checkBatchNorm(B * H * W, C, B * H * W + C));
  // after a dense: N = B rows
  for (const B of [1, 2, 3, 8, 64])
    for (const C of [1, 3, 5, 10, 17, 32, 128]) it(`after a dense: ${B} x ${C}`, () => checkBatchNorm(B, C, B * 131 + C));

  it("wide layers: channels in groups (the kernels' scratch holds ~1,800-3,200 channels)", () => {
    checkBatchNorm(5, 4001, 1);
    checkBatchNorm(3, 1822, 2);
  });

  it("every activation, fused or after; a == z", () => {
    for (const act of [0, 1, 2, 3, 4, 5])
      for (const C of [3, 8, 13]) {
        checkBatchNorm(37, C, act * 7 + C, { act });
        checkBatchNorm(37, C, act * 7 + C, { act, alias: true });
      }
  });

  it("a large mean next to the spread (f64 two-pass statistics)", () => {
    checkBatchNorm(8 * 13 * 13, 5, 1, { offset: 1000, scale: 1 });
    checkBatchNorm(64 * 11 * 11, 12, 2, { offset: -300, scale: 2 });
    // spread 1e-4 of the mean: in f32, E[x²] − E[x]² would have no correct digit left. The
    // statistics must still be right; z and dx are not compared here, because the mean itself is
    // stored in f32 (the interface's choice, as PyTorch's) and its rounding, up to 3e-5, is 3e-4
    // of this spread.
    checkBatchNorm(8 * 13 * 13, 5, 3, { offset: 1000, scale: 0.1, statsOnly: true });
  });

  it("running statistics: a hand computation (N = 3) and N = 1", () => {
    for (const [name, be] of WASM) {
      const A = arena(be, { x: 3, z: 3, gamma: 1, beta: 1, mean: 1, invStd: 1, runMean: 1, runVar: 1 });
      A.set("x", [1, 2, 4]);
      A.set("gamma", [1]);
      A.set("beta", [0]);
      A.set("runMean", [0.5]);
      A.set("runVar", [2]);
      be.batchNormForward(A.slot.z, A.slot.z, A.slot.x, A.slot.gamma, A.slot.beta, A.slot.mean, A.slot.invStd, A.slot.runMean, A.slot.runVar, 3, 1, 1, 0.1, 1e-5, 0);
      // mean 7/3, biased var (16 + 1 + 25)/27 = 14/9, unbiased 14/9·3/2 = 7/3
      expectClose(A.get("mean"), [7 / 3], `${name} mean`, 1e-6);
      expectClose(A.get("invStd"), [1 / Math.sqrt(14 / 9 + 1e-5)], `${name} invStd`, 1e-6);
      expectClose(A.get("runMean"), [0.9 * 0.5 + 0.1 * (7 / 3)], `${name} runMean`, 1e-6);
      expectClose(A.get("runVar"), [0.9 * 2 + 0.1 * (7 / 3)], `${name} runVar`, 1e-6);
      expectClose(A.get("z"), [1, 2, 4].map((v) => (v - 7 / 3) / Math.sqrt(14 / 9 + 1e-5)), `${name} z`, 1e-6);

      // N = 1: variance 0 (biased), the running variance takes 0 rather than 0/0; z = beta
      const B1 = arena(be, { x: 3, z: 3, gamma: 3, beta: 3, mean: 3, invStd: 3, runMean: 3, runVar: 3, dz: 3, dx: 3, dg: 3, db: 3 });
      B1.set("x", [5, -2, 0.25]);
      B1.set("gamma", [2, 3, 4]);
      B1.set("beta", [0.5, -1, 0]);
      B1.set("runMean", [0, 0, 0]);
      B1.set("runVar", [1, 1, 1]);
      be.batchNormForward(B1.slot.z, B1.slot.z, B1.slot.x, B1.slot.gamma, B1.slot.beta, B1.slot.mean, B1.slot.invStd, B1.slot.runMean, B1.slot.runVar, 1, 3, 1, 0.25, 1e-5, 0);
      expectClose(B1.get("z"), [0.5, -1, 0], `${name} N=1 z`, 1e-6);
      expectClose(B1.get("runMean"), [1.25, -0.5, 0.0625], `${name} N=1 runMean`, 1e-6);
      expectClose(B1.get("runVar"), [0.75, 0.75, 0.75], `${name} N=1 runVar`, 1e-6);
      expectClose(B1.get("invStd"), [1, 1, 1].map(() => 1 / Math.sqrt(1e-5)), `${name} N=1 invStd`, 1e-5);
      B1.set("dz", [1, 2, 3]);
      B1.set("dg", [0, 0, 0]);
      B1.set("db", [0, 0, 0]);
      be.batchNormBackward(B1.slot.dx, B1.slot.dg, B1.slot.db, B1.slot.dz, B1.slot.x, B1.slot.gamma, B1.slot.mean, B1.slot.invStd, 1, 3);
      expectClose(B1.get("dx"), [0, 0, 0], `${name} N=1 dx`, 1e-6);
      expectClose(B1.get("db"), [1, 2, 3], `${name} N=1 dbeta`, 1e-6);
      expectClose(B1.get("dg"), [0, 0, 0], `${name} N=1 dgamma`, 1e-6);
    }
  });
});

// ---------------------------------------------------------------- finite differences (float64)

/** Central differences of L(v) = Σ w·f(v) at a few coordinates of v, against the analytic gradient. */
function fdCheck(what: string, v: Float64Array, f: (v: Float64Array) => Float64Array, w: ArrayLike<number>, grad: ArrayLike<number>, coords: number[]): void {
  const h = 1e-6;
  const L = () => f(v).reduce((s, z, i) => s + w[i] * z, 0);
  for (const i of coords) {
    const keep = v[i];
    v[i] = keep + h;
    const up = L();
    v[i] = keep - h;
    const down = L();
    v[i] = keep;
    const num = (up - down) / (2 * h);
    expect(Math.abs(num - grad[i]), `${what}[${i}]: numeric ${num}, analytic ${grad[i]}`).toBeLessThan(1e-6 * Math.max(Math.abs(num), 1));
  }
}

describe("finite-difference gradient checks of the references (f64)", () => {
  it("batch norm, training mode: dx, dgamma, dbeta", () => {
    for (const [N, C] of [[2 * 3 * 3, 5], [7, 3], [2, 4]]) {
      const rng = new Rng(N * C);
      const x = randomF32(rng, N * C, 1.3, 0.4);
      const gamma = randomF32(rng, C, 0.5, 1);
      const beta = randomF32(rng, C, 0.3);
      const zeros = new Float64Array(C), ones = new Float64Array(C).fill(1);
      const w = randomF32(rng, N * C);
      const fwd = () => refBatchNorm(x, gamma, beta, zeros, ones, N, C, true, 0.1, EPS);
      const st = fwd();
      const g = refBatchNormBackward(w, x, gamma, st.mean, st.invStd, N, C);
      const all = (n: number) => Array.from({ length: n }, (_, i) => i);
      fdCheck(`bn dx N=${N} C=${C}`, x, () => fwd().z, w, g.dx, all(N * C));
      fdCheck(`bn dgamma N=${N} C=${C}`, gamma, () => fwd().z, w, g.dgamma, all(C));
      fdCheck(`bn dbeta N=${N} C=${C}`, beta, () => fwd().z, w, g.dbeta, all(C));
    }
  });

  it("max and average pooling, overlapping windows included", () => {
    for (const [, PH, PW, SH, SW] of [...POOLS, ["global", 5, 7, 1, 1] as [string, number, number, number, number]]) {
      const p = pool(2, 5, 7, 3, PH, PW, SH, SW);
      const rng = new Rng(PH * 10 + SH);
      const nx = p.B * p.H * p.W * p.C;
      // distinct values at least 1e-3 apart, so a 1e-6 step never changes a window's maximum
      const perm = Array.from({ length: nx }, (_, i) => i);
      for (let i = nx - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [perm[i], perm[j]] = [perm[j], perm[i]];
      }
      const x = Float64Array.from(perm, (k) => (k - nx / 2) * 1e-3);
      const w = randomF32(rng, p.B * p.OH * p.OW * p.C);
      const all = Array.from({ length: nx }, (_, i) => i);
      fdCheck(`max ${PH}x${PW}/${SH}x${SW}`, x, () => refMaxPool(x, p).y, w, refMaxPoolBackward(w, refMaxPool(x, p).argmax, p), all);
      fdCheck(`avg ${PH}x${PW}/${SH}x${SW}`, x, () => refAvgPool(x, p), w, refAvgPoolBackward(w, p), all);
    }
  });
});

// ---------------------------------------------------------------- elementwise

describe("activation backward and uint8 cast", () => {
  it("dz *= act'(z) for every activation, odd lengths", () => {
    for (const n of [1, 3, 4, 7, 33, 1001])
      for (const act of [0, 1, 2, 3, 4, 5]) {
        const rng = new Rng(n * 10 + act);
        const z = randomF32(rng, n, 2);
        z[0] = 0; // the kink
        const dz = randomF32(rng, n);
        const want = dz.map((g, i) => g * actGrad(z[i], act));
        for (const [name, be] of WASM) {
          const A = arena(be, { z: n, dz: n });
          A.set("z", z);
          A.set("dz", dz);
          be.activationBackward(A.slot.dz, A.slot.z, n, act);
          expectClose(A.get("dz"), want, `${name} act ${act} n=${n}`);
        }
      }
  });

  it("dst = src·scale over uint8, every byte value, odd lengths", () => {
    for (const n of [1, 5, 15, 16, 17, 256, 1000, 28 * 28 * 3]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + (i >> 8)) & 255);
      for (const scale of [1 / 255, 1, -0.5]) {
        const want = Array.from(bytes, (b) => Math.fround(b * Math.fround(scale)));
        for (const [name, be] of WASM) {
          const A = arena(be, { src: Math.ceil(n / 4), dst: n });
          be.bytes(A.slot.src, n).set(bytes);
          be.castU8(A.slot.dst, A.slot.src, n, scale);
          expectClose(A.get("dst"), want, `${name} cast n=${n} scale ${scale}`, 1e-7);
        }
      }
    }
  });
});

// ---------------------------------------------------------------- the TypeScript backend

describe("wasm agrees with JsBackend(\"f64\")", () => {
  const js = new JsBackend("f64");
  /** Runs `call` on each backend over the same inputs; compares every region to the f64 backend's. */
  function agree(what: string, sizes: Record<string, number>, inputs: Record<string, ArrayLike<number>>, call: (be: Backend, s: Record<string, number>) => void, ints: string[] = []): void {
    const results = [js, fast, naive].map((be) => {
      const A = arena(be, sizes);
      for (const [k, v] of Object.entries(inputs)) A.set(k, v);
      call(be, A.slot);
      return Object.fromEntries(Object.keys(sizes).map((k) => [k, ints.includes(k) ? A.ints(k) : A.get(k)]));
    });
    for (const r of results.slice(1))
      for (const k of Object.keys(sizes)) {
        if (ints.includes(k)) expectEqualInts(r[k], results[0][k], `${what} ${k}`);
        else if (!(k in inputs) || ["dgamma", "dbeta", "runMean", "runVar", "rm2", "rv2"].includes(k)) expectClose(r[k], results[0][k], `${what} ${k}`);
      }
  }

  it("pooling", () => {
    for (const [H, W] of [[5, 7], [27, 27]])
      for (const C of [1, 5, 32])
        for (const [name, PH, PW, SH, SW] of [...POOLS, ["global", H, W, 1, 1] as [string, number, number, number, number]]) {
          const p = pool(3, H, W, C, PH, PW, SH, SW);
          const nx = p.B * H * W * C, ny = p.B * p.OH * p.OW * C;
          const rng = new Rng(nx + PH);
          const inputs = { x: randomF32(rng, nx), dy: randomF32(rng, ny) };
          agree(`max ${name} ${H}x${W}x${C}`, { x: nx, dy: ny, y: ny, argmax: ny, dx: nx }, inputs, (be, s) => {
            be.maxPoolForward(s.y, s.argmax, s.x, p.B, H, W, C, PH, PW, SH, SW, p.OH, p.OW);
            be.maxPoolBackward(s.dx, s.dy, s.argmax, p.B, H, W, C, p.OH, p.OW);
          }, ["argmax"]);
          agree(`avg ${name} ${H}x${W}x${C}`, { x: nx, dy: ny, y: ny, dx: nx }, inputs, (be, s) => {
            be.avgPoolForward(s.y, s.x, p.B, H, W, C, PH, PW, SH, SW, p.OH, p.OW);
            be.avgPoolBackward(s.dx, s.dy, p.B, H, W, C, PH, PW, SH, SW, p.OH, p.OW);
          });
        }
  });

  it("batch norm, both modes, then the backward (every output region compared)", () => {
    for (const [N, C] of [[1, 3], [8, 10], [3 * 13 * 13, 17], [8 * 5 * 7, 32], [64, 128]])
      for (const training of [1, 0])
        for (const act of [0, 1, 4]) {
          const rng = new Rng(N * C + training);
          const inputs = {
            x: randomF32(rng, N * C, 2, 0.5), dz: randomF32(rng, N * C),
            gamma: randomF32(rng, C, 0.3, 1), beta: randomF32(rng, C, 0.2),
            runMean: randomF32(rng, C, 0.1), runVar: Float64Array.from({ length: C }, () => Math.fround(0.5 + rng.next())),
            dgamma: randomF32(rng, C), dbeta: randomF32(rng, C),
          };
          const sizes: Record<string, number> = { x: N * C, dz: N * C, gamma: C, beta: C, runMean: C, runVar: C, dgamma: C, dbeta: C, z: N * C, a: N * C, mean: C, invStd: C, dx: N * C };
          if (!training) {
            Object.assign(inputs, { rm2: inputs.runMean, rv2: inputs.runVar });
            Object.assign(sizes, { rm2: C, rv2: C, z2: N * C, a2: N * C });
          }
          agree(`bn N=${N} C=${C} training ${training} act ${act}`, sizes, inputs, (be, s) => {
            be.batchNormForward(s.a, s.z, s.x, s.gamma, s.beta, s.mean, s.invStd, s.runMean, s.runVar, N, C, training, 0.1, EPS, act);
            // the backward needs the batch statistics: in evaluation they were not written, so
            // take them from a training forward into regions of their own
            if (!training) be.batchNormForward(s.a2, s.z2, s.x, s.gamma, s.beta, s.mean, s.invStd, s.rm2, s.rv2, N, C, 1, 0.1, EPS, act);
            be.batchNormBackward(s.dx, s.dgamma, s.dbeta, s.dz, s.x, s.gamma, s.mean, s.invStd, N, C);
          });
        }
  });

  it("activation backward and uint8 cast", () => {
    for (const act of [0, 1, 2, 3, 4, 5]) {
      const rng = new Rng(act);
      agree(`act ${act}`, { z: 37, dz: 37 }, { z: randomF32(rng, 37, 2), dz: randomF32(rng, 37) }, (be, s) => be.activationBackward(s.dz, s.z, 37, act));
    }
    const bytes = Uint8Array.from({ length: 103 }, (_, i) => (i * 89) & 255);
    const out = [js, fast, naive].map((be) => {
      const A = arena(be, { src: 26, dst: 103 });
      be.bytes(A.slot.src, 103).set(bytes);
      be.castU8(A.slot.dst, A.slot.src, 103, 1 / 255);
      return A.get("dst");
    });
    expectClose(out[1], out[0], "cast fast");
    expectClose(out[2], out[0], "cast naive");
  });
});

describe("fast and naive wasm kernels are bit-identical", () => {
  // Both add the same values in the same order (window cells row-major; per-channel f64 sums over
  // rows in row order) and round the same way, so the SIMD kernels change no bit: the property a
  // threaded version must keep whatever part of the work each thread is given.
  it("pooling, batch norm (both modes, every activation, channel groups), activation backward, cast", () => {
    const cases: [number, number, number, number][] = [
      [3, 13, 13, 17],
      [2, 27, 27, 32],
      [1, 5, 7, 1],
      [4, 11, 11, 5],
      [2, 1, 3, 4001],
    ];
    for (const [B, H, W, C] of cases) {
      const N = B * H * W;
      const sizes = { x: N * C, z: N * C, a: N * C, dz: N * C, dx: N * C, y: N * C, am: N * C, gamma: C, beta: C, mean: C, invStd: C, rm: C, rv: C, dg: C, db: C, u8: Math.ceil(N / 4), f: N };
      const rng = new Rng(N + C);
      const inputs = { x: randomF32(rng, N * C, 2, 0.5), dz: randomF32(rng, N * C), gamma: randomF32(rng, C, 0.3, 1), beta: randomF32(rng, C), rm: randomF32(rng, C), rv: randomF32(rng, C, 0.1, 1), dg: randomF32(rng, C), db: randomF32(rng, C) };
      const pixels = Uint8Array.from({ length: N }, () => rng.int(256));
      const bits = WASM.map(([, be]) => {
        const A = arena(be, sizes);
        for (const [k, v] of Object.entries(inputs)) A.set(k, v);
        be.bytes(A.slot.u8, N).set(pixels);
        const s = A.slot;
        const out: Float32Array[] = [];
        const snap = () => out.push(Float32Array.from(be.floats().subarray(s.x, s.f + N)));
        for (const [PH, PW, SH, SW] of [[2, 2, 2, 2], [3, 3, 2, 2], [H, W, 1, 1]]) {
          if (PH > H || PW > W) continue;
          const OH = Math.floor((H - PH) / SH) + 1, OW = Math.floor((W - PW) / SW) + 1;
          be.maxPoolForward(s.y, s.am, s.x, B, H, W, C, PH, PW, SH, SW, OH, OW);
          be.maxPoolBackward(s.dx, s.dz, s.am, B, H, W, C, OH, OW);
          snap();
          be.avgPoolForward(s.y, s.x, B, H, W, C, PH, PW, SH, SW, OH, OW);
          be.avgPoolBackward(s.dx, s.dz, B, H, W, C, PH, PW, SH, SW, OH, OW);
          snap();
        }
        for (const act of [0, 1, 3]) {
          be.batchNormForward(s.a, s.z, s.x, s.gamma, s.beta, s.mean, s.invStd, s.rm, s.rv, N, C, 1, 0.1, EPS, act);
          be.batchNormBackward(s.dx, s.dg, s.db, s.dz, s.x, s.gamma, s.mean, s.invStd, N, C);
          snap();
          be.batchNormForward(s.a, s.a, s.x, s.gamma, s.beta, s.mean, s.invStd, s.rm, s.rv, N, C, 0, 0.1, EPS, act);
          snap();
        }
        be.activationBackward(s.dz, s.z, N * C, 5);
        be.castU8(s.f, s.u8, N, 1 / 255);
        snap();
        return out;
      });
      expect(bits[0].length).toBe(bits[1].length);
      for (let k = 0; k < bits[0].length; k++) {
        const p = new Uint32Array(bits[0][k].buffer), q = new Uint32Array(bits[1][k].buffer);
        const i = p.findIndex((v, j) => v !== q[j]);
        expect(i, `${B}x${H}x${W}x${C} snapshot ${k}: first differing slot`).toBe(-1);
      }
    }
  });
});
