// Range wrappers for multi-threaded training (src/backend/parallel.ts splits each call): every
// function computes one part of its kernel's OUTPUT ([k0, k1) rows of dW, [c0, c1) columns of
// dX, …), with the same tiles and the same summation order per element as the whole call, so a
// thread's part never depends on how many threads there are. The single-threaded exports are
// untouched. Callers align ranges to the kernels' tiles (src/backend/parallel.ts says how).
import { gemm_tn_acc_f32, gemm_tn_acc_u8_nz_list, gemm_tn_acc_u8_narrow_lists, NARROW_LISTS_BYTES, colsum_acc_ld, transpose, pack_a4, gemm_panel4 } from "./gemm";
import { act_grad_rows } from "./activations";

const INV_255: f32 = <f32>1 / <f32>255;

// Rows [k0, k1) of dw += xᵀ·dz.  x: (B, IN) f32, dz: (B, OUT), dw: (IN, OUT)
export function dense_dw_rows(dw: usize, x: usize, dz: usize, B: i32, IN: i32, OUT: i32, k0: i32, k1: i32): void {
  if (k1 <= k0) return;
  gemm_tn_acc_f32(dw + <usize>k0 * <usize>OUT * 4, x + <usize>k0 * 4, IN, dz, OUT, B, k1 - k0, OUT, 1);
}

// Rows [k0, k1) of dw += (x/255)ᵀ·dz for the uint8 first layer (the kernels of dense_backward_u8).
// k0 and k1 multiples of 16 except k1 = IN. lists: dense_u8_list_bytes() bytes of this thread's scratch.
export function dense_dw_rows_u8(dw: usize, x: usize, dz: usize, B: i32, IN: i32, OUT: i32, k0: i32, k1: i32, lists: usize): void {
  if (k1 <= k0) return;
  const c = dw + <usize>k0 * <usize>OUT * 4;
  if (OUT <= 10) gemm_tn_acc_u8_narrow_lists(c, x + <usize>k0, IN, dz, OUT, B, k1 - k0, OUT, INV_255, lists, lists + <usize>NARROW_LISTS_BYTES);
  else gemm_tn_acc_u8_nz_list(c, x + <usize>k0, IN, dz, OUT, B, k1 - k0, OUT, INV_255, lists);
}

// Columns [j0, j1) of db += Σ_rows dz.  dz: (B, N)
export function colsum_cols(db: usize, dz: usize, B: i32, N: i32, j0: i32, j1: i32): void {
  if (j1 <= j0) return;
  colsum_acc_ld(db + <usize>j0 * 4, dz + <usize>j0 * 4, B, j1 - j0, N);
}

// Columns [c0, c1) of dz_prev = (dz·wᵀ) ⊙ act_prev'(z_prev) (dense_backward_dx over a column
// range): wᵀ of rows [c0, c1) of w, then the same 4-row panels. c0 a multiple of 8, and c1 too
// unless c1 = IN (gemm_panel4's column tiles start at multiples of 8 and its last 9..12 columns
// are one tile: the caller never splits those). dz: (B, OUT), w: (IN, OUT), z_prev, dz_prev: (B, IN)
// scratch: OUT·(c1 − c0) + 4·OUT f32
export function dense_dx_cols(dz_prev: usize, dz: usize, z_prev: usize, w: usize, B: i32, IN: i32, OUT: i32, c0: i32, c1: i32, act_prev: i32, scratch: usize): void {
  const n = c1 - c0;
  if (n <= 0) return;
  const wt = scratch;
  const panel = scratch + <usize>OUT * <usize>n * 4;
  transpose(wt, w + <usize>c0 * <usize>OUT * 4, n, OUT);
  for (let i0 = 0; i0 < B; i0 += 4) {
    const rows = min(4, B - i0);
    pack_a4<f32>(panel, dz, OUT, i0, rows, OUT, 1);
    const off = (<usize>i0 * <usize>IN + <usize>c0) * 4;
    gemm_panel4(dz_prev + off, IN, panel, wt, n, OUT, n, rows, 0);
    act_grad_rows(dz_prev + off, z_prev + off, rows, n, IN, act_prev);
  }
}

// Scratch bytes dense_dw_rows_u8 needs for its lists.
export function dense_u8_list_bytes(): i32 {
  return NARROW_LISTS_BYTES + 128 * 4 + 64;
}
