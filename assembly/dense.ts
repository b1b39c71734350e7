// Dense layer, forward and backward, built on the micro-kernels in gemm.ts.
// Shapes in elements; pointers are byte addresses into the arena (src/model/arena.ts).
import { gemm_rows_n12, gemm_tn_acc_f32, pack_a4, pack_a4_nz_u8, pack_a2_nz_u8, gemm_panel2_gather, gemm_panel4, gemm_panel4_gather, gemm_tn_acc_u8_nz, gemm_tn_acc_u8_narrow, transpose, colsum_acc } from "./gemm";
import { act_rows, act_grad_rows } from "./activations";

const INV_255: f32 = <f32>1 / <f32>255;

// z = x·w + b, a = act(z)   (a may equal z when act is none)
// x: (B, IN) f32 or u8 pixels scaled by 1/255, w: (IN, OUT), b: (OUT), z, a: (B, OUT)
// scratch: 4·IN f32 (one packed 4-row panel of x)
@inline function dense_forward_t<T>(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, IN: i32, OUT: i32, act: i32, scratch: usize, scale: f32): void {
  for (let i0 = 0; i0 < B; i0 += 4) {
    const rows = min(4, B - i0);
    pack_a4<T>(scratch, x, IN, i0, rows, IN, scale);
    const zr = z + <usize>i0 * <usize>OUT * 4;
    gemm_panel4(zr, OUT, scratch, w, OUT, IN, OUT, rows, b);
    act_rows(a + <usize>i0 * <usize>OUT * 4, zr, rows, OUT, OUT, act);
  }
}

export function dense_forward(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, IN: i32, OUT: i32, act: i32, scratch: usize): void {
  if (OUT >= 5 && OUT <= 12) {
    // a narrow layer (the classes): x read in place, the bits of the packed panels
    gemm_rows_n12(z, OUT, x, IN, w, OUT, IN, OUT, B, b);
    act_rows(a, z, B, OUT, OUT, act);
    return;
  }
  dense_forward_t<f32>(a, z, x, w, b, B, IN, OUT, act, scratch, 1);
}

// The first layer: x is (B, IN) uint8 pixels, scaled by 1/255. Each panel of rows keeps only the
// columns that are non-zero in one of its rows (pack_a2_nz_u8 / pack_a4_nz_u8) and the GEMM
// gathers the matching rows of w. 2-row panels keep less (~30% of MNIST columns, against ~39% for
// 4 rows) and feed a 2×16 tile; narrow layers (OUT ≤ 12, e.g. 10 classes) would waste most of
// those 16 lanes and use 4-row panels with the 2×12 passes instead.
// scratch: 5·IN16 slots, IN16 = IN rounded up to 16 (the compaction stores whole 16-column blocks
// before it knows which columns stay): the panel, then at 4·IN16 the row offsets into w.
// Dense blocks: a 4-row block with no zero pixel has nothing to skip, and 2-row panels would stream
// w twice as often as 4-row ones; such a block runs gemm_panel4 over its (complete) 4-row panel
// instead. Same bits: for OUT > 12 both tiles sum each output from the bias in k order (the 4×8
// tile's split-chain tail only serves N ≤ 4). Blocks start every 4 rows of the call, and the
// threaded split cuts rows in multiples of 4 (src/backend/parallel.ts), so the choice is the same
// for every thread count.
export function dense_forward_u8(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, IN: i32, OUT: i32, act: i32, scratch: usize): void {
  const panel = scratch;
  const koff = scratch + <usize>((IN + 15) & ~15) * 16;
  const wide = OUT > 12;
  for (let i0 = 0; i0 < B; i0 += 4) {
    const rows = min(4, B - i0);
    const zr = z + <usize>i0 * <usize>OUT * 4;
    if (!wide || (rows == 4 && all_nonzero_u8(x + <usize>i0 * <usize>IN, IN, IN, 4))) {
      const cnt = pack_a4_nz_u8(panel, koff, x, IN, i0, rows, IN, INV_255, OUT * 4);
      // every column kept: koff[k] = k·ldb4, the plain panel (no gather loads)
      if (cnt == IN) gemm_panel4(zr, OUT, panel, w, OUT, IN, OUT, rows, b);
      else gemm_panel4_gather(zr, OUT, panel, koff, w, OUT, cnt, OUT, rows, b);
    } else {
      for (let r = 0; r < rows; r += 2) {
        const n = min(2, rows - r);
        const cnt = pack_a2_nz_u8(panel, koff, x, IN, i0 + r, n, IN, INV_255, OUT * 4);
        gemm_panel2_gather(zr + <usize>r * <usize>OUT * 4, OUT, panel, koff, w, cnt, OUT, n, b);
      }
    }
    act_rows(a + <usize>i0 * <usize>OUT * 4, zr, rows, OUT, OUT, act);
  }
}

// Whether all of rows × K bytes at a (row stride lda) are non-zero; stops at the first zero
// (MNIST rows start with background, so a sparse block costs one load).
function all_nonzero_u8(a: usize, lda: i32, K: i32, rows: i32): bool {
  const zero = i8x16.splat(0);
  for (let r = 0; r < rows; r++) {
    const row = a + <usize>r * <usize>lda;
    let k = 0;
    for (; k + 16 <= K; k += 16) if (v128.any_true(i8x16.eq(v128.load(row + <usize>k), zero))) return false;
    for (; k < K; k++) if (load<u8>(row + <usize>k) == 0) return false;
  }
  return true;
}

// Backward of a hidden or output layer whose input x = act_prev(z_prev) is itself an activation.
// Accumulates: dw += xᵀ·dz, db += Σ_rows dz.   Overwrites: dz_prev = (dz·wᵀ) ⊙ act_prev'(z_prev).
// dz: (B, OUT), x, z_prev, dz_prev: (B, IN), w, dw: (IN, OUT), db: (OUT)
// scratch: OUT·IN + 4·OUT f32 (wᵀ, then one packed panel of dz)
export function dense_backward(dz_prev: usize, dw: usize, db: usize, dz: usize, x: usize, z_prev: usize, w: usize, B: i32, IN: i32, OUT: i32, act_prev: i32, scratch: usize): void {
  gemm_tn_acc_f32(dw, x, IN, dz, OUT, B, IN, OUT, 1);
  colsum_acc(db, dz, B, OUT);
  if (dz_prev != 0) dense_backward_dx(dz_prev, dz, x, z_prev, w, B, IN, OUT, act_prev, scratch);
}

// The input-gradient half of dense_backward (exported on its own for the benchmark).
// Overwrites dz_prev = (dz·wᵀ) ⊙ act_prev'(z_prev).  Shapes and scratch as in dense_backward.
export function dense_backward_dx(dz_prev: usize, dz: usize, x: usize, z_prev: usize, w: usize, B: i32, IN: i32, OUT: i32, act_prev: i32, scratch: usize): void {
  const wt = scratch;
  const panel = scratch + <usize>OUT * <usize>IN * 4;
  transpose(wt, w, IN, OUT);
  for (let i0 = 0; i0 < B; i0 += 4) {
    const rows = min(4, B - i0);
    pack_a4<f32>(panel, dz, OUT, i0, rows, OUT, 1);
    const off = <usize>i0 * <usize>IN * 4;
    gemm_panel4(dz_prev + off, IN, panel, wt, IN, OUT, IN, rows, 0);
    act_grad_rows(dz_prev + off, z_prev + off, rows, IN, IN, act_prev);
  }
}

// Backward of the first layer, whose input is the uint8 batch: no input gradient.
// Accumulates: dw += (x/255)ᵀ·dz, db += Σ_rows dz.   x: (B, IN) u8, dz: (B, OUT), dw: (IN, OUT)
// Zero pixels are skipped (gemm_tn_acc_u8_nz); 1/255 is applied once per output, not per pixel.
// Narrow layers (OUT ≤ 10) use a tile vectorised along IN (gemm_tn_acc_u8_narrow).
// scratch is not needed by these tiles; it stays in the signature for the ABI's sake.
export function dense_backward_u8(dw: usize, db: usize, dz: usize, x: usize, B: i32, IN: i32, OUT: i32, scratch: usize): void {
  if (OUT <= 10) gemm_tn_acc_u8_narrow(dw, x, IN, dz, OUT, B, IN, OUT, INV_255);
  else gemm_tn_acc_u8_nz(dw, x, IN, dz, OUT, B, IN, OUT, INV_255);
  colsum_acc(db, dz, B, OUT);
}
