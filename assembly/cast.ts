// dst[i] = <f32>src[i] · scale: uint8 pixels (src, n bytes) to floats (dst, n f32), e.g. scale 1/255
// for an image batch feeding a layer that only reads floats (pooling or batch norm first).
// OVERWRITES dst. Sixteen bytes widen to four f32x4 per step; the tail is scalar. The signed
// convert is exact here (values < 256) and one x64 instruction; V8 lowers the unsigned one to several.
export function cast_u8(dst: usize, src: usize, n: i32, scale: f32): void {
  const vs = f32x4.splat(scale);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const b = v128.load(src + <usize>i);
    const lo = i16x8.extend_low_i8x16_u(b), hi = i16x8.extend_high_i8x16_u(b);
    const o = dst + <usize>i * 4;
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(lo)), vs));
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(lo)), vs), 16);
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(hi)), vs), 32);
    v128.store(o, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_u(hi)), vs), 48);
  }
  for (; i < n; i++) store<f32>(dst + <usize>i * 4, <f32>load<u8>(src + <usize>i) * scale);
}
