// How each kernel call is split across threads. A call is cut into C chunks, fixed, disjoint ranges
// of its OUTPUT (rows of z, rows of dW, columns of dX and db, ranges of a vector), aligned
// to the kernels' tiles, so every output element is computed by exactly the code and summation
// order of the single-threaded kernel: results are bit-identical for any chunking and whichever
// thread runs a chunk (tests/threads.test.ts). Threads claim chunks as they come (worker-loop.ts);
// t, the index of the thread running one, only picks its scratch block.
// Reductions are never split over their summed dimension (the batch), so no partial sums meet;
// the exceptions sum fixed blocks on one thread too, so their partials meet in the same order for
// any thread count: the filter gradient of a conv with C < 4 (blocks of images) and the sum of
// squares of the gradient (blocks of 4096 values).
// Shared by the main thread (src/backend/threads.ts) and the workers (src/backend/worker-loop.ts).

import { CONV_FILTER_BLOCKS } from "../layers/scratch.js";

/** The wasm exports runPart calls (raw byte addresses). */
export interface PartKernels {
  dense_forward(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void;
  dense_forward_u8(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number, scratch: number): void;
  dense_dw_rows(dw: number, x: number, dz: number, B: number, IN: number, OUT: number, k0: number, k1: number): void;
  dense_dw_rows_u8(dw: number, x: number, dz: number, B: number, IN: number, OUT: number, k0: number, k1: number, lists: number): void;
  colsum_cols(db: number, dz: number, B: number, N: number, j0: number, j1: number): void;
  dense_dx_cols(dzPrev: number, dz: number, zPrev: number, w: number, B: number, IN: number, OUT: number, c0: number, c1: number, actPrev: number, scratch: number): void;
  sgd_step(p: number, g: number, n: number, lr: number): void;
  sgd_momentum_step(p: number, g: number, v: number, n: number, lr: number, momentum: number, nesterov: number, wd: number): void;
  adam_step(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, wd: number, decoupled: number): void;
  scale_inplace(x: number, n: number, s: number): void;
  dropout_forward(a: number, mask: number, n: number, threshold: number, keepScale: number, seed: number): void;
  dropout_backward(g: number, mask: number, n: number): void;
  fill_zero(p: number, n: number): void;
  conv_forward(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number, scratch: number): void;
  conv_forward_u8: PartKernels["conv_forward"];
  conv_backward_filter_part(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, scratch: number, kb: number, ke: number, fb: number, fe: number, db0: number, db1: number): void;
  conv_backward_filter_u8_part: PartKernels["conv_backward_filter_part"];
  conv_filter_small_blocks_f32(dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, scratch: number, scratch0: number, b0: number, b1: number): void;
  conv_filter_small_blocks_u8: PartKernels["conv_filter_small_blocks_f32"];
  conv_filter_small_combine(dw: number, db: number, scratch0: number, C: number, F: number, K: number, S: number, OH: number, OW: number): void;
  conv_backward_data(dx: number, dz: number, w: number, zPrev: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, actPrev: number, scratch: number): void;
  max_pool_forward(y: number, argmax: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void;
  max_pool_backward(dx: number, dy: number, argmax: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void;
  avg_pool_forward(y: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void;
  avg_pool_backward(dx: number, dy: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void;
  batch_norm_forward_part(a: number, z: number, x: number, gamma: number, beta: number, mean: number, invStd: number, runMean: number, runVar: number, N: number, C: number, training: number, momentum: number, eps: number, act: number, scratch: number, scratchBytes: number, c0: number, c1: number): void;
  batch_norm_backward_part(dx: number, dgamma: number, dbeta: number, dz: number, x: number, gamma: number, mean: number, invStd: number, N: number, C: number, scratch: number, scratchBytes: number, c0: number, c1: number): void;
  activation_backward(dz: number, z: number, n: number, act: number): void;
  cast_u8(dst: number, src: number, n: number, scale: number): void;
  gather_rows_u8(dst: number, src: number, rows: number, count: number, D: number): number;
  sum_squares_blocks(out: number, x: number, n: number, b0: number, b1: number): void;
}

/** Operation codes (args[0]); the argument lists are documented at each case of runPart. */
export const OP = {
  EXIT: 1,
  FAULT: 2, // tests only: args[1] = worker index that fails, args[2] = 0 throw, 1 exit the thread
  DENSE_FWD: 10,
  DENSE_FWD_U8: 11,
  DENSE_BWD: 12,
  DENSE_BWD_U8: 13,
  SGD: 20,
  SGD_MOM: 21,
  ADAM: 22,
  ZERO: 23,
  SCALE: 24,
  DROP_FWD: 25,
  DROP_BWD: 26,
  ACT_BWD: 27,
  CAST_U8: 28,
  GATHER: 29,
  SUM_SQ: 19,
  CONV_FWD: 30,
  CONV_FWD_U8: 31,
  CONV_BWD_FILTER: 32,
  CONV_BWD_FILTER_U8: 33,
  CONV_BWD_DATA: 34,
  MAX_POOL_FWD: 40,
  MAX_POOL_BWD: 41,
  AVG_POOL_FWD: 42,
  AVG_POOL_BWD: 43,
  BN_FWD: 44,
  BN_BWD: 45,
} as const;

/** Part t of T of [0, n) in whole units of `unit` (the last part ends at n). */
export function part(n: number, unit: number, t: number, T: number): [number, number] {
  const units = Math.ceil(n / unit);
  const u0 = Math.floor((units * t) / T);
  const u1 = Math.floor((units * (t + 1)) / T);
  return [Math.min(n, u0 * unit), Math.min(n, u1 * unit)];
}

/**
 * Part t of T of n output columns of gemm_panel4 (assembly/gemm.ts): its tiles start every 8
 * columns, and 9..12 last columns are one tile, which a part boundary must not cut.
 */
export function panelColumns(n: number, t: number, T: number): [number, number] {
  let units = Math.ceil(n / 8);
  if (n > 8 && n % 8 >= 1 && n % 8 <= 4) units -= 1;
  const u0 = Math.floor((units * t) / T);
  const u1 = Math.floor((units * (t + 1)) / T);
  return [u0 === units ? n : u0 * 8, u1 === units ? n : u1 * 8];
}

/** Values per block of sum_squares (assembly/optim.ts). */
export const SUM_SQ_BLOCK = 4096;

/** Vector ranges: 16 slots (one cache line, four f32x4) so SIMD bodies and tails match the whole call. */
const VEC = 16;

/** Tests: worker a[1] throws (a[2] = 0) or exits its thread (a[2] = 1); run by the worker loop, not chunked. */
export function fault(a: Float64Array, t: number): void {
  if (a[1] !== t) return;
  if (a[2] === 1) (globalThis as { process?: { exit(code: number): void } }).process?.exit(3);
  throw new Error("injected fault (test)");
}

/** Runs chunk ci of cn of the call in args (args[0] = op) on thread t. Byte addresses throughout; stride: scratch bytes per thread. */
export function runPart(k: PartKernels, a: Float64Array, ci: number, cn: number, t: number): void {
  switch (a[0]) {
    case OP.DENSE_FWD:
    case OP.DENSE_FWD_U8: {
      // [op, a, z, x, w, b, B, IN, OUT, act, scratch, stride]: rows of the batch in 4-row panels
      const B = a[6], IN = a[7], OUT = a[8];
      const [r0, r1] = part(B, 4, ci, cn);
      if (r1 <= r0) return;
      const o = r0 * OUT * 4;
      const u8 = a[0] === OP.DENSE_FWD_U8;
      (u8 ? k.dense_forward_u8 : k.dense_forward)(a[1] + o, a[2] + o, a[3] + r0 * IN * (u8 ? 1 : 4), a[4], a[5], r1 - r0, IN, OUT, a[9], a[10] + t * a[11]);
      return;
    }
    case OP.DENSE_BWD: {
      // [op, dzPrev (0: none), dw, db, dz, x, zPrev, w, B, IN, OUT, actPrev, scratch, stride]
      const B = a[8], IN = a[9], OUT = a[10];
      const [k0, k1] = part(IN, VEC, ci, cn); // rows of dW
      k.dense_dw_rows(a[2], a[5], a[4], B, IN, OUT, k0, k1);
      const [j0, j1] = part(OUT, 4, ci, cn); // columns of db
      k.colsum_cols(a[3], a[4], B, OUT, j0, j1);
      if (a[1] !== 0) {
        const [c0, c1] = panelColumns(IN, ci, cn); // columns of dzPrev
        k.dense_dx_cols(a[1], a[4], a[6], a[7], B, IN, OUT, c0, c1, a[11], a[12] + t * a[13]);
      }
      return;
    }
    case OP.DENSE_BWD_U8: {
      // [op, dw, db, dz, x, B, IN, OUT, scratch, stride]
      const B = a[5], IN = a[6], OUT = a[7];
      const [k0, k1] = part(IN, VEC, ci, cn);
      k.dense_dw_rows_u8(a[1], a[4], a[3], B, IN, OUT, k0, k1, a[8] + t * a[9]);
      const [j0, j1] = part(OUT, 4, ci, cn);
      k.colsum_cols(a[2], a[3], B, OUT, j0, j1);
      return;
    }
    case OP.SGD: {
      // [op, p, g, n, lr]
      const [i0, i1] = part(a[3], VEC, ci, cn);
      if (i1 > i0) k.sgd_step(a[1] + i0 * 4, a[2] + i0 * 4, i1 - i0, a[4]);
      return;
    }
    case OP.SGD_MOM: {
      // [op, p, g, v, n, lr, momentum, nesterov, wd]
      const [i0, i1] = part(a[4], VEC, ci, cn);
      if (i1 > i0) k.sgd_momentum_step(a[1] + i0 * 4, a[2] + i0 * 4, a[3] + i0 * 4, i1 - i0, a[5], a[6], a[7], a[8]);
      return;
    }
    case OP.ADAM: {
      // [op, p, g, m, v, n, lr, beta1, beta2, eps, bc1, bc2, wd, decoupled]
      const [i0, i1] = part(a[5], VEC, ci, cn);
      const o = i0 * 4;
      if (i1 > i0) k.adam_step(a[1] + o, a[2] + o, a[3] + o, a[4] + o, i1 - i0, a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]);
      return;
    }
    case OP.SUM_SQ: {
      // [op, out (f64 per block), x, n]: whole blocks of SUM_SQ_BLOCK values (the caller adds the
      // partials in block order, as sum_squares does on one thread)
      const [b0, b1] = part(Math.ceil(a[3] / SUM_SQ_BLOCK), 1, ci, cn);
      if (b1 > b0) k.sum_squares_blocks(a[1], a[2], a[3], b0, b1);
      return;
    }
    case OP.ZERO: {
      // [op, p, n]
      const [i0, i1] = part(a[2], VEC, ci, cn);
      if (i1 > i0) k.fill_zero(a[1] + i0 * 4, i1 - i0);
      return;
    }
    case OP.SCALE: {
      // [op, x, n, s]
      const [i0, i1] = part(a[2], VEC, ci, cn);
      if (i1 > i0) k.scale_inplace(a[1] + i0 * 4, i1 - i0, a[3]);
      return;
    }
    case OP.DROP_FWD: {
      // [op, a, mask, n, threshold, keepScale, seed]: element i hashes seed + i·φ, so a range
      // starting at i0 starts its seed at seed + i0·φ (mod 2³²)
      const [i0, i1] = part(a[3], VEC, ci, cn);
      if (i1 > i0) k.dropout_forward(a[1] + i0 * 4, a[2] + i0 * 4, i1 - i0, a[4], a[5], (a[6] + Math.imul(i0, 0x9e3779b9)) >>> 0);
      return;
    }
    case OP.DROP_BWD: {
      // [op, g, mask, n]
      const [i0, i1] = part(a[3], VEC, ci, cn);
      if (i1 > i0) k.dropout_backward(a[1] + i0 * 4, a[2] + i0 * 4, i1 - i0);
      return;
    }
    case OP.ACT_BWD: {
      // [op, dz, z, n, act]
      const [i0, i1] = part(a[3], VEC, ci, cn);
      if (i1 > i0) k.activation_backward(a[1] + i0 * 4, a[2] + i0 * 4, i1 - i0, a[4]);
      return;
    }
    case OP.CAST_U8: {
      // [op, dst (f32), src (u8), n, scale]
      const [i0, i1] = part(a[3], VEC, ci, cn);
      if (i1 > i0) k.cast_u8(a[1] + i0 * 4, a[2] + i0, i1 - i0, a[4]);
      return;
    }
    case OP.GATHER: {
      // [op, dst, src, rows (u32 list), count, D]: rows of the batch in 4-row groups, as the dense
      // forward splits them, so a thread tends to read the rows it gathered
      const [r0, r1] = part(a[4], 4, ci, cn);
      if (r1 > r0) k.gather_rows_u8(a[1] + r0 * a[5], a[2], a[3] + r0 * 4, r1 - r0, a[5]);
      return;
    }
    case OP.CONV_FWD:
    case OP.CONV_FWD_U8:
    case OP.CONV_BWD_DATA: {
      // forward [op, a, z, x, w, b, B, H, W, C, F, K, S, padT, padL, OH, OW, act, scratch, stride]
      // data    [op, dx, dz, w, zPrev, B, H, W, C, F, K, S, padT, padL, OH, OW, actPrev, scratch, stride]
      // whole images: every output row (and each image's col2im sums) is computed as in the whole call
      const fwd = a[0] !== OP.CONV_BWD_DATA;
      const o = fwd ? 6 : 5;
      const B = a[o], H = a[o + 1], W = a[o + 2], C = a[o + 3], F = a[o + 4], OH = a[o + 9], OW = a[o + 10];
      const [b0, b1] = part(B, 1, ci, cn);
      if (b1 <= b0) return;
      const inImg = H * W * C, outImg = OH * OW * F;
      const sc = a[o + 12] + t * a[o + 13];
      if (fwd) {
        const u8 = a[0] === OP.CONV_FWD_U8;
        const oo = b0 * outImg * 4;
        (u8 ? k.conv_forward_u8 : k.conv_forward)(a[1] + oo, a[2] + oo, a[3] + b0 * inImg * (u8 ? 1 : 4), a[4], a[5], b1 - b0, H, W, C, F, a[o + 5], a[o + 6], a[o + 7], a[o + 8], OH, OW, a[o + 11], sc);
      } else {
        const io = b0 * inImg * 4;
        k.conv_backward_data(a[1] + io, a[2] + b0 * outImg * 4, a[3], a[4] === 0 ? 0 : a[4] + io, b1 - b0, H, W, C, F, a[o + 5], a[o + 6], a[o + 7], a[o + 8], OH, OW, a[o + 11], sc);
      }
      return;
    }
    case OP.CONV_BWD_FILTER:
    case OP.CONV_BWD_FILTER_U8: {
      // [op, dw, db, dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch, stride]
      // C < 4: whole blocks of images into their partials (the calling thread adds them up after
      // the call: ThreadedBackend). C ≥ 4: rows of dw (groups of 4 im2col columns) when there are
      // enough of them, else column blocks of dw; db by 4-column groups. Every thread walks all
      // chunks of rows, in order.
      const C = a[8], F = a[9], K = a[10];
      if (C < 4) {
        const [b0, b1] = part(CONV_FILTER_BLOCKS, 1, ci, cn);
        if (b1 <= b0) return;
        const fn = a[0] === OP.CONV_BWD_FILTER_U8 ? k.conv_filter_small_blocks_u8 : k.conv_filter_small_blocks_f32;
        fn(a[3], a[4], a[5], a[6], a[7], C, F, K, a[11], a[12], a[13], a[14], a[15], a[16] + t * a[17], a[16], b0, b1);
        return;
      }
      const KKC = K * K * C;
      const unit = 8; // column blocks: the width of gemm_panel4_acc's and gemm_gather4_acc's tiles
      let kb = 0, ke = KKC, fb = 0, fe = F;
      if (Math.ceil(KKC / 4) >= 2 * cn || Math.ceil(F / unit) < cn) [kb, ke] = part(KKC, 4, ci, cn);
      else [fb, fe] = part(F, unit, ci, cn);
      const [d0, d1] = part(F, 4, ci, cn);
      const fn = a[0] === OP.CONV_BWD_FILTER_U8 ? k.conv_backward_filter_u8_part : k.conv_backward_filter_part;
      fn(a[1], a[2], a[3], a[4], a[5], a[6], a[7], C, F, K, a[11], a[12], a[13], a[14], a[15], a[16] + t * a[17], kb, ke, fb, fe, d0, d1);
      return;
    }
    case OP.MAX_POOL_FWD:
    case OP.AVG_POOL_FWD:
    case OP.MAX_POOL_BWD:
    case OP.AVG_POOL_BWD: {
      // fwd [op, y, argmax (avg: 0), x, B, H, W, C, PH, PW, SH, SW, OH, OW]; bwd [op, dx, dy, argmax (avg: 0), B, H, W, C, PH, PW, SH, SW, OH, OW]
      // whole images (windows never cross them); argmax holds in-plane indices
      const B = a[4], H = a[5], W = a[6], C = a[7], OH = a[12], OW = a[13];
      const [b0, b1] = part(B, 1, ci, cn);
      if (b1 <= b0) return;
      const io = b0 * H * W * C * 4, oo = b0 * OH * OW * C * 4;
      const n = b1 - b0;
      switch (a[0]) {
        case OP.MAX_POOL_FWD: k.max_pool_forward(a[1] + oo, a[2] + oo, a[3] + io, n, H, W, C, a[8], a[9], a[10], a[11], OH, OW); break;
        case OP.AVG_POOL_FWD: k.avg_pool_forward(a[1] + oo, a[3] + io, n, H, W, C, a[8], a[9], a[10], a[11], OH, OW); break;
        case OP.MAX_POOL_BWD: k.max_pool_backward(a[1] + io, a[2] + oo, a[3] + oo, n, H, W, C, OH, OW); break;
        default: k.avg_pool_backward(a[1] + io, a[2] + oo, n, H, W, C, a[8], a[9], a[10], a[11], OH, OW);
      }
      return;
    }
    case OP.BN_FWD: {
      // [op, a, z, x, gamma, beta, mean, invStd, runMean, runVar, N, C, training, momentum, eps, act, kscratch, kbytes]: channels
      const [c0, c1] = part(a[11], 4, ci, cn);
      k.batch_norm_forward_part(a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16] + t * a[17], a[17], c0, c1);
      return;
    }
    case OP.BN_BWD: {
      // [op, dx (0: none), dgamma, dbeta, dz, x, gamma, mean, invStd, N, C, kscratch, kbytes]: channels
      const [c0, c1] = part(a[10], 4, ci, cn);
      k.batch_norm_backward_part(a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11] + t * a[12], a[12], c0, c1);
      return;
    }
    default:
      throw new Error(`unknown thread operation ${a[0]}`);
  }
}
