// The first layer of 784-256 at batch 128 on dense uint8 pixels (no zero to skip), one thread: the
// zero-skipping uint8 kernels that training uses, against casting the batch to f32 once and running
// the f32 kernels (4-row panels, no gather). `npx tsx bench/dense-first-layer.ts`. Median of 200 timed
// calls after 20 warm-up calls, µs per call; the cast is counted in both f32 columns.
import { WasmBackend } from "../src/backend/wasm.js";
import { NONE } from "../src/backend/types.js";
import { timeMedian } from "./common.js";

const B = 128, IN = 784, OUT = 256;
const be = new WasmBackend();
let at = 0;
const take = (n: number) => ((at += n + 16), at - n - 16); // slots, 16 of padding after each block
const x = take((B * IN) / 4), xf = take(B * IN), w = take(IN * OUT), b = take(OUT), z = take(B * OUT), a = take(B * OUT), dz = take(B * OUT), dw = take(IN * OUT), db = take(OUT);
const scratch = take(OUT * IN + 8 * IN + 64 * 16);
be.allocate(at);
const f = be.floats();
for (let i = 0; i < IN * OUT; i++) f[w + i] = Math.sin(i) * 0.05;
for (let i = 0; i < B * OUT; i++) f[dz + i] = Math.cos(i) * 0.01;
const px = be.bytes(x, B * IN);
for (let i = 0; i < px.length; i++) px[i] = 1 + ((i * 37) % 255); // every pixel non-zero

const time = (fn: () => void) => timeMedian(fn, 200, 20) * 1e6; // µs per call

const gflops = (us: number) => ((2 * B * IN * OUT) / (us * 1e3)).toFixed(1);
for (let round = 0; round < 3; round++) {
  const u8f = time(() => be.denseForwardU8(a, z, x, w, b, B, IN, OUT, 1, scratch));
  const f32f = time(() => {
    be.castU8(xf, x, B * IN, 1 / 255);
    be.denseForward(a, z, xf, w, b, B, IN, OUT, 1, scratch);
  });
  const u8b = time(() => be.denseBackwardU8(dw, db, dz, x, B, IN, OUT, scratch));
  const f32b = time(() => {
    be.castU8(xf, x, B * IN, 1 / 255);
    be.denseBackward(NONE, dw, db, dz, xf, NONE, w, B, IN, OUT, 0, scratch);
  });
  console.log(
    `forward: uint8 ${u8f.toFixed(0)} µs (${gflops(u8f)} GFLOP/s), cast + f32 ${f32f.toFixed(0)} µs (${gflops(f32f)}): ${(u8f / f32f).toFixed(2)}×; ` +
      `filter gradient: uint8 ${u8b.toFixed(0)} µs (${gflops(u8b)}), cast + f32 ${f32b.toFixed(0)} µs (${gflops(f32b)}): ${(u8b / f32b).toFixed(2)}×`,
  );
}
