// Parity of the fast wasm convolution kernels (assembly/conv.ts) against their naive wasm twins
// (assembly/naive.ts), the TypeScript backend in f64 (src/backend/js.ts) and a direct f64
// reference written here (seven nested loops, no im2col),
// on odd shapes that exercise every tile and channel tail: H×W 5×7, 13×13, 28×28; C 1, 3, 4, 5, 8,
// 17; F 1, 5, 8, 17, 64; K 1, 3, 4, 5, 7; stride 1, 2 (and 3); padding valid and TF 'same';
// batch 1 and 3; every activation code in the fused epilogue and in actPrev'.
// Also checked: whole networks' gradients through the wasm kernels against finite differences;
// backward-filter accumulates (twice → the gradient doubles), backward-data
// overwrites dx (pre-filled with NaN), scratch contents are never trusted (pre-filled with NaN),
// nothing is written past the scratch convScratchSlots reserves, and inputs stay untouched.
import { describe, expect, it } from "vitest";
import { JsBackend, WasmBackend, NONE, type Backend } from "../src/backend/index.js";
import { convScratchSlots } from "../src/model/arena.js";
import { Rng } from "../src/rng.js";
import { actForward, actGrad } from "../src/backend/activations.js";
import { gradCheck } from "../src/train/gradcheck.js";
import type { LayerConfig } from "../src/layers/layer.js";
import type { Activation, ModelSpec } from "../src/model/spec.js";

const ACTS = [0, 1, 2, 3, 4, 5];

interface Case { B: number; H: number; W: number; C: number; F: number; K: number; S: number; padT: number; padL: number; OH: number; OW: number; name: string }

function makeCase(B: number, H: number, W: number, C: number, F: number, K: number, S: number, same: boolean): Case | null {
  let OH: number, OW: number, padT = 0, padL = 0;
  if (same) {
    OH = Math.ceil(H / S);
    OW = Math.ceil(W / S);
    padT = Math.floor(Math.max((OH - 1) * S + K - H, 0) / 2);
    padL = Math.floor(Math.max((OW - 1) * S + K - W, 0) / 2);
  } else {
    if (K > H || K > W) return null;
    OH = Math.floor((H - K) / S) + 1;
    OW = Math.floor((W - K) / S) + 1;
  }
  return { B, H, W, C, F, K, S, padT, padL, OH, OW, name: `B=${B} ${H}x${W}x${C} K=${K} S=${S} F=${F} ${same ? "same" : "valid"} (pad ${padT},${padL} → ${OH}x${OW})` };
}

// A systematic sweep over sizes × K × S × padding, rotating channels, filters and batch so each
// value meets many others, plus the shapes of the Keras and TF.js tutorial networks.
function cases(): Case[] {
  const out: Case[] = [];
  const HW = [[5, 7], [13, 13], [28, 28]];
  const CS = [1, 3, 5, 17, 4, 8];
  const FS = [1, 5, 8, 17, 64];
  let n = 0;
  for (const [H, W] of HW)
    for (const K of [1, 3, 4, 5, 7])
      for (const S of [1, 2])
        for (const same of [false, true]) {
          n++;
          let C = CS[n % CS.length];
          let F = FS[(n * 2 + Math.floor(n / 5)) % FS.length];
          if (H === 28 && C * F > 140) { C = Math.min(C, 3); F = Math.min(F, 17); } // keeps the scalar references quick
          const c = makeCase(n % 2 ? 3 : 1, H, W, C, F, K, S, same);
          if (c) out.push(c);
        }
  const named: (Case | null)[] = [
    makeCase(3, 13, 13, 32, 64, 3, 1, false), // Keras net, second conv
    makeCase(3, 28, 28, 1, 32, 3, 1, false), // Keras net, first conv (uint8 input)
    makeCase(3, 28, 28, 1, 8, 5, 1, false), // TF.js tutorial, first conv
    makeCase(3, 12, 12, 8, 16, 5, 1, false), // TF.js tutorial, second conv
    makeCase(2, 13, 13, 12, 9, 3, 2, true), // C % 4 == 0 with 'same' stride-2 padding
    makeCase(1, 11, 10, 5, 6, 3, 3, true), // stride 3
    makeCase(1, 9, 9, 3, 4, 7, 3, false), // stride 3, valid
    makeCase(2, 6, 6, 4, 12, 2, 1, true), // even K, 'same' (pad 0 top, 1 bottom)
  ];
  for (const c of named) if (c) out.push(c);
  return out;
}

// One layer's regions, in slots, each 16-slot aligned (as in the arena), then a guard block
// right after the scratch.
function layout(c: Case) {
  const { B, H, W, C, F, K, OH, OW } = c;
  let at = 0;
  const take = (n: number) => { const o = at; at = Math.ceil((at + n) / 16) * 16; return o; };
  const nx = B * H * W * C, nz = B * OH * OW * F, nw = K * K * C * F;
  const r = {
    w: take(nw), b: take(F), dw: take(nw), db: take(F),
    x: take(nx), xu8: take(Math.ceil(nx / 4)), zPrev: take(nx), dx: take(nx),
    z: take(nz), a: take(nz), dz: take(nz),
    scratchSlots: convScratchSlots(B, H, W, C, F, K, c.S, OH, OW), scratch: 0, guard: 0, total: 0,
  };
  r.scratch = at;
  at += r.scratchSlots; // the guard starts right at the scratch's end: no alignment slack
  r.guard = at;
  r.total = at + 64 + 16;
  return r;
}

type Inputs = { x: Float32Array; xu8: Uint8Array; w: Float32Array; b: Float32Array; dw0: Float32Array; db0: Float32Array; zPrev: Float32Array; dz: Float32Array };

function inputs(c: Case, seed: number): Inputs {
  const { B, H, W, C, F, K, OH, OW } = c;
  const rng = new Rng(seed);
  const f = (n: number, s: number) => Float32Array.from({ length: n }, () => s * rng.normal());
  const nx = B * H * W * C;
  const xu8 = new Uint8Array(nx);
  for (let i = 0; i < nx; i++) xu8[i] = rng.next() < 0.7 ? 0 : rng.next() < 0.5 ? 255 : rng.int(256);
  const x = f(nx, 1);
  if (seed % 2) {
    // digit-like: zero margins of random widths (and a blank second image), in both x and xu8,
    // so the kernels' all-zero-block shortcuts run next to blocks that must not take them
    const mT = rng.int(Math.ceil(H / 2)), mB = rng.int(Math.ceil(H / 3)), mL = rng.int(Math.ceil(W / 2)), mR = rng.int(Math.ceil(W / 3));
    for (let n = 0; n < B; n++)
      for (let y = 0; y < H; y++)
        for (let xx = 0; xx < W; xx++)
          if (n === 1 || y < mT || y >= H - mB || xx < mL || xx >= W - mR)
            for (let ch = 0; ch < C; ch++) { const i = ((n * H + y) * W + xx) * C + ch; x[i] = 0; xu8[i] = 0; }
  }
  return {
    x, xu8, w: f(K * K * C * F, 1 / Math.sqrt(K * K * C)), b: f(F, 0.1),
    dw0: f(K * K * C * F, 0.01), db0: f(F, 0.01), zPrev: f(nx, 1), dz: f(B * OH * OW * F, 0.1),
  };
}

// ---- the f64 reference: direct loops over the definition ----
interface Ref { z: Float64Array; zU8: Float64Array; gw: Float64Array; gwU8: Float64Array; gb: Float64Array; dxRaw: Float64Array }

function reference(c: Case, inp: Inputs): Ref {
  const { B, H, W, C, F, K, S, padT, padL, OH, OW } = c;
  const xs = Float64Array.from(inp.x), xu = Float64Array.from(inp.xu8, (v) => v / 255);
  const z = new Float64Array(B * OH * OW * F), zU8 = new Float64Array(z.length);
  const gw = new Float64Array(K * K * C * F), gwU8 = new Float64Array(gw.length), gb = new Float64Array(F);
  const dxRaw = new Float64Array(B * H * W * C);
  for (let n = 0; n < B; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const o = ((n * OH + oy) * OW + ox) * F;
        for (let f = 0; f < F; f++) { z[o + f] = inp.b[f]; zU8[o + f] = inp.b[f]; gb[f] += inp.dz[o + f]; }
        for (let ky = 0; ky < K; ky++) {
          const iy = oy * S - padT + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < K; kx++) {
            const ix = ox * S - padL + kx;
            if (ix < 0 || ix >= W) continue;
            for (let ch = 0; ch < C; ch++) {
              const xi = ((n * H + iy) * W + ix) * C + ch;
              const wi = ((ky * K + kx) * C + ch) * F;
              for (let f = 0; f < F; f++) {
                const wv = inp.w[wi + f], g = inp.dz[o + f];
                z[o + f] += xs[xi] * wv;
                zU8[o + f] += xu[xi] * wv;
                gw[wi + f] += xs[xi] * g;
                gwU8[wi + f] += xu[xi] * g;
                dxRaw[xi] += g * wv;
              }
            }
          }
        }
      }
  return { z, zU8, gw, gwU8, gb, dxRaw };
}

// |got − want| ≤ 1e-4 · max(|want|, 1), element-wise.
function close(got: ArrayLike<number>, want: ArrayLike<number>): string | null {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= 1e-4 * Math.max(Math.abs(want[i]), 1))) return `at ${i}: ${got[i]} vs ${want[i]}`;
  }
  return null;
}

const GUARD = 12345.5;

// Runs every kernel on one backend; returns every output region.
function run(be: Backend, c: Case, inp: Inputs): Record<string, Float32Array> {
  const { B, H, W, C, F, K, S, padT, padL, OH, OW } = c;
  const L = layout(c);
  be.allocate(L.total);
  const f = be.floats();
  f.fill(NaN, 0, L.total);
  f.set(inp.x, L.x); f.set(inp.w, L.w); f.set(inp.b, L.b); f.set(inp.zPrev, L.zPrev); f.set(inp.dz, L.dz);
  be.bytes(L.xu8, inp.xu8.length).set(inp.xu8);
  f.fill(GUARD, L.guard, L.guard + 64);
  const nx = B * H * W * C, nz = B * OH * OW * F, nw = K * K * C * F;
  const out: Record<string, Float32Array> = {};
  const grab = (name: string, at: number, n: number) => (out[name] = Float32Array.from(be.floats().subarray(at, at + n)));
  const dirty = () => be.floats().fill(NaN, L.scratch, L.scratch + L.scratchSlots);

  for (const act of ACTS) {
    be.floats().fill(NaN, L.z, L.z + nz); be.floats().fill(NaN, L.a, L.a + nz); dirty();
    be.convForward(L.a, L.z, L.x, L.w, L.b, B, H, W, C, F, K, S, padT, padL, OH, OW, act, L.scratch);
    grab(`fwd.z.${act}`, L.z, nz); grab(`fwd.a.${act}`, L.a, nz);
    dirty();
    be.convForwardU8(L.a, L.z, L.xu8, L.w, L.b, B, H, W, C, F, K, S, padT, padL, OH, OW, act, L.scratch);
    grab(`fwdU8.z.${act}`, L.z, nz); grab(`fwdU8.a.${act}`, L.a, nz);
  }
  // in place: a = z
  dirty();
  be.convForward(L.z, L.z, L.x, L.w, L.b, B, H, W, C, F, K, S, padT, padL, OH, OW, 1, L.scratch);
  grab("fwdInPlace.1", L.z, nz);

  for (const [name, fn] of [["bwdF", be.convBackwardFilter.bind(be)], ["bwdFU8", be.convBackwardFilterU8.bind(be)]] as const) {
    be.floats().set(inp.dw0, L.dw); be.floats().set(inp.db0, L.db);
    dirty();
    fn(L.dw, L.db, L.dz, name === "bwdF" ? L.x : L.xu8, B, H, W, C, F, K, S, padT, padL, OH, OW, L.scratch);
    grab(`${name}.dw.1`, L.dw, nw); grab(`${name}.db.1`, L.db, F);
    dirty();
    fn(L.dw, L.db, L.dz, name === "bwdF" ? L.x : L.xu8, B, H, W, C, F, K, S, padT, padL, OH, OW, L.scratch);
    grab(`${name}.dw.2`, L.dw, nw); grab(`${name}.db.2`, L.db, F);
  }

  for (const act of ACTS) {
    be.floats().fill(NaN, L.dx, L.dx + nx); dirty();
    be.convBackwardData(L.dx, L.dz, L.w, act === 0 ? NONE : L.zPrev, B, H, W, C, F, K, S, padT, padL, OH, OW, act, L.scratch);
    grab(`bwdD.dx.${act}`, L.dx, nx);
  }

  // inputs untouched, nothing written past the scratch
  const g = be.floats();
  const same = (at: number, want: ArrayLike<number>) => { for (let i = 0; i < want.length; i++) if (!Object.is(g[at + i], want[i])) return false; return true; };
  out["ok.inputs"] = Float32Array.of(+(same(L.x, inp.x) && same(L.w, inp.w) && same(L.b, inp.b) && same(L.zPrev, inp.zPrev) && same(L.dz, inp.dz)));
  out["ok.u8"] = Float32Array.of(+be.bytes(L.xu8, inp.xu8.length).every((v, i) => v === inp.xu8[i]));
  let guardOk = 1;
  for (let i = 0; i < 64; i++) if (g[L.guard + i] !== GUARD) guardOk = 0;
  out["ok.guard"] = Float32Array.of(guardOk);
  return out;
}

// What every output should be, from the f64 reference.
function expected(c: Case, inp: Inputs, ref: Ref): Record<string, Float64Array> {
  const e: Record<string, Float64Array> = {};
  for (const act of ACTS) {
    e[`fwd.z.${act}`] = ref.z;
    e[`fwd.a.${act}`] = ref.z.map((v) => actForward(v, act));
    e[`fwdU8.z.${act}`] = ref.zU8;
    e[`fwdU8.a.${act}`] = ref.zU8.map((v) => actForward(v, act));
    e[`bwdD.dx.${act}`] = ref.dxRaw.map((v, i) => (act === 0 ? v : v * actGrad(inp.zPrev[i], act)));
  }
  e["fwdInPlace.1"] = ref.z.map((v) => actForward(v, 1));
  for (const [name, gw] of [["bwdF", ref.gw], ["bwdFU8", ref.gwU8]] as const)
    for (const times of [1, 2]) {
      e[`${name}.dw.${times}`] = gw.map((v, i) => inp.dw0[i] + times * v);
      e[`${name}.db.${times}`] = ref.gb.map((v, i) => inp.db0[i] + times * v);
    }
  return e;
}

describe("conv kernels: fast wasm vs naive wasm vs JsBackend f64 vs an f64 reference", () => {
  const fast = new WasmBackend();
  const naive = new WasmBackend({ kernels: "naive" });
  const js = new JsBackend("f64");
  const all = cases();

  it("covers what it claims", () => {
    const seen = (k: keyof Case) => new Set(all.map((c) => c[k]));
    for (const C of [1, 3, 5, 17]) expect(seen("C").has(C), `C=${C}`).toBe(true);
    for (const F of [1, 5, 8, 17, 64]) expect(seen("F").has(F), `F=${F}`).toBe(true);
    for (const K of [1, 3, 4, 5, 7]) expect(seen("K").has(K), `K=${K}`).toBe(true);
    for (const B of [1, 3]) expect(seen("B").has(B), `B=${B}`).toBe(true);
    expect(all.some((c) => c.B * c.OH * c.OW > 2 * 128), "several filter-gradient row chunks").toBe(true);
  });

  for (const [i, c] of all.entries())
    it(c.name, () => {
      const inp = inputs(c, 1000 + i);
      const want = expected(c, inp, reference(c, inp));
      const got = { fast: run(fast, c, inp), naive: run(naive, c, inp), js: run(js, c, inp) };
      for (const [who, out] of Object.entries(got)) {
        expect(out["ok.inputs"][0], `${who}: inputs changed`).toBe(1);
        expect(out["ok.u8"][0], `${who}: uint8 input changed`).toBe(1);
        expect(out["ok.guard"][0], `${who}: wrote past the scratch`).toBe(1);
        for (const key of Object.keys(want)) expect(close(out[key], want[key]), `${who} ${key}`).toBeNull();
      }
      // the fast kernels against the naive twins and the TypeScript backend as well
      for (const key of Object.keys(want)) {
        expect(close(got.fast[key], got.naive[key]), `fast vs naive ${key}`).toBeNull();
        expect(close(got.fast[key], got.js[key]), `fast vs js-f64 ${key}`).toBeNull();
      }
    });

  it("a smaller batch than the scratch was sized for fits in it", () => {
    const big = makeCase(3, 13, 13, 5, 7, 3, 1, true)!;
    const small = { ...big, B: 1 };
    const inp = inputs(small, 99);
    const want = expected(small, inp, reference(small, inp));
    expect(convScratchSlots(1, 13, 13, 5, 7, 3, 1, 13, 13)).toBeLessThanOrEqual(convScratchSlots(3, 13, 13, 5, 7, 3, 1, 13, 13));
    const out = run(fast, small, inp);
    for (const key of Object.keys(want)) expect(close(out[key], want[key]), key).toBeNull();
  });

  it("is deterministic: the same inputs give bit-identical outputs", () => {
    const c = makeCase(3, 13, 13, 17, 17, 3, 2, true)!;
    const inp = inputs(c, 7);
    const a = run(fast, c, inp);
    const b = run(new WasmBackend(), c, inp);
    for (const key of Object.keys(a)) expect(Buffer.from(a[key].buffer).equals(Buffer.from(b[key].buffer)), key).toBe(true);
  });
});

// The kernels inside whole networks (src/layers/conv2d.ts calling them through the arena's
// scratch): the fast wasm backend's float32 gradients against float64 finite differences.
describe("conv kernels inside networks: wasm gradients vs finite differences", () => {
  const cnn = (input: [number, number, number], layers: LayerConfig[], activation: Activation = "tanh"): ModelSpec =>
    ({ inputSize: input[0] * input[1] * input[2], inputShape: input, hidden: [], layers, outputSize: 5, activation });
  const specs: [string, ModelSpec][] = [
    ["conv 3×3 valid, C=1 (uint8 first layer)", cnn([7, 5, 1], [{ type: "conv2d", filters: 3, kernelSize: 3 }])],
    ["conv 4×4 same stride 2, C=3", cnn([9, 7, 3], [{ type: "conv2d", filters: 5, kernelSize: 4, strides: 2, padding: "same" }])],
    ["conv 3×3 stride 2, then conv 3×3 (data gradient with stride)", cnn([11, 9, 2], [{ type: "conv2d", filters: 4, kernelSize: 3, strides: 2 }, { type: "conv2d", filters: 3, kernelSize: 3 }])],
    ["relu conv same, gelu conv, dense", cnn([10, 9, 1], [{ type: "conv2d", filters: 8, kernelSize: 3, padding: "same", activation: "relu" }, { type: "conv2d", filters: 6, kernelSize: 3, activation: "gelu" }, { type: "dense", units: 7 }], "relu")],
  ];
  for (const [title, spec] of specs)
    it(title, () => {
      const r = gradCheck({ spec, batch: 3, seed: 5, maxParams: 400, backend: new WasmBackend() });
      expect(r.checked).toBeGreaterThan(20);
      expect(r.maxRelError).toBeLessThan(1e-4);
    });
});
