// Probes of the machine's limit, for the benchmark's denominator (bench/kernels.ts takes the best
// of them, re-measured beside the kernels). Each is a loop of f32x4 mul and add with no memory
// traffic beyond a 1 KiB block that stays in L1. They differ in accumulator count and loop form,
// because no single shape is the fastest on every CPU and V8 version:
//   peak_probe        8 accumulators, the GEMM's own 4×8 tile (two B vectors, four A splats, loaded)
//   peak_probe_2x16   8 accumulators, a 2×16 tile (four B vectors, two A splats, loaded)
//   peak_probe_regs   10 accumulators c += a·m with the two multipliers m held in registers
//   peak_probe_split  6 independent add chains and 6 independent mul chains: the pipes' issue
//                     rate for mul and add with no mul→add dependency at all
// A single chained accumulator (c = c·m + a) would measure the mul→add latency instead. Each
// returns a sum of its accumulators so that nothing is dead code. `block` points at 1 KiB of
// floats, all small positive values (the split probe multiplies by them: values near 1 keep its
// products normal). FLOPs: each f32x4 mul or add is 4.

// FLOPs = iters · 64 (8 accumulators · 4 lanes · mul + add).
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
  return hsum8(c00, c01, c10, c11, c20, c21, c30, c31);
}

// FLOPs = iters · 64 (8 accumulators · 4 lanes · mul + add).
export function peak_probe_2x16(iters: i32, block: usize): f32 {
  let c00 = f32x4.splat(0), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
  let p = block;
  const end = block + 1024 - 96;
  for (let i = 0; i < iters; i += 4) {
    for (let u = 0; u < 4; u++) {
      const b0 = v128.load(p), b1 = v128.load(p, 16), b2 = v128.load(p, 32), b3 = v128.load(p, 48);
      let a = v128.load32_splat(p, 64);
      c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
      c02 = f32x4.add(c02, f32x4.mul(a, b2)); c03 = f32x4.add(c03, f32x4.mul(a, b3));
      a = v128.load32_splat(p, 68);
      c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
      c12 = f32x4.add(c12, f32x4.mul(a, b2)); c13 = f32x4.add(c13, f32x4.mul(a, b3));
      p += 16;
    }
    if (p >= end) p = block;
  }
  return hsum8(c00, c01, c02, c03, c10, c11, c12, c13);
}

// FLOPs = iters · 80 (10 accumulators · 4 lanes · mul + add). Five a vectors loaded per step,
// two multipliers held in registers (ten distinct products, so nothing is common to fold);
// 13–14 live vectors, under V8's ~15 on x64.
export function peak_probe_regs(iters: i32, block: usize): f32 {
  const m0 = v128.load(block), m1 = v128.load(block, 16);
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
  let p = block;
  const end = block + 1024 - 128;
  for (let i = 0; i < iters; i += 4) {
    for (let u = 0; u < 4; u++) {
      let a = v128.load(p, 32);
      c0 = f32x4.add(c0, f32x4.mul(a, m0)); c1 = f32x4.add(c1, f32x4.mul(a, m1));
      a = v128.load(p, 48);
      c2 = f32x4.add(c2, f32x4.mul(a, m0)); c3 = f32x4.add(c3, f32x4.mul(a, m1));
      a = v128.load(p, 64);
      c4 = f32x4.add(c4, f32x4.mul(a, m0)); c5 = f32x4.add(c5, f32x4.mul(a, m1));
      a = v128.load(p, 80);
      c6 = f32x4.add(c6, f32x4.mul(a, m0)); c7 = f32x4.add(c7, f32x4.mul(a, m1));
      a = v128.load(p, 96);
      c8 = f32x4.add(c8, f32x4.mul(a, m0)); c9 = f32x4.add(c9, f32x4.mul(a, m1));
      p += 16;
    }
    if (p >= end) p = block;
  }
  const z = f32x4.splat(0);
  return hsum8(c0, c1, c2, c3, c4, c5, c6, c7) + hsum8(c8, c9, z, z, z, z, z, z);
}

// FLOPs = iters · 48 (6 add chains + 6 mul chains, 4 lanes each). The addend and the multiplier
// are loaded once (the compiler cannot fold a multiply by an unknown value); 14 live vectors.
export function peak_probe_split(iters: i32, block: usize): f32 {
  const k = v128.load(block), m = f32x4.splat(<f32>1 - <f32>1e-7 * load<f32>(block, 16));
  let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0;
  let p0 = f32x4.splat(1), p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0;
  for (let i = 0; i < iters; i += 4) {
    for (let u = 0; u < 4; u++) {
      s0 = f32x4.add(s0, k); p0 = f32x4.mul(p0, m); s1 = f32x4.add(s1, k); p1 = f32x4.mul(p1, m);
      s2 = f32x4.add(s2, k); p2 = f32x4.mul(p2, m); s3 = f32x4.add(s3, k); p3 = f32x4.mul(p3, m);
      s4 = f32x4.add(s4, k); p4 = f32x4.mul(p4, m); s5 = f32x4.add(s5, k); p5 = f32x4.mul(p5, m);
    }
  }
  const z = f32x4.splat(0);
  return hsum8(s0, s1, s2, s3, s4, s5, p0, p1) + hsum8(p2, p3, p4, p5, z, z, z, z);
}

// A clock estimate: `iters` trips of 8 dependent single-cycle integer ops (add, xor alternating,
// each needing the previous result), so a trip takes 8 cycles on any x86 or Arm core that runs
// simple integer ops at one-cycle latency; the loop counter runs alongside. cycles = 8·iters.
export function clock_probe(iters: i32, b: i32): i32 {
  let x = b;
  for (let i = 0; i < iters; i++) {
    x = (x + b) ^ i; x = (x + b) ^ i; x = (x + b) ^ i; x = (x + b) ^ i;
  }
  return x;
}

@inline function hsum8(a: v128, b: v128, c: v128, d: v128, e: v128, f: v128, g: v128, h: v128): f32 {
  const s = f32x4.add(f32x4.add(f32x4.add(a, b), f32x4.add(c, d)), f32x4.add(f32x4.add(e, f), f32x4.add(g, h)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
