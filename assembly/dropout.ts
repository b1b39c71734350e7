// Inverted dropout. The mask comes from a counter-based hash of (seed, index), so it needs no
// RNG state, is identical in the TypeScript backend, and a resumed run redraws the same masks.

// lowbias32 (Chris Wellons): a fast, well-mixed 32-bit integer hash
@inline export function hash32(x: u32): u32 {
  x ^= x >> 16;
  x *= 0x7feb352d;
  x ^= x >> 15;
  x *= 0x846ca68b;
  x ^= x >> 16;
  return x;
}

// mask[i] = hash(seed + i·φ) < threshold ? 0 : 1/(1−p);  a[i] *= mask[i]
// threshold = floor(p·2³²), computed by the caller.  a, mask: (n)
export function dropout_forward(a: usize, mask: usize, n: i32, threshold: u32, keep_scale: f32, seed: u32): void {
  for (let i = 0; i < n; i++) {
    const m: f32 = hash32(seed + <u32>i * 0x9e3779b9) < threshold ? 0 : keep_scale;
    const o = <usize>i * 4;
    store<f32>(mask + o, m);
    store<f32>(a + o, load<f32>(a + o) * m);
  }
}

// g[i] *= mask[i]   (the gradient through the same mask)
export function dropout_backward(g: usize, mask: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i * 4;
    v128.store(g + o, f32x4.mul(v128.load(g + o), v128.load(mask + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i * 4;
    store<f32>(g + o, load<f32>(g + o) * load<f32>(mask + o));
  }
}
