// Register-blocked f32x4 GEMM micro-kernels. Row-major everywhere; pointers are byte addresses.
// Tails: a tile that runs past the last column loads whole vectors (the arena keeps 16 bytes of
// padding after its last region, and lanes are independent) but stores only the valid lanes.

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
export function pack_a4<T>(p: usize, a: usize, lda: i32, i0: i32, rows: i32, K: i32, scale: f32): void {
  const esz = <usize>sizeof<T>();
  for (let r = 0; r < 4; r++) {
    const dst = p + <usize>r * 4;
    if (r < rows) {
      const src = a + <usize>(i0 + r) * <usize>lda * esz;
      for (let k = 0; k < K; k++) store<f32>(dst + <usize>k * 16, <f32>load<T>(src + <usize>k * esz) * scale);
    } else {
      for (let k = 0; k < K; k++) store<f32>(dst + <usize>k * 16, 0);
    }
  }
}

// C(rows ≤ 4, N) = bias + P(K, 4)ᵀ · Bm(K, N).  C row stride ldc, Bm row stride ldb; bias may be 0.
// 4×8 output tile: 8 v128 accumulators (V8 spills past ~12 live vectors).
export function gemm_panel4(c: usize, ldc: i32, p: usize, bm: usize, ldb: i32, K: i32, N: i32, rows: i32, bias: usize): void {
  const ldb4 = <usize>ldb * 4;
  const ldc4 = <usize>ldc * 4;
  for (let j = 0; j < N; j += 8) {
    const ncols = min(8, N - j);
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    if (bias) { c00 = v128.load(bias + <usize>j * 4); c01 = v128.load(bias + <usize>j * 4, 16); }
    let c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
    let bp = bm + <usize>j * 4;
    let pp = p;
    if (ncols > 4) {
      for (let k = 0; k < K; k++) {
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
        bp += ldb4; pp += 16;
      }
    } else {
      // 4-column tail: split K in two interleaved chains to keep more adds in flight
      let d0 = f32x4.splat(0), d1 = d0, d2 = d0, d3 = d0;
      let k = 0;
      for (; k + 2 <= K; k += 2) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp + ldb4);
        c00 = f32x4.add(c00, f32x4.mul(v128.load32_splat(pp), b0));
        c10 = f32x4.add(c10, f32x4.mul(v128.load32_splat(pp, 4), b0));
        c20 = f32x4.add(c20, f32x4.mul(v128.load32_splat(pp, 8), b0));
        c30 = f32x4.add(c30, f32x4.mul(v128.load32_splat(pp, 12), b0));
        d0 = f32x4.add(d0, f32x4.mul(v128.load32_splat(pp, 16), b1));
        d1 = f32x4.add(d1, f32x4.mul(v128.load32_splat(pp, 20), b1));
        d2 = f32x4.add(d2, f32x4.mul(v128.load32_splat(pp, 24), b1));
        d3 = f32x4.add(d3, f32x4.mul(v128.load32_splat(pp, 28), b1));
        bp += ldb4 * 2; pp += 32;
      }
      if (k < K) {
        const b0 = v128.load(bp);
        c00 = f32x4.add(c00, f32x4.mul(v128.load32_splat(pp), b0));
        c10 = f32x4.add(c10, f32x4.mul(v128.load32_splat(pp, 4), b0));
        c20 = f32x4.add(c20, f32x4.mul(v128.load32_splat(pp, 8), b0));
        c30 = f32x4.add(c30, f32x4.mul(v128.load32_splat(pp, 12), b0));
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
// When nz ≠ 0 it holds a byte per column k of A, zero where the whole column is zero: those rows
// of C receive nothing and are skipped.
export function gemm_tn_acc<T>(c: usize, a: usize, lda: i32, bm: usize, ldb: i32, M: i32, K: i32, N: i32, scale: f32, nz: usize): void {
  const esz = <usize>sizeof<T>();
  const lda_b = <usize>lda * esz;
  const ldb4 = <usize>ldb * 4;
  const vscale = f32x4.splat(scale);
  for (let k = 0; k < K; k += 2) {
    const two = k + 1 < K;
    if (nz && load<u8>(nz + <usize>k) == 0 && (!two || load<u8>(nz + <usize>k + 1) == 0)) continue;
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
          s00 = f32x4.add(s00, f32x4.mul(x0, b0)); s01 = f32x4.add(s01, f32x4.mul(x0, b1));
          s02 = f32x4.add(s02, f32x4.mul(x0, b2)); s03 = f32x4.add(s03, f32x4.mul(x0, b3));
          s10 = f32x4.add(s10, f32x4.mul(x1, b0)); s11 = f32x4.add(s11, f32x4.mul(x1, b1));
          s12 = f32x4.add(s12, f32x4.mul(x1, b2)); s13 = f32x4.add(s13, f32x4.mul(x1, b3));
          ap += lda_b; bp += ldb4;
        }
      } else {
        for (let i = 0; i < M; i++) {
          const x0 = f32x4.splat(<f32>load<T>(ap));
          const x1 = f32x4.splat(<f32>load<T>(ap + <usize>(k1 - k) * esz));
          const b0 = v128.load(bp), b1 = v128.load(bp, 16);
          s00 = f32x4.add(s00, f32x4.mul(x0, b0)); s01 = f32x4.add(s01, f32x4.mul(x0, b1));
          s10 = f32x4.add(s10, f32x4.mul(x1, b0)); s11 = f32x4.add(s11, f32x4.mul(x1, b1));
          ap += lda_b; bp += ldb4;
        }
      }
      const p0 = c0 + <usize>j * 4;
      acc_row16(p0, s00, s01, s02, s03, vscale, ncols);
      if (two) acc_row16(c1 + <usize>j * 4, s10, s11, s12, s13, vscale, ncols);
    }
  }
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
  let j = 0;
  for (; j + 4 <= N; j += 4) {
    let s = f32x4.splat(0);
    let p = dz + <usize>j * 4;
    for (let i = 0; i < M; i++) { s = f32x4.add(s, v128.load(p)); p += <usize>N * 4; }
    v128.store(db + <usize>j * 4, f32x4.add(v128.load(db + <usize>j * 4), s));
  }
  for (; j < N; j++) {
    let s: f32 = 0;
    for (let i = 0; i < M; i++) s += load<f32>(dz + (<usize>i * <usize>N + <usize>j) * 4);
    store<f32>(db + <usize>j * 4, load<f32>(db + <usize>j * 4) + s);
  }
}
