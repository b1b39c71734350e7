// Parity of the fast wasm kernels against the TypeScript backend (f32) and the wasm naive twins,
// on odd shapes that exercise every tile tail, for every activation code. Inputs of the uint8
// layer are digit-like (mostly exact zeros) so the zero-skipping paths are covered, and dw/db
// start non-zero because the backward kernels accumulate.
import { describe, expect, it } from "vitest";
import { JsBackend, WasmBackend, NONE, type Backend } from "../src/backend/index.js";
import { layerScratchSlots } from "../src/model/arena.js";
import { Rng } from "../src/rng.js";
import { actForward } from "../src/backend/activations.js";

const BATCHES = [1, 3, 5, 17];
const INS = [1, 3, 37, 784];
const OUTS = [1, 2, 5, 10, 13, 31, 128];
const ACTS = [0, 1, 2, 3, 4, 5];

interface Case { B: number; IN: number; OUT: number }

// One layer's regions, in slots, each 16-slot aligned, with tail padding (as in the arena).
function layout({ B, IN, OUT }: Case) {
  let at = 0;
  const take = (n: number) => { const o = at; at = Math.ceil((at + n) / 16) * 16; return o; };
  const r = {
    w: take(IN * OUT), b: take(OUT), dw: take(IN * OUT), db: take(OUT),
    x: take(B * IN), xu8: take(Math.ceil((B * IN) / 4)), zPrev: take(B * IN), dzPrev: take(B * IN),
    z: take(B * OUT), a: take(B * OUT), dz: take(B * OUT),
    scratch: take(layerScratchSlots(IN, OUT)), total: 0,
  };
  r.total = at + 16;
  return r;
}

type Inputs = { w: Float32Array; b: Float32Array; dw: Float32Array; db: Float32Array; zPrev: Float32Array; xu8: Uint8Array; dz: Float32Array };

function inputs({ B, IN, OUT }: Case, seed: number): Inputs {
  const rng = new Rng(seed);
  const f = (n: number, s: number) => Float32Array.from({ length: n }, () => s * rng.normal());
  const xu8 = new Uint8Array(B * IN);
  for (let i = 0; i < xu8.length; i++) xu8[i] = rng.next() < 0.7 ? 0 : rng.next() < 0.5 ? 255 : Math.floor(rng.next() * 256);
  return { w: f(IN * OUT, 1 / Math.sqrt(IN)), b: f(OUT, 0.1), dw: f(IN * OUT, 0.01), db: f(OUT, 0.01), zPrev: f(B * IN, 1), xu8, dz: f(B * OUT, 0.1) };
}

// Runs all four kernels on one backend; returns every output region.
function run(be: Backend, c: Case, act: number, inp: Inputs) {
  const { B, IN, OUT } = c;
  const L = layout(c);
  be.allocate(L.total);
  const f = be.floats();
  f.fill(0);
  f.set(inp.w, L.w); f.set(inp.b, L.b); f.set(inp.zPrev, L.zPrev); f.set(inp.dz, L.dz);
  be.bytes(L.xu8, B * IN).set(inp.xu8);
  // x = act(zPrev), computed by the JS formulas so every backend sees the same x
  const xs = new Float32Array(B * IN);
  actJsApply(xs, inp.zPrev, act);
  f.set(xs, L.x);
  const out: Record<string, Float32Array> = {};
  const grab = (name: string, at: number, n: number) => (out[name] = Float32Array.from(be.floats().subarray(at, at + n)));

  be.denseForward(L.a, L.z, L.x, L.w, L.b, B, IN, OUT, act, L.scratch);
  grab("fwd.z", L.z, B * OUT); grab("fwd.a", L.a, B * OUT);
  be.denseForwardU8(L.a, L.z, L.xu8, L.w, L.b, B, IN, OUT, act, L.scratch);
  grab("fwdU8.z", L.z, B * OUT); grab("fwdU8.a", L.a, B * OUT);

  be.floats().set(inp.dw, L.dw); be.floats().set(inp.db, L.db);
  be.denseBackward(L.dzPrev, L.dw, L.db, L.dz, L.x, L.zPrev, L.w, B, IN, OUT, act, L.scratch);
  grab("bwd.dw", L.dw, IN * OUT); grab("bwd.db", L.db, OUT); grab("bwd.dzPrev", L.dzPrev, B * IN);

  be.floats().set(inp.dw, L.dw); be.floats().set(inp.db, L.db);
  be.denseBackward(NONE, L.dw, L.db, L.dz, L.x, L.zPrev, L.w, B, IN, OUT, act, L.scratch);
  grab("bwdNoDx.dw", L.dw, IN * OUT);

  be.floats().set(inp.dw, L.dw); be.floats().set(inp.db, L.db);
  be.denseBackwardU8(L.dw, L.db, L.dz, L.xu8, B, IN, OUT, L.scratch);
  grab("bwdU8.dw", L.dw, IN * OUT); grab("bwdU8.db", L.db, OUT);
  return out;
}

function actJsApply(dst: Float32Array, z: Float32Array, act: number) {
  for (let i = 0; i < z.length; i++) dst[i] = Math.fround(actForward(z[i], act));
}


// |got − want| ≤ 1e-4 · (|want| + mean|want|): relative, with the array's scale as the floor so
// values that cancel to ~0 are judged against the magnitude of their neighbours.
function close(got: Float32Array, want: Float32Array): string | null {
  let mean = 0;
  for (const v of want) mean += Math.abs(v);
  mean = mean / Math.max(1, want.length) + 1e-30;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= 1e-4 * (Math.abs(want[i]) + mean))) return `at ${i}: ${got[i]} vs ${want[i]} (mean |ref| ${mean})`;
  }
  return null;
}

describe("fast wasm kernels match the TypeScript backend and the naive twins", () => {
  const fast = new WasmBackend();
  const naive = new WasmBackend({ kernels: "naive" });
  const js = new JsBackend("f32");
  for (const B of BATCHES)
    for (const IN of INS)
      it(`B=${B} IN=${IN}, OUT ∈ {${OUTS}}, act 0..5`, () => {
        for (const OUT of OUTS)
          for (const act of ACTS) {
            const c = { B, IN, OUT };
            const inp = inputs(c, B * 1000003 + IN * 1009 + OUT * 7 + act);
            const got = run(fast, c, act, inp);
            for (const [refName, ref] of [["js", run(js, c, act, inp)], ["naive", run(naive, c, act, inp)]] as const)
              for (const key of Object.keys(ref)) {
                const err = close(got[key], ref[key]);
                expect(err, `${key} vs ${refName}, B=${B} IN=${IN} OUT=${OUT} act=${act}`).toBeNull();
              }
          }
      });

  it("crosses the row chunks and column passes of the uint8 dW kernels (B=259, IN up to 1100)", () => {
    for (const [IN, OUT] of [[37, 10], [37, 31], [1100, 10], [1100, 7]]) {
      const c = { B: 259, IN, OUT };
      const inp = inputs(c, 7 + OUT);
      const got = run(fast, c, 1, inp);
      const ref = run(naive, c, 1, inp);
      for (const key of Object.keys(ref)) expect(close(got[key], ref[key]), `${key} IN=${IN} OUT=${OUT}`).toBeNull();
    }
  });

  it("is deterministic: the same inputs give bit-identical outputs", () => {
    const c = { B: 17, IN: 784, OUT: 13 };
    const inp = inputs(c, 42);
    const a = run(fast, c, 1, inp);
    const b = run(new WasmBackend(), c, 1, inp);
    for (const key of Object.keys(a)) expect(Buffer.from(a[key].buffer).equals(Buffer.from(b[key].buffer)), key).toBe(true);
  });
});

// Narrow f32 layers (5..12 outputs: the classes) read x in place in the forward (no packed panel)
// and run dW along IN; both keep the order of every sum (from the bias, or 0, in k or batch
// order), so in the plain build they equal the naive scalar twins bit for bit.
describe("narrow f32 layers", () => {
  const fast = new WasmBackend();
  const naive = new WasmBackend({ kernels: "naive" });
  for (const OUT of [5, 7, 8, 10, 12])
    it(`OUT=${OUT}: forward and dW bit-identical to the naive twins`, () => {
      for (const [B, IN] of [[1, 3], [3, 37], [17, 128], [6, 131], [64, 8]]) {
        const c = { B, IN, OUT };
        const inp = inputs(c, B * 7 + IN * 3 + OUT);
        const got = run(fast, c, 1, inp), ref = run(naive, c, 1, inp);
        for (const key of ["fwd.z", "fwd.a", "bwdNoDx.dw", "bwd.dw"]) {
          const i = got[key].findIndex((v, j) => !Object.is(v, ref[key][j]));
          expect(i, `${key} B=${B} IN=${IN}: first difference at ${i}`).toBe(-1);
        }
      }
    });
});

// A 4-row block of the uint8 layer with no zero pixel has nothing to skip and runs a 4-row tile
// without the gather (for OUT > 12, where sparse blocks use 2-row panels). The result must not
// depend on which path a row took: the same rows, computed once in a dense block and once in a
// block that one zero elsewhere makes sparse, are bit-identical, and both match the references.
describe("dense blocks of the uint8 layer", () => {
  const fast = new WasmBackend();
  const naive = new WasmBackend({ kernels: "naive" });
  for (const [B, IN, OUT] of [[4, 3, 13], [7, 37, 31], [9, 784, 128], [8, 50, 256], [6, 784, 16], [8, 30, 20], [8, 20, 10]]) {
    it(`B=${B} IN=${IN} OUT=${OUT}`, () => {
      const c = { B, IN, OUT };
      const inp = inputs(c, B * 31 + IN + OUT);
      const rng = new Rng(IN * OUT);
      for (let i = 0; i < inp.xu8.length; i++) inp.xu8[i] = 1 + Math.floor(rng.next() * 255);
      const zeroAt = (row: number) => { const x = { ...inp, xu8: Uint8Array.from(inp.xu8) }; x.xu8[row * IN + (IN >> 1)] = 0; return x; };
      const lastBlockRow = B - 1; // the last block (or row 0's block when B ≤ 4)
      const denseFirst = run(fast, c, 1, zeroAt(lastBlockRow)); // rows 0..3 in a dense block (when B > 4)
      const sparseFirst = run(fast, c, 1, zeroAt(3)); // rows 0..2 share a block with the zero
      for (let i = 0; i < 3 * OUT; i++) expect(denseFirst["fwdU8.z"][i], `row ${Math.floor(i / OUT)} col ${i % OUT}`).toBe(sparseFirst["fwdU8.z"][i]);
      for (const x of [zeroAt(lastBlockRow), zeroAt(3)]) {
        const got = run(fast, c, 1, x), ref = run(naive, c, 1, x);
        for (const key of ["fwdU8.z", "fwdU8.a", "bwdU8.dw"]) expect(close(got[key], ref[key]), key).toBeNull();
      }
      // an all-dense batch too (every block takes the dense path)
      const got = run(fast, c, 1, inp), ref = run(naive, c, 1, inp);
      expect(close(got["fwdU8.z"], ref["fwdU8.z"])).toBeNull();
      for (let i = 0; i < 3 * OUT; i++) expect(got["fwdU8.z"][i]).toBe(sparseFirst["fwdU8.z"][i]);
    });
  }
});
