// Register-blocked f32x4 GEMM micro-kernels. Row-major everywhere; pointers are byte addresses.
// Tails: a tile that runs past the last column loads whole vectors (the arena keeps 16 bytes of
// padding after its last region, and lanes are independent) but stores only the valid lanes.

// a·b + c: one fused multiply-add (f32x4.relaxed_madd) in the relaxed-SIMD builds (asc targets
// fma and threads-fma, --fma), else a multiply and an add: exactly the default build's bits.
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
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

// Packs rows [i0, i0+rows) of A (row stride lda elements of T) into a panel P(K, 4):
// P[k*4 + r] = scale * A[i0+r][k]; rows ≥ `rows` are zero so the micro-kernel never branches.
// f32 rows go through 4×4 SIMD transposes; other element types (and K tails) pack scalar.
export function pack_a4<T>(p: usize, a: usize, lda: i32, i0: i32, rows: i32, K: i32, scale: f32): void {
  const esz = <usize>sizeof<T>();
  let k0 = 0;
  if (isFloat<T>() && sizeof<T>() == 4 && rows == 4) {
    const r0 = a + <usize>i0 * <usize>lda * 4;
    const ld = <usize>lda * 4;
    const vs = f32x4.splat(scale);
    for (; k0 + 4 <= K; k0 += 4) {
      const o = <usize>k0 * 4;
      transpose4_store(p + <usize>k0 * 16, f32x4.mul(v128.load(r0 + o), vs), f32x4.mul(v128.load(r0 + ld + o), vs),
        f32x4.mul(v128.load(r0 + ld * 2 + o), vs), f32x4.mul(v128.load(r0 + ld * 3 + o), vs));
    }
  }
  for (let r = 0; r < 4; r++) {
    const dst = p + <usize>r * 4;
    if (r < rows) {
      const src = a + <usize>(i0 + r) * <usize>lda * esz;
      for (let k = k0; k < K; k++) store<f32>(dst + <usize>k * 16, <f32>load<T>(src + <usize>k * esz) * scale);
    } else {
      for (let k = k0; k < K; k++) store<f32>(dst + <usize>k * 16, 0);
    }
  }
}

// C(rows ≤ 4, 9..12 columns) = bias + Pᵀ·Bm as two passes of a 2×12 tile (6 accumulators, the
// three b vectors and a splat stay in registers; a 4×12 tile needs 16 and V8 spills).
@inline function panel4x12(c: usize, ldc4: usize, p: usize, koff: usize, bj: usize, ldb4: usize, K: i32, ncols: i32, rows: i32, bias: usize, gather: bool): void {
  panel2x12(c, ldc4, p, koff, bj, ldb4, K, ncols, bias, gather, rows > 1);
  if (rows > 2) panel2x12(c + ldc4 * 2, ldc4, p + 8, koff, bj, ldb4, K, ncols, bias, gather, rows > 3);
}

// Two rows of the panel (panel offsets 0 and 4 from p) × 12 columns: 6 accumulators.
@inline function panel2x12(c: usize, ldc4: usize, p: usize, koff: usize, bj: usize, ldb4: usize, K: i32, ncols: i32, bias: usize, gather: bool, second: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00;
  if (bias) { c00 = v128.load(bias); c01 = v128.load(bias, 16); c02 = v128.load(bias, 32); }
  let c10 = c00, c11 = c01, c12 = c02;
  let pp = p;
  let bk = bj;
  let kp = koff;
  for (let k = 0; k < K; k++) {
    const bp = gather ? bj + <usize>load<i32>(kp) : bk;
    const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32);
    let a = v128.load32_splat(pp);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01); c02 = madd(a, b2, c02);
    a = v128.load32_splat(pp, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11); c12 = madd(a, b2, c12);
    pp += 16; bk += ldb4; kp += 4;
  }
  store_row12(c, c00, c01, c02, ncols);
  if (second) store_row12(c + ldc4, c10, c11, c12, ncols);
}

// C(rows, 5..12 columns) = bias + A(rows, K)·Bm(K, N) with A read in place (row stride lda, f32):
// two rows at a time, 6 accumulators, the arithmetic of panel2x12 and of the 4×8 tile's 5..8
// columns (each output from the bias, k in order), so the same bits as packing A first
// (gemm_panel4), without the packing: for a narrow layer (10 classes) that was a third of the call.
export function gemm_rows_n12(c: usize, ldc: i32, a: usize, lda: i32, bm: usize, ldb: i32, K: i32, N: i32, rows: i32, bias: usize): void {
  const ldb4 = <usize>ldb * 4;
  const lda4 = <usize>lda * 4;
  const ldc4 = <usize>ldc * 4;
  for (let r = 0; r < rows; r += 2) {
    const second = r + 1 < rows;
    const a0 = a + <usize>r * lda4;
    const a1 = second ? a0 + lda4 : a0; // a lone last row computes itself twice and stores once
    let c00 = f32x4.splat(0), c01 = c00, c02 = c00;
    if (bias) { c00 = v128.load(bias); c01 = v128.load(bias, 16); c02 = v128.load(bias, 32); }
    let c10 = c00, c11 = c01, c12 = c02;
    let bk = bm;
    for (let k = 0; k < K; k++) {
      const b0 = v128.load(bk), b1 = v128.load(bk, 16), b2 = v128.load(bk, 32);
      const o = <usize>k * 4;
      let x = v128.load32_splat(a0 + o);
      c00 = madd(x, b0, c00); c01 = madd(x, b1, c01); c02 = madd(x, b2, c02);
      x = v128.load32_splat(a1 + o);
      c10 = madd(x, b0, c10); c11 = madd(x, b1, c11); c12 = madd(x, b2, c12);
      bk += ldb4;
    }
    const cr = c + <usize>r * ldc4;
    store_row12n(cr, c00, c01, c02, N);
    if (second) store_row12n(cr + ldc4, c10, c11, c12, N);
  }
}

// store_row12 for 5..12 columns.
@inline function store_row12n(p: usize, v0: v128, v1: v128, v2: v128, ncols: i32): void {
  v128.store(p, v0);
  store_cols(p + 16, v1, ncols - 4);
  if (ncols > 8) store_cols(p + 32, v2, ncols - 8);
}

@inline function store_row12(p: usize, v0: v128, v1: v128, v2: v128, ncols: i32): void {
  v128.store(p, v0);
  v128.store(p, v1, 16);
  store_cols(p + 32, v2, ncols - 8);
}

// Stores the 4×4 transpose of rows (r0..r3) at p: p[c*4 + r] = r_r[c].
@inline export function transpose4_store(p: usize, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // a0 b0 a1 b1
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5); // c0 d0 c1 d1
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // a2 b2 a3 b3
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7); // c2 d2 c3 d3
  v128.store(p, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(p, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
  v128.store(p, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
  v128.store(p, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
}

// The four f32x4 of 16 uint8 lanes (values < 256, so the signed convert is exact and cheap:
// V8 has no single x64 instruction for the unsigned one).
@inline function u8x16_lo_lo(v: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v))); }
@inline function u8x16_lo_hi(v: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(i16x8.extend_low_i8x16_u(v))); }
@inline function u8x16_hi_lo(v: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_high_i8x16_u(v))); }
@inline function u8x16_hi_hi(v: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(i16x8.extend_high_i8x16_u(v))); }

// Keeps column c of a 16-column block when bit c of m is set: stores it at entry cnt of the
// compact panel (and the byte offset of row k of B in koff) unconditionally, then advances cnt
// only if kept. Branch-free: whether a pixel is zero is not predictable.
@inline function keep_col(p: usize, koff: usize, cnt: i32, v: v128, off: i32, m: i32, c: i32): i32 {
  v128.store(p + <usize>cnt * 16, v);
  store<i32>(koff + <usize>cnt * 4, off);
  return cnt + ((m >>> c) & 1);
}

// Transposes one 4-column group of the 4 widened rows and keeps its non-zero columns.
@inline function keep_group(p: usize, koff: usize, cnt: i32, r0: v128, r1: v128, r2: v128, r3: v128, vs: v128, off0: i32, ldb4: i32, m: i32, c0: i32): i32 {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  cnt = keep_col(p, koff, cnt, f32x4.mul(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), vs), off0, m, c0);
  cnt = keep_col(p, koff, cnt, f32x4.mul(v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), vs), off0 + ldb4, m, c0 + 1);
  cnt = keep_col(p, koff, cnt, f32x4.mul(v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), vs), off0 + ldb4 * 2, m, c0 + 2);
  cnt = keep_col(p, koff, cnt, f32x4.mul(v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), vs), off0 + ldb4 * 3, m, c0 + 3);
  return cnt;
}

// Packs rows [i0, i0+rows) of uint8 A (row stride lda) into a compact panel of the columns that
// are non-zero in at least one of those rows: P(cnt, 4) with P[kk*4 + r] = scale·A[i0+r][k_kk], and
// koff[kk] = k_kk·ldb4, the byte offset of row k_kk of the GEMM's right operand. Returns cnt.
// Dropping a column is exact: it would add 0·w. MNIST digits are ~80% zero pixels, and 4 digits
// share most of their background, so a panel keeps roughly 40% of the 784 columns.
// 16 columns at a time: 4 row loads, widen to f32, 4×4 transposes, branch-free compaction.
export function pack_a4_nz_u8(p: usize, koff: usize, a: usize, lda: i32, i0: i32, rows: i32, K: i32, scale: f32, ldb4: i32): i32 {
  const vs = f32x4.splat(scale);
  const zero = i8x16.splat(0);
  const r0p = a + <usize>i0 * <usize>lda;
  const ld = <usize>lda;
  let cnt = 0;
  for (let k0 = 0; k0 < K; k0 += 16) {
    // rows past `rows` read as zero; lanes past K are masked (their bytes belong to the next row)
    const o = <usize>k0;
    let x0 = v128.load(r0p + o);
    let x1 = rows > 1 ? v128.load(r0p + ld + o) : zero;
    let x2 = rows > 2 ? v128.load(r0p + ld * 2 + o) : zero;
    let x3 = rows > 3 ? v128.load(r0p + ld * 3 + o) : zero;
    if (K - k0 < 16) {
      const valid = i8x16.lt_u(i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), i8x16.splat(<i8>(K - k0)));
      x0 = v128.and(x0, valid); x1 = v128.and(x1, valid); x2 = v128.and(x2, valid); x3 = v128.and(x3, valid);
    }
    const any = v128.or(v128.or(x0, x1), v128.or(x2, x3));
    const m = i8x16.bitmask(i8x16.ne(any, zero));
    if (m == 0) continue; // the image border: a whole block of background
    const off = k0 * ldb4;
    if (m & 0x000f) cnt = keep_group(p, koff, cnt, u8x16_lo_lo(x0), u8x16_lo_lo(x1), u8x16_lo_lo(x2), u8x16_lo_lo(x3), vs, off, ldb4, m, 0);
    if (m & 0x00f0) cnt = keep_group(p, koff, cnt, u8x16_lo_hi(x0), u8x16_lo_hi(x1), u8x16_lo_hi(x2), u8x16_lo_hi(x3), vs, off + ldb4 * 4, ldb4, m, 4);
    if (m & 0x0f00) cnt = keep_group(p, koff, cnt, u8x16_hi_lo(x0), u8x16_hi_lo(x1), u8x16_hi_lo(x2), u8x16_hi_lo(x3), vs, off + ldb4 * 8, ldb4, m, 8);
    if (m & 0xf000) cnt = keep_group(p, koff, cnt, u8x16_hi_hi(x0), u8x16_hi_hi(x1), u8x16_hi_hi(x2), u8x16_hi_hi(x3), vs, off + ldb4 * 12, ldb4, m, 12);
  }
  return cnt;
}

// C(rows ≤ 4, N) = bias + P(K, 4)ᵀ · Bm(K, N).  C row stride ldc, Bm row stride ldb; bias may be 0.
// 4×8 output tile: 8 v128 accumulators (V8 spills past ~12 live vectors).
export function gemm_panel4(c: usize, ldc: i32, p: usize, bm: usize, ldb: i32, K: i32, N: i32, rows: i32, bias: usize): void {
  panel4(c, ldc, p, 0, bm, ldb, K, N, rows, bias, false);
}

// The same over a compact panel: entry kk of P multiplies row koff[kk]/(4·ldb) of Bm (see pack_a4_nz_u8).
export function gemm_panel4_gather(c: usize, ldc: i32, p: usize, koff: usize, bm: usize, ldb: i32, cnt: i32, N: i32, rows: i32, bias: usize): void {
  panel4(c, ldc, p, koff, bm, ldb, cnt, N, rows, bias, true);
}

// `gather` is a constant at both (inlined) call sites, so each gets its own branch-free loop.
@inline function panel4(c: usize, ldc: i32, p: usize, koff: usize, bm: usize, ldb: i32, K: i32, N: i32, rows: i32, bias: usize, gather: bool): void {
  const ldb4 = <usize>ldb * 4;
  const ldc4 = <usize>ldc * 4;
  for (let j = 0; j < N; j += 8) {
    if (N - j > 8 && N - j <= 12) {
      // last 9..12 columns (N = 10 for the digit classes): one 4×12 tile instead of 4×8 + a
      // latency-bound 4-column tail
      panel4x12(c + <usize>j * 4, ldc4, p, koff, bm + <usize>j * 4, ldb4, K, N - j, rows, bias ? bias + <usize>j * 4 : 0, gather);
      break;
    }
    const ncols = min(8, N - j);
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    if (bias) { c00 = v128.load(bias + <usize>j * 4); c01 = v128.load(bias + <usize>j * 4, 16); }
    let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
    const bj = bm + <usize>j * 4;
    let pp = p;
    let bk = bj; // row k of Bm when dense (pointer bumps: V8 keeps a multiply in the loop otherwise)
    let kp = koff;
    if (ncols > 4) {
      for (let k = 0; k < K; k++) {
        const bp = gather ? bj + <usize>load<i32>(kp) : bk;
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        let a = v128.load32_splat(pp);
        c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
        a = v128.load32_splat(pp, 4);
        c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
        a = v128.load32_splat(pp, 8);
        c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
        a = v128.load32_splat(pp, 12);
        c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
        pp += 16; bk += ldb4; kp += 4;
      }
    } else {
      // 4-column tail: split K in two interleaved chains to keep more adds in flight
      let d0 = f32x4.splat(0), d1 = d0, d2 = d0, d3 = d0;
      let k = 0;
      for (; k + 2 <= K; k += 2) {
        const b0 = v128.load(gather ? bj + <usize>load<i32>(kp) : bk);
        const b1 = v128.load(gather ? bj + <usize>load<i32>(kp, 4) : bk + ldb4);
        c00 = madd(v128.load32_splat(pp), b0, c00);
        c10 = madd(v128.load32_splat(pp, 4), b0, c10);
        c20 = madd(v128.load32_splat(pp, 8), b0, c20);
        c30 = madd(v128.load32_splat(pp, 12), b0, c30);
        d0 = madd(v128.load32_splat(pp, 16), b1, d0);
        d1 = madd(v128.load32_splat(pp, 20), b1, d1);
        d2 = madd(v128.load32_splat(pp, 24), b1, d2);
        d3 = madd(v128.load32_splat(pp, 28), b1, d3);
        pp += 32; bk += ldb4 * 2; kp += 8;
      }
      if (k < K) {
        const b0 = v128.load(gather ? bj + <usize>load<i32>(kp) : bk);
        c00 = madd(v128.load32_splat(pp), b0, c00);
        c10 = madd(v128.load32_splat(pp, 4), b0, c10);
        c20 = madd(v128.load32_splat(pp, 8), b0, c20);
        c30 = madd(v128.load32_splat(pp, 12), b0, c30);
      }
      c00 = f32x4.add(c00, d0); c10 = f32x4.add(c10, d1); c20 = f32x4.add(c20, d2); c30 = f32x4.add(c30, d3);
    }
    const cp = c + <usize>j * 4;
    store_row8(cp, c00, c01, ncols);
    if (rows > 1) store_row8(cp + ldc4, c10, c11, ncols);
    if (rows > 2) store_row8(cp + ldc4 * 2, c20, c21, ncols);
    if (rows > 3) store_row8(cp + ldc4 * 3, c30, c31, ncols);
  }
}

// C(K, N) += scale · A(M, K)ᵀ · Bm(M, N); A has elements of T (f32 or u8) and row stride lda,
// Bm row stride ldb, C row stride N. Aᵀ is read in place: 2×16 output tile, 8 accumulators.
export function gemm_tn_acc<T>(c: usize, a: usize, lda: i32, bm: usize, ldb: i32, M: i32, K: i32, N: i32, scale: f32): void {
  const esz = <usize>sizeof<T>();
  const lda_b = <usize>lda * esz;
  const ldb4 = <usize>ldb * 4;
  const vscale = f32x4.splat(scale);
  for (let k = 0; k < K; k += 2) {
    const two = k + 1 < K;
    const k1 = two ? k + 1 : k; // an odd last row reads row k twice and stores it once
    const c0 = c + <usize>k * <usize>N * 4;
    const c1 = c0 + <usize>N * 4;
    for (let j = 0; j < N; j += 16) {
      const ncols = min(16, N - j);
      let s00 = f32x4.splat(0), s01 = s00, s02 = s00, s03 = s00;
      let s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      let ap = a + <usize>k * esz;
      let bp = bm + <usize>j * 4;
      if (ncols > 8) {
        for (let i = 0; i < M; i++) {
          const x0 = f32x4.splat(<f32>load<T>(ap));
          const x1 = f32x4.splat(<f32>load<T>(ap + <usize>(k1 - k) * esz));
          const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
          s00 = madd(x0, b0, s00); s01 = madd(x0, b1, s01);
          s02 = madd(x0, b2, s02); s03 = madd(x0, b3, s03);
          s10 = madd(x1, b0, s10); s11 = madd(x1, b1, s11);
          s12 = madd(x1, b2, s12); s13 = madd(x1, b3, s13);
          ap += lda_b; bp += ldb4;
        }
      } else {
        for (let i = 0; i < M; i++) {
          const x0 = f32x4.splat(<f32>load<T>(ap));
          const x1 = f32x4.splat(<f32>load<T>(ap + <usize>(k1 - k) * esz));
          const b0 = v128.load(bp), b1 = v128.load(bp, 16);
          s00 = madd(x0, b0, s00); s01 = madd(x0, b1, s01);
          s10 = madd(x1, b0, s10); s11 = madd(x1, b1, s11);
          ap += lda_b; bp += ldb4;
        }
      }
      const p0 = c0 + <usize>j * 4;
      acc_row16(p0, s00, s01, s02, s03, vscale, ncols);
      if (two) acc_row16(c1 + <usize>j * 4, s10, s11, s12, s13, vscale, ncols);
    }
  }
}

// gemm_tn_acc for f32 A and a narrow N (≤ 12: the classes), vectorised along K instead: a tile of
// 8 columns of A (two f32x4 loaded from a row of A) × 5 columns of Bm (splats), 10 accumulators,
// where the 2×16 tile of gemm_tn_acc wastes 6 of 16 lanes at N = 10 and splats A. Each output
// sums its rows in order from 0 and is added as c + s·scale, as in gemm_tn_acc: the same bits.
// The last K mod 8 columns of A go to gemm_tn_acc.
export function gemm_tn_acc_n12(c: usize, a: usize, lda: i32, bm: usize, ldb: i32, M: i32, K: i32, N: i32, scale: f32): void {
  const lda4 = <usize>lda * 4;
  const ldb4 = <usize>ldb * 4;
  const N4 = <usize>N * 4;
  let k = 0;
  for (; k + 8 <= K; k += 8) {
    for (let j = 0; j < N; j += 5) {
      const nj = min(5, N - j);
      // byte offsets of the group's columns in a row of Bm (a missing column reads column j, unstored)
      const o0 = <usize>j * 4;
      const o1 = nj > 1 ? o0 + 4 : o0, o2 = nj > 2 ? o0 + 8 : o0, o3 = nj > 3 ? o0 + 12 : o0, o4 = nj > 4 ? o0 + 16 : o0;
      let s00 = f32x4.splat(0), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00, s40 = s00, s41 = s00;
      let ap = a + <usize>k * 4;
      let bp = bm;
      for (let i = 0; i < M; i++) {
        const x0 = v128.load(ap), x1 = v128.load(ap, 16);
        let d = v128.load32_splat(bp + o0);
        s00 = madd(x0, d, s00); s01 = madd(x1, d, s01);
        d = v128.load32_splat(bp + o1);
        s10 = madd(x0, d, s10); s11 = madd(x1, d, s11);
        d = v128.load32_splat(bp + o2);
        s20 = madd(x0, d, s20); s21 = madd(x1, d, s21);
        d = v128.load32_splat(bp + o3);
        s30 = madd(x0, d, s30); s31 = madd(x1, d, s31);
        d = v128.load32_splat(bp + o4);
        s40 = madd(x0, d, s40); s41 = madd(x1, d, s41);
        ap += lda4; bp += ldb4;
      }
      const cj = c + <usize>k * N4 + o0;
      acc_col8_tn(cj, N4, s00, s01, scale);
      if (nj > 1) acc_col8_tn(cj + 4, N4, s10, s11, scale);
      if (nj > 2) acc_col8_tn(cj + 8, N4, s20, s21, scale);
      if (nj > 3) acc_col8_tn(cj + 12, N4, s30, s31, scale);
      if (nj > 4) acc_col8_tn(cj + 16, N4, s40, s41, scale);
    }
  }
  if (k < K) gemm_tn_acc<f32>(c + <usize>k * N4, a + <usize>k * 4, lda, bm, ldb, M, K - k, N, scale);
}

// gemm_tn_acc for f32 A, with gemm_tn_acc_n12's tile for narrow N: what dense layers call.
export function gemm_tn_acc_f32(c: usize, a: usize, lda: i32, bm: usize, ldb: i32, M: i32, K: i32, N: i32, scale: f32): void {
  if (N <= 12) gemm_tn_acc_n12(c, a, lda, bm, ldb, M, K, N, scale);
  else gemm_tn_acc<f32>(c, a, lda, bm, ldb, M, K, N, scale);
}

// c[r·ld] += s·scale for r < 8, s the lanes of v0 then v1 (a column of 8 outputs of gemm_tn_acc_n12).
@inline function acc_col8_tn(c: usize, ld: usize, v0: v128, v1: v128, scale: f32): void {
  store<f32>(c, load<f32>(c) + f32x4.extract_lane(v0, 0) * scale);
  store<f32>(c + ld, load<f32>(c + ld) + f32x4.extract_lane(v0, 1) * scale);
  store<f32>(c + ld * 2, load<f32>(c + ld * 2) + f32x4.extract_lane(v0, 2) * scale);
  store<f32>(c + ld * 3, load<f32>(c + ld * 3) + f32x4.extract_lane(v0, 3) * scale);
  const c4 = c + ld * 4;
  store<f32>(c4, load<f32>(c4) + f32x4.extract_lane(v1, 0) * scale);
  store<f32>(c4 + ld, load<f32>(c4 + ld) + f32x4.extract_lane(v1, 1) * scale);
  store<f32>(c4 + ld * 2, load<f32>(c4 + ld * 2) + f32x4.extract_lane(v1, 2) * scale);
  store<f32>(c4 + ld * 3, load<f32>(c4 + ld * 3) + f32x4.extract_lane(v1, 3) * scale);
}

@inline function acc_row16(p: usize, s0: v128, s1: v128, s2: v128, s3: v128, vscale: v128, ncols: i32): void {
  store_cols(p, f32x4.add(v128.load(p), f32x4.mul(s0, vscale)), ncols);
  if (ncols > 4) store_cols(p + 16, f32x4.add(v128.load(p, 16), f32x4.mul(s1, vscale)), ncols - 4);
  if (ncols > 8) store_cols(p + 32, f32x4.add(v128.load(p, 32), f32x4.mul(s2, vscale)), ncols - 8);
  if (ncols > 12) store_cols(p + 48, f32x4.add(v128.load(p, 48), f32x4.mul(s3, vscale)), ncols - 12);
}

// dst(C, R) = src(R, C)ᵀ, in 4×4 blocks where possible.
export function transpose(dst: usize, src: usize, R: i32, C: i32): void {
  let i = 0;
  for (; i + 4 <= R; i += 4) {
    let j = 0;
    for (; j + 4 <= C; j += 4) {
      const s = src + (<usize>i * <usize>C + <usize>j) * 4;
      const r0 = v128.load(s), r1 = v128.load(s + <usize>C * 4), r2 = v128.load(s + <usize>C * 8), r3 = v128.load(s + <usize>C * 12);
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // a0 b0 a1 b1
      const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5); // c0 d0 c1 d1
      const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // a2 b2 a3 b3
      const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7); // c2 d2 c3 d3
      const d = dst + (<usize>j * <usize>R + <usize>i) * 4;
      v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
      v128.store(d + <usize>R * 4, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
      v128.store(d + <usize>R * 8, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5));
      v128.store(d + <usize>R * 12, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7));
    }
    for (; j < C; j++)
      for (let ii = i; ii < i + 4; ii++)
        store<f32>(dst + (<usize>j * <usize>R + <usize>ii) * 4, load<f32>(src + (<usize>ii * <usize>C + <usize>j) * 4));
  }
  for (; i < R; i++)
    for (let j = 0; j < C; j++)
      store<f32>(dst + (<usize>j * <usize>R + <usize>i) * 4, load<f32>(src + (<usize>i * <usize>C + <usize>j) * 4));
}

// db(N) += Σ_i dz(M, N)[i]
export function colsum_acc(db: usize, dz: usize, M: i32, N: i32): void {
  colsum_acc_ld(db, dz, M, N, N);
}

// The same over N columns of a matrix with row stride ld (a column range of a wider dz).
// Four (or two) column groups at a time: one add chain per group is bound by the add latency (a conv's
// dz has tens of thousands of rows), four chains are not. Each column still sums its rows in order.
export function colsum_acc_ld(db: usize, dz: usize, M: i32, N: i32, ld: i32): void {
  const ld4 = <usize>ld * 4;
  let j = 0;
  for (; j + 16 <= N; j += 16) {
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    let p = dz + <usize>j * 4;
    for (let i = 0; i < M; i++) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      p += ld4;
    }
    const d = db + <usize>j * 4;
    v128.store(d, f32x4.add(v128.load(d), s0)); v128.store(d, f32x4.add(v128.load(d, 16), s1), 16);
    v128.store(d, f32x4.add(v128.load(d, 32), s2), 32); v128.store(d, f32x4.add(v128.load(d, 48), s3), 48);
  }
  if (j + 8 <= N) {
    let s0 = f32x4.splat(0), s1 = s0;
    let p = dz + <usize>j * 4;
    for (let i = 0; i < M; i++) { s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16)); p += ld4; }
    const d = db + <usize>j * 4;
    v128.store(d, f32x4.add(v128.load(d), s0)); v128.store(d, f32x4.add(v128.load(d, 16), s1), 16);
    j += 8;
  }
  for (; j + 4 <= N; j += 4) {
    let s = f32x4.splat(0);
    let p = dz + <usize>j * 4;
    for (let i = 0; i < M; i++) { s = f32x4.add(s, v128.load(p)); p += ld4; }
    v128.store(db + <usize>j * 4, f32x4.add(v128.load(db + <usize>j * 4), s));
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    for (let i = 0; i < M; i++) s += load<f32>(dz + (<usize>i * <usize>ld + <usize>j) * 4);
    store<f32>(db + <usize>j * 4, load<f32>(db + <usize>j * 4) + s);
  }
}

// Row lists for gemm_tn_acc_u8_nz: one 16-byte entry per batch row, in static data (kernels
// take no scratch pointer here; a second thread would need its own copy).
const TN_CHUNK: i32 = 256;
const tn_list: usize = memory.data(TN_CHUNK * 16, 16);

// C(K, N) += scale · A(M, K)ᵀ · Bm(M, N) for uint8 A (row stride lda), skipping zeros: for each
// pair of columns k, k+1 of A, a chunk of rows is first compacted to the rows where either is
// non-zero (entry: byte offset of row i of Bm, A[i][k], A[i][k+1]), then a 2×16 tile runs over
// that list. Exact: a skipped row would add 0·b. MNIST pixel pairs are non-zero in ~25% of rows.
export function gemm_tn_acc_u8_nz(c: usize, a: usize, lda: i32, bm: usize, ldb: i32, M: i32, K: i32, N: i32, scale: f32): void {
  gemm_tn_acc_u8_nz_list(c, a, lda, bm, ldb, M, K, N, scale, tn_list);
}

// gemm_tn_acc_u8_nz with its row list at `list` (TN_LIST_BYTES): a thread passes its own scratch.
export const TN_LIST_BYTES: i32 = TN_CHUNK * 16;
export function gemm_tn_acc_u8_nz_list(c: usize, a: usize, lda: i32, bm: usize, ldb: i32, M: i32, K: i32, N: i32, scale: f32, list: usize): void {
  const ldb4 = ldb * 4;
  const vscale = f32x4.splat(scale);
  for (let i0 = 0; i0 < M; i0 += TN_CHUNK) {
    const rows = min(TN_CHUNK, M - i0);
    for (let k = 0; k < K; k += 2) {
      const two = k + 1 < K;
      // compact the chunk's rows (branch-free: store always, advance when kept)
      let cnt = 0;
      let ap = a + <usize>i0 * <usize>lda + <usize>k;
      let off = i0 * ldb4;
      for (let i = 0; i < rows; i++) {
        const v0 = <i32>load<u8>(ap);
        const v1 = two ? <i32>load<u8>(ap, 1) : 0;
        const e = list + <usize>cnt * 16;
        store<i32>(e, off);
        store<f32>(e, <f32>v0, 4);
        store<f32>(e, <f32>v1, 8);
        cnt += i32((v0 | v1) != 0);
        ap += <usize>lda; off += ldb4;
      }
      if (cnt == 0) continue;
      const c0 = c + <usize>k * <usize>N * 4;
      const c1 = c0 + <usize>N * 4;
      for (let j = 0; j < N; j += 16) {
        const ncols = min(16, N - j);
        let s00 = f32x4.splat(0), s01 = s00, s02 = s00, s03 = s00;
        let s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        const bj = bm + <usize>j * 4;
        let e = list;
        const end = list + <usize>cnt * 16;
        if (ncols > 8) {
          for (; e < end; e += 16) {
            const bp = bj + <usize>load<i32>(e);
            const x0 = v128.load32_splat(e, 4);
            const x1 = v128.load32_splat(e, 8);
            const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
            s00 = madd(x0, b0, s00); s01 = madd(x0, b1, s01);
            s02 = madd(x0, b2, s02); s03 = madd(x0, b3, s03);
            s10 = madd(x1, b0, s10); s11 = madd(x1, b1, s11);
            s12 = madd(x1, b2, s12); s13 = madd(x1, b3, s13);
          }
        } else {
          for (; e < end; e += 16) {
            const bp = bj + <usize>load<i32>(e);
            const x0 = v128.load32_splat(e, 4);
            const x1 = v128.load32_splat(e, 8);
            const b0 = v128.load(bp), b1 = v128.load(bp, 16);
            s00 = madd(x0, b0, s00); s01 = madd(x0, b1, s01);
            s10 = madd(x1, b0, s10); s11 = madd(x1, b1, s11);
          }
        }
        acc_row16(c0 + <usize>j * 4, s00, s01, s02, s03, vscale, ncols);
        if (two) acc_row16(c1 + <usize>j * 4, s10, s11, s12, s13, vscale, ncols);
      }
    }
  }
}

const NARROW_ROWS: i32 = 128; // rows of A per chunk
const NARROW_BLOCKS: i32 = 128; // 8-column blocks listed at once (K ≤ 1024)
// Per block of 8 columns, the chunk's rows with a non-zero byte there: (8 bytes, offset of the
// row of Bm). Static, as kernels take no scratch pointer here (a second thread needs its own).
// A list's stride is padded off a power of two: list heads 2 KiB apart alias modulo 4 KiB and
// the core then falsely orders loads after unrelated stores (measured: 7.2 ns instead of 1.3 ns
// per row and block).
const NARROW_LIST_STRIDE: i32 = NARROW_ROWS * 16 + 80;
const narrow_lists: usize = memory.data(NARROW_BLOCKS * NARROW_LIST_STRIDE, 16);
const narrow_counts: usize = memory.data(NARROW_BLOCKS * 4, 16);

// C(K, N) += scale · A(M, K)ᵀ · Bm(M, N) for uint8 A and a narrow N (the seed network's 10
// classes), vectorised along K instead: a tile of 8 columns of A (two f32x4 along k) × 5 columns
// of Bm, 10 accumulators, no wasted lanes. For a chunk of rows, each row is read once, in order,
// and each of its non-zero 8-byte blocks is appended to that block's list (branch-free: store
// always, advance when kept; MNIST keeps ~40%). Reading A column-block by column-block instead
// strides 784 bytes per row and was memory-latency bound (3.4 ns vs 1.2 ns per row and block).
// The accumulators hold Cᵀ and are added into C once per block and chunk.
export function gemm_tn_acc_u8_narrow(c: usize, a: usize, lda: i32, bm: usize, ldb: i32, M: i32, K: i32, N: i32, scale: f32): void {
  gemm_tn_acc_u8_narrow_lists(c, a, lda, bm, ldb, M, K, N, scale, narrow_lists, narrow_counts);
}

// gemm_tn_acc_u8_narrow with its lists and counts elsewhere (NARROW_LISTS_BYTES, then
// NARROW_COUNTS_BYTES): a thread passes its own scratch.
export const NARROW_LISTS_BYTES: i32 = NARROW_BLOCKS * NARROW_LIST_STRIDE;
export const NARROW_COUNTS_BYTES: i32 = NARROW_BLOCKS * 4;
export function gemm_tn_acc_u8_narrow_lists(c: usize, a: usize, lda: i32, bm: usize, ldb: i32, M: i32, K: i32, N: i32, scale: f32, narrow_lists: usize, narrow_counts: usize): void {
  const ldb4 = ldb * 4;
  for (let kb0 = 0; kb0 < K; kb0 += NARROW_BLOCKS * 8) {
    const kend = min(K, kb0 + NARROW_BLOCKS * 8);
    const nblocks = (kend - kb0 + 7) >> 3;
    for (let i0 = 0; i0 < M; i0 += NARROW_ROWS) {
      const rows = min(NARROW_ROWS, M - i0);
      memory.fill(narrow_counts, 0, <usize>nblocks * 4);
      let ap = a + <usize>i0 * <usize>lda + <usize>kb0;
      let off = i0 * ldb4;
      for (let i = 0; i < rows; i++) {
        let blk = 0;
        let cp = narrow_counts;
        let lp = narrow_lists;
        for (let k0 = kb0; k0 + 8 <= kend; k0 += 8) {
          const xb = load<u64>(ap + <usize>(k0 - kb0));
          const n = load<i32>(cp);
          const e = lp + <usize>n * 16;
          store<u64>(e, xb);
          store<i32>(e, off, 8);
          store<i32>(cp, n + i32(xb != 0));
          cp += 4; lp += <usize>NARROW_LIST_STRIDE; blk++;
        }
        if (blk < nblocks) {
          // last partial block: bytes past K belong to the next row, keep the low ones only
          const nk = kend - (kb0 + blk * 8);
          const xb = load<u64>(ap + <usize>(blk * 8)) & ((<u64>1 << <u64>(8 * nk)) - 1);
          const n = load<i32>(cp);
          store<u64>(lp + <usize>n * 16, xb);
          store<i32>(lp + <usize>n * 16, off, 8);
          store<i32>(cp, n + i32(xb != 0));
        }
        ap += <usize>lda; off += ldb4;
      }
      const b0 = bm;
      for (let blk = 0; blk < nblocks; blk++) {
        const cnt = load<i32>(narrow_counts + <usize>blk * 4);
        if (cnt == 0) continue;
        const k0 = kb0 + blk * 8;
        const nk = min(8, K - k0);
        const list = narrow_lists + <usize>blk * <usize>NARROW_LIST_STRIDE;
        const end = list + <usize>cnt * 16;
        for (let j0 = 0; j0 < N; j0 += 5) {
          let s00 = f32x4.splat(0), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00, s40 = s00, s41 = s00;
          const bj = b0 + <usize>j0 * 4;
          for (let e = list; e < end; e += 16) {
            const x16 = i16x8.extend_low_i8x16_u(v128.load64_zero(e));
            const x0 = f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(x16));
            const x1 = f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(x16));
            const bp = bj + <usize>load<i32>(e, 8);
            let d = v128.load32_splat(bp);
            s00 = madd(x0, d, s00); s01 = madd(x1, d, s01);
            d = v128.load32_splat(bp, 4);
            s10 = madd(x0, d, s10); s11 = madd(x1, d, s11);
            d = v128.load32_splat(bp, 8);
            s20 = madd(x0, d, s20); s21 = madd(x1, d, s21);
            d = v128.load32_splat(bp, 12);
            s30 = madd(x0, d, s30); s31 = madd(x1, d, s31);
            d = v128.load32_splat(bp, 16);
            s40 = madd(x0, d, s40); s41 = madd(x1, d, s41);
          }
          // columns j0+jj ≥ N read the next row of Bm: computed, never stored
          const nj = min(5, N - j0);
          acc_col8(c, N, k0, j0, s00, s01, scale, nk);
          if (nj > 1) acc_col8(c, N, k0, j0 + 1, s10, s11, scale, nk);
          if (nj > 2) acc_col8(c, N, k0, j0 + 2, s20, s21, scale, nk);
          if (nj > 3) acc_col8(c, N, k0, j0 + 3, s30, s31, scale, nk);
          if (nj > 4) acc_col8(c, N, k0, j0 + 4, s40, s41, scale, nk);
        }
      }
    }
  }
}

// C[k0 + l][j] += scale · (v0 ‖ v1)[l] for l < nk (C row stride N).
@inline function acc_col8(c: usize, N: i32, k0: i32, j: i32, v0: v128, v1: v128, scale: f32, nk: i32): void {
  const p = c + (<usize>k0 * <usize>N + <usize>j) * 4;
  const st = <usize>N * 4;
  store<f32>(p, load<f32>(p) + scale * f32x4.extract_lane(v0, 0));
  if (nk > 1) store<f32>(p + st, load<f32>(p + st) + scale * f32x4.extract_lane(v0, 1));
  if (nk > 2) store<f32>(p + st * 2, load<f32>(p + st * 2) + scale * f32x4.extract_lane(v0, 2));
  if (nk > 3) store<f32>(p + st * 3, load<f32>(p + st * 3) + scale * f32x4.extract_lane(v0, 3));
  if (nk > 4) store<f32>(p + st * 4, load<f32>(p + st * 4) + scale * f32x4.extract_lane(v1, 0));
  if (nk > 5) store<f32>(p + st * 5, load<f32>(p + st * 5) + scale * f32x4.extract_lane(v1, 1));
  if (nk > 6) store<f32>(p + st * 6, load<f32>(p + st * 6) + scale * f32x4.extract_lane(v1, 2));
  if (nk > 7) store<f32>(p + st * 7, load<f32>(p + st * 7) + scale * f32x4.extract_lane(v1, 3));
}

// Keeps column (lane) L of a zipped pair vector when bit c of m is set (see pack_a2_nz_u8).
@inline function keep_col2<L>(p: usize, koff: usize, cnt: i32, v: v128, off: i32, m: i32, c: i32): i32 {
  v128.store64_lane(p + <usize>cnt * 8, v, <u8>(sizeof<L>() - 1));
  store<i32>(koff + <usize>cnt * 4, off);
  return cnt + ((m >>> c) & 1);
}

// Zips one 4-column group of two widened rows into (row0, row1) pairs and keeps the non-zero ones.
@inline function keep_group2(p: usize, koff: usize, cnt: i32, r0: v128, r1: v128, vs: v128, off0: i32, ldb4: i32, m: i32, c0: i32): i32 {
  const lo = f32x4.mul(v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), vs); // a0 b0 a1 b1
  const hi = f32x4.mul(v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), vs); // a2 b2 a3 b3
  cnt = keep_col2<u8>(p, koff, cnt, lo, off0, m, c0);
  cnt = keep_col2<u16>(p, koff, cnt, lo, off0 + ldb4, m, c0 + 1);
  cnt = keep_col2<u8>(p, koff, cnt, hi, off0 + ldb4 * 2, m, c0 + 2);
  cnt = keep_col2<u16>(p, koff, cnt, hi, off0 + ldb4 * 3, m, c0 + 3);
  return cnt;
}

// The 2-row version of pack_a4_nz_u8: P(cnt, 2) with P[kk*2 + r] = scale·A[i0+r][k_kk] over the
// columns non-zero in either row. Two MNIST digits share less background than four: a 2-row
// panel keeps ~30% of the columns, a 4-row one ~39%.
export function pack_a2_nz_u8(p: usize, koff: usize, a: usize, lda: i32, i0: i32, rows: i32, K: i32, scale: f32, ldb4: i32): i32 {
  const vs = f32x4.splat(scale);
  const zero = i8x16.splat(0);
  const r0p = a + <usize>i0 * <usize>lda;
  let cnt = 0;
  for (let k0 = 0; k0 < K; k0 += 16) {
    let x0 = v128.load(r0p + <usize>k0);
    let x1 = rows > 1 ? v128.load(r0p + <usize>lda + <usize>k0) : zero;
    if (K - k0 < 16) {
      const valid = i8x16.lt_u(i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), i8x16.splat(<i8>(K - k0)));
      x0 = v128.and(x0, valid); x1 = v128.and(x1, valid);
    }
    const m = i8x16.bitmask(i8x16.ne(v128.or(x0, x1), zero));
    if (m == 0) continue;
    const off = k0 * ldb4;
    if (m & 0x000f) cnt = keep_group2(p, koff, cnt, u8x16_lo_lo(x0), u8x16_lo_lo(x1), vs, off, ldb4, m, 0);
    if (m & 0x00f0) cnt = keep_group2(p, koff, cnt, u8x16_lo_hi(x0), u8x16_lo_hi(x1), vs, off + ldb4 * 4, ldb4, m, 4);
    if (m & 0x0f00) cnt = keep_group2(p, koff, cnt, u8x16_hi_lo(x0), u8x16_hi_lo(x1), vs, off + ldb4 * 8, ldb4, m, 8);
    if (m & 0xf000) cnt = keep_group2(p, koff, cnt, u8x16_hi_hi(x0), u8x16_hi_hi(x1), vs, off + ldb4 * 12, ldb4, m, 12);
  }
  return cnt;
}

// C(rows ≤ 2, N) = bias + P(cnt, 2)ᵀ · Bm[koff rows]: a 2×16 tile (8 accumulators) over a compact
// 2-row panel. Tails load whole vectors past the last column and store only the valid lanes.
export function gemm_panel2_gather(c: usize, ldc: i32, p: usize, koff: usize, bm: usize, cnt: i32, N: i32, rows: i32, bias: usize): void {
  const ldc4 = <usize>ldc * 4;
  for (let j = 0; j < N; j += 16) {
    const ncols = min(16, N - j);
    let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00;
    if (bias) { const bb = bias + <usize>j * 4; c00 = v128.load(bb); c01 = v128.load(bb, 16); c02 = v128.load(bb, 32); c03 = v128.load(bb, 48); }
    let c10 = c00, c11 = c01, c12 = c02, c13 = c03;
    const bj = bm + <usize>j * 4;
    let pp = p;
    let kp = koff;
    const end = koff + <usize>cnt * 4;
    for (; kp < end; kp += 4) {
      const bp = bj + <usize>load<i32>(kp);
      const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
      let a = v128.load32_splat(pp);
      c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
      c02 = madd(a, b2, c02); c03 = madd(a, b3, c03);
      a = v128.load32_splat(pp, 4);
      c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
      c12 = madd(a, b2, c12); c13 = madd(a, b3, c13);
      pp += 8;
    }
    const cp = c + <usize>j * 4;
    store_row16(cp, c00, c01, c02, c03, ncols);
    if (rows > 1) store_row16(cp + ldc4, c10, c11, c12, c13, ncols);
  }
}

@inline function store_row16(p: usize, v0: v128, v1: v128, v2: v128, v3: v128, ncols: i32): void {
  store_cols(p, v0, ncols);
  if (ncols > 4) store_cols(p + 16, v1, ncols - 4);
  if (ncols > 8) store_cols(p + 32, v2, ncols - 8);
  if (ncols > 12) store_cols(p + 48, v3, ncols - 12);
}

// C(rows ≤ 4, N) += P(K, 4)ᵀ · Bm(K, N): gemm_panel4 that accumulates into C instead of
// overwriting it (the conv filter gradient sums chunks of im2col rows). C row stride ldc, Bm row
// stride ldb. 4×8 tile, 8 accumulators; tails load whole vectors and store only valid lanes.
export function gemm_panel4_acc(c: usize, ldc: i32, p: usize, bm: usize, ldb: i32, K: i32, N: i32, rows: i32): void {
  const ldb4 = <usize>ldb * 4;
  const ldc4 = <usize>ldc * 4;
  for (let j = 0; j < N; j += 8) {
    const ncols = min(8, N - j);
    let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    let pp = p;
    let bk = bm + <usize>j * 4;
    if (ncols > 4) {
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bk);
        const b1 = v128.load(bk, 16);
        let a = v128.load32_splat(pp);
        c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
        a = v128.load32_splat(pp, 4);
        c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
        a = v128.load32_splat(pp, 8);
        c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
        a = v128.load32_splat(pp, 12);
        c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
        pp += 16; bk += ldb4;
      }
    } else {
      // 4-column tail: two interleaved chains over k (the c?1 accumulators are free here)
      let k = 0;
      for (; k + 2 <= K; k += 2) {
        const b0 = v128.load(bk);
        const b1 = v128.load(bk + ldb4);
        c00 = madd(v128.load32_splat(pp), b0, c00);
        c10 = madd(v128.load32_splat(pp, 4), b0, c10);
        c20 = madd(v128.load32_splat(pp, 8), b0, c20);
        c30 = madd(v128.load32_splat(pp, 12), b0, c30);
        c01 = madd(v128.load32_splat(pp, 16), b1, c01);
        c11 = madd(v128.load32_splat(pp, 20), b1, c11);
        c21 = madd(v128.load32_splat(pp, 24), b1, c21);
        c31 = madd(v128.load32_splat(pp, 28), b1, c31);
        pp += 32; bk += ldb4 * 2;
      }
      if (k < K) {
        const b0 = v128.load(bk);
        c00 = madd(v128.load32_splat(pp), b0, c00);
        c10 = madd(v128.load32_splat(pp, 4), b0, c10);
        c20 = madd(v128.load32_splat(pp, 8), b0, c20);
        c30 = madd(v128.load32_splat(pp, 12), b0, c30);
      }
      c00 = f32x4.add(c00, c01); c10 = f32x4.add(c10, c11); c20 = f32x4.add(c20, c21); c30 = f32x4.add(c30, c31);
      c01 = f32x4.splat(0); c11 = c01; c21 = c01; c31 = c01;
    }
    const cp = c + <usize>j * 4;
    acc_row8(cp, c00, c01, ncols);
    if (rows > 1) acc_row8(cp + ldc4, c10, c11, ncols);
    if (rows > 2) acc_row8(cp + ldc4 * 2, c20, c21, ncols);
    if (rows > 3) acc_row8(cp + ldc4 * 3, c30, c31, ncols);
  }
}

@inline function acc_row8(p: usize, v0: v128, v1: v128, ncols: i32): void {
  store_cols(p, f32x4.add(v128.load(p), v0), ncols);
  if (ncols > 4) store_cols(p + 16, f32x4.add(v128.load(p, 16), v1), ncols - 4);
}

// C(rows ≤ 4, N) += Σ_i a_i ⊗ Bm[i, :] with a_i = (A[tab_i + t0], A[tab_i + t1], A[tab_i + t2],
// A[tab_i + t3]): gemm_panel4_acc whose panel is gathered in the loop instead of packed — tab
// (K u32) holds a base address per row of Bm, t0..t3 byte offsets from it (the conv filter
// gradient: a window's address per output pixel and four taps). For a narrow N (one or two
// 8-column blocks) packing a panel cost as much as the multiply-adds.
export function gemm_gather4_acc(c: usize, ldc: i32, tab: usize, t0: usize, t1: usize, t2: usize, t3: usize, bm: usize, ldb: i32, K: i32, N: i32, rows: i32): void {
  const ldb4 = <usize>ldb * 4;
  const ldc4 = <usize>ldc * 4;
  const end = tab + <usize>K * 4;
  for (let j = 0; j < N; j += 8) {
    const ncols = min(8, N - j);
    let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    let bk = bm + <usize>j * 4;
    for (let tp = tab; tp < end; tp += 4) {
      const base = <usize>load<u32>(tp);
      const b0 = v128.load(bk);
      const b1 = v128.load(bk, 16);
      let a = v128.load32_splat(base + t0);
      c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
      a = v128.load32_splat(base + t1);
      c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
      a = v128.load32_splat(base + t2);
      c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
      a = v128.load32_splat(base + t3);
      c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
      bk += ldb4;
    }
    const cp = c + <usize>j * 4;
    acc_row8(cp, c00, c01, ncols);
    if (rows > 1) acc_row8(cp + ldc4, c10, c11, ncols);
    if (rows > 2) acc_row8(cp + ldc4 * 2, c20, c21, ncols);
    if (rows > 3) acc_row8(cp + ldc4 * 3, c30, c31, ncols);
  }
}

// C(1, N) += Σ_i A[tab_i + t0] · Bm[i, :]: the one-row case of gemm_gather4_acc (the last tap of
// a layer whose K·K·C is 1 mod 4), which would otherwise pay for four rows. Up to 32 columns per
// pass (8 accumulators); narrower passes for the last 16 or 8 columns. Tails store valid lanes only.
export function gemm_gather1_acc(c: usize, tab: usize, t0: usize, bm: usize, ldb: i32, K: i32, N: i32): void {
  const ldb4 = <usize>ldb * 4;
  const end = tab + <usize>K * 4;
  for (let j = 0; j < N; j += 32) {
    const ncols = min(32, N - j);
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    let bk = bm + <usize>j * 4;
    if (ncols > 16) {
      for (let tp = tab; tp < end; tp += 4) {
        const a = v128.load32_splat(<usize>load<u32>(tp) + t0);
        s0 = madd(a, v128.load(bk), s0); s1 = madd(a, v128.load(bk, 16), s1);
        s2 = madd(a, v128.load(bk, 32), s2); s3 = madd(a, v128.load(bk, 48), s3);
        s4 = madd(a, v128.load(bk, 64), s4); s5 = madd(a, v128.load(bk, 80), s5);
        s6 = madd(a, v128.load(bk, 96), s6); s7 = madd(a, v128.load(bk, 112), s7);
        bk += ldb4;
      }
    } else {
      // ≤ 16 columns: two rows per trip into two sets of accumulators (more adds in flight)
      let tp = tab;
      for (; tp + 4 < end; tp += 8) {
        const a = v128.load32_splat(<usize>load<u32>(tp) + t0);
        const e = v128.load32_splat(<usize>load<u32>(tp, 4) + t0);
        const bn = bk + ldb4;
        s0 = madd(a, v128.load(bk), s0); s1 = madd(a, v128.load(bk, 16), s1);
        s4 = madd(e, v128.load(bn), s4); s5 = madd(e, v128.load(bn, 16), s5);
        if (ncols > 8) {
          s2 = madd(a, v128.load(bk, 32), s2); s3 = madd(a, v128.load(bk, 48), s3);
          s6 = madd(e, v128.load(bn, 32), s6); s7 = madd(e, v128.load(bn, 48), s7);
        }
        bk += ldb4 * 2;
      }
      if (tp < end) {
        const a = v128.load32_splat(<usize>load<u32>(tp) + t0);
        s0 = madd(a, v128.load(bk), s0); s1 = madd(a, v128.load(bk, 16), s1);
        s2 = madd(a, v128.load(bk, 32), s2); s3 = madd(a, v128.load(bk, 48), s3);
      }
      s0 = f32x4.add(s0, s4); s1 = f32x4.add(s1, s5); s2 = f32x4.add(s2, s6); s3 = f32x4.add(s3, s7);
    }
    const cp = c + <usize>j * 4;
    acc_row8(cp, s0, s1, ncols);
    if (ncols > 8) acc_row8(cp + 32, s2, s3, ncols - 8);
    if (ncols > 16) acc_row8(cp + 64, s4, s5, ncols - 16);
    if (ncols > 24) acc_row8(cp + 96, s6, s7, ncols - 24);
  }
}
