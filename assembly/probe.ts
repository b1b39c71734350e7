// The machine's limit, measured: the mul+add throughput of f32x4 with 8 independent accumulators
// (the 4×8 register tile of the GEMM micro-kernel) and operands loaded from a 1 KiB block that
// stays in L1: no memory traffic beyond L1. Operands come from loads, not registers, because V8's
// two-operand SSE code then needs no register copies. A chained probe (c = c·m + a) would measure
// the mul→add latency instead, and the GEMM would seem to beat "the peak".
// FLOPs = iters · 8 accumulators · 4 lanes · 2 (mul + add). `block` points at 1 KiB of floats.
export function peak_probe(iters: i32, block: usize): f32 {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  let p = block;
  const end = block + 1024 - 48;
  for (let i = 0; i < iters; i += 4) {
    // four k-steps per trip, as the GEMM's inner loop streams rows of B
    for (let u = 0; u < 4; u++) {
      const b0 = v128.load(p);
      const b1 = v128.load(p, 16);
      let a = v128.load32_splat(p, 32);
      c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
      a = v128.load32_splat(p, 36);
      c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
      a = v128.load32_splat(p, 40);
      c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
      a = v128.load32_splat(p, 44);
      c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
      p += 32;
    }
    if (p >= end) p = block;
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c00, c01), f32x4.add(c10, c11)), f32x4.add(f32x4.add(c20, c21), f32x4.add(c30, c31)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
