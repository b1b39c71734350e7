// The first layer's input is uint8 pixels, and MNIST digits are ~80% exact zeros: a zero pixel
// adds exactly nothing to X·W or to Xᵀ·dZ, so these kernels skip it. Results equal the dense
// kernels' (adding 0·w changes no sum while weights are finite).

// Packs rows [i0, i0+rows) of the u8 matrix A (row stride lda) into a panel P(Kc, 4) holding only
// the columns k where some of the rows is non-zero, scaled; idx[kk] = k. Returns Kc.
export function pack_a4_u8_nonzero(p: usize, idx: usize, a: usize, lda: i32, i0: i32, rows: i32, K: i32, scale: f32): i32 {
  const r0 = a + <usize>i0 * <usize>lda;
  const r1 = rows > 1 ? r0 + <usize>lda : r0; // missing rows alias row 0 and are zeroed below
  const r2 = rows > 2 ? r1 + <usize>lda : r0;
  const r3 = rows > 3 ? r2 + <usize>lda : r0;
  const m1: u32 = rows > 1 ? 0xff : 0, m2: u32 = rows > 2 ? 0xff : 0, m3: u32 = rows > 3 ? 0xff : 0;
  let kc = 0;
  for (let k = 0; k < K; k++) {
    const o = <usize>k;
    const v0 = <u32>load<u8>(r0 + o), v1 = <u32>load<u8>(r1 + o) & m1, v2 = <u32>load<u8>(r2 + o) & m2, v3 = <u32>load<u8>(r3 + o) & m3;
    if ((v0 | v1 | v2 | v3) == 0) continue;
    const q = p + <usize>kc * 16;
    store<f32>(q, <f32>v0 * scale);
    store<f32>(q, <f32>v1 * scale, 4);
    store<f32>(q, <f32>v2 * scale, 8);
    store<f32>(q, <f32>v3 * scale, 12);
    store<i32>(idx + <usize>kc * 4, k);
    kc++;
  }
  return kc;
}

@inline function store_cols(p: usize, v: v128, n: i32): void {
  if (n >= 4) { v128.store(p, v); return; }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

@inline function store_row8(p: usize, v0: v128, v1: v128, ncols: i32): void {
  store_cols(p, v0, ncols);
  if (ncols > 4) store_cols(p + 16, v1, ncols - 4);
}

// C(rows ≤ 4, N) = bias + P(Kc, 4)ᵀ · Bm[idx[kk], :] — gemm_panel4 over a gathered set of B rows.
export function gemm_panel4_rows(c: usize, ldc: i32, p: usize, idx: usize, Kc: i32, bm: usize, ldb: i32, N: i32, rows: i32, bias: usize): void {
  const ldb4 = <usize>ldb * 4;
  const ldc4 = <usize>ldc * 4;
  for (let j = 0; j < N; j += 8) {
    const ncols = min(8, N - j);
    let c00 = v128.load(bias + <usize>j * 4), c01 = v128.load(bias + <usize>j * 4, 16);
    let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
    const bj = bm + <usize>j * 4;
    let pp = p;
    let ip = idx;
    for (let kk = 0; kk < Kc; kk++) {
      const bp = bj + <usize>load<i32>(ip) * ldb4;
      const b0 = v128.load(bp);
      const b1 = v128.load(bp, 16);
      let a = v128.load32_splat(pp);
      c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
      a = v128.load32_splat(pp, 4);
      c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
      a = v128.load32_splat(pp, 8);
      c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
      a = v128.load32_splat(pp, 12);
      c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
      pp += 16;
      ip += 4;
    }
    const cp = c + <usize>j * 4;
    store_row8(cp, c00, c01, ncols);
    if (rows > 1) store_row8(cp + ldc4, c10, c11, ncols);
    if (rows > 2) store_row8(cp + ldc4 * 2, c20, c21, ncols);
    if (rows > 3) store_row8(cp + ldc4 * 3, c30, c31, ncols);
  }
}

// nz[k] = 1 if column k of the u8 matrix A(M, K) has a non-zero entry, else 0.  nz: (K) bytes
export function nonzero_columns_u8(nz: usize, a: usize, M: i32, K: i32): void {
  memory.fill(nz, 0, <usize>K);
  let k = 0;
  for (; k + 16 <= K; k += 16) {
    let acc = i8x16.splat(0);
    let ap = a + <usize>k;
    for (let i = 0; i < M; i++) {
      acc = v128.or(acc, v128.load(ap));
      ap += <usize>K;
    }
    v128.store(nz + <usize>k, i8x16.ne(acc, i8x16.splat(0)));
  }
  for (; k < K; k++) {
    let any: u32 = 0;
    for (let i = 0; i < M; i++) any |= load<u8>(a + <usize>i * <usize>K + <usize>k);
    store<u8>(nz + <usize>k, any ? 0xff : 0);
  }
}
