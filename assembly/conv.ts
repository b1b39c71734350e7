// Convolution layers (no dilation) as GEMMs over im2col rows, built on the micro-kernels in gemm.ts.
// Activations NHWC, weights HWIO as TF.js/Keras: x: (B, H, W, C), w: (K, K, C, F), b: (F),
// z, a, dz: (B, OH, OW, F). Output pixel (oy, ox) reads input row oy·S − padT + ky and column
// ox·S − padL + kx (ky, kx in [0, K)); positions outside the image read 0.
//
// The im2col row of output pixel (b, oy, ox) is the concatenation over (ky, kx) of the C-long
// channel vector x[b, iy, ix, :] (zeros outside), KKC = K·K·C long, and w viewed as (KKC, F) is
// exactly HWIO, so with M = B·OH·OW:
//   forward          z(M, F)    = cols(M, KKC) · w(KKC, F) + b
//   backward filter  dw(KKC, F) += cols(M, KKC)ᵀ · dz(M, F),   db(F) += Σ_rows dz
//   backward data    dcols(M, KKC) = dz(M, F) · wᵀ(F, KKC), scattered back onto dx (col2im)
// The column matrix is never materialised: the forward packs 4 im2col rows straight into the
// transposed panel gemm_panel4 consumes; the filter gradient packs 4 im2col columns over a chunk
// of rows into a panel for gemm_panel4_acc; the data gradient keeps 4 rows of dcols at a time.
// Pointers are byte addresses into the arena; sizes are elements. Scratch layouts are below and
// convScratchSlots in src/model/arena.ts mirrors them (it takes the max of the three).
import { gemm_panel4, gemm_panel4_acc, pack_a4, transpose, transpose4_store, colsum_acc } from "./gemm";
import { act_rows, act_grad_rows } from "./activations";

const INV_255: f32 = <f32>1 / <f32>255;

/** im2col rows per chunk of the filter gradient: the dz chunk (BF_ROWS·F floats) stays in L1/L2. */
export const BF_ROWS: i32 = 128;

// Four consecutive channels at s as f32x4: a plain load for f32, widened bytes times scale for u8.
@inline function load_ch4<T>(s: usize, vs: v128): v128 {
  if (isFloat<T>()) return v128.load(s);
  return f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(s)))), vs);
}

@inline function load_ch1<T>(s: usize, scale: f32): f32 {
  if (isFloat<T>()) return load<f32>(s);
  return <f32>load<T>(s) * scale;
}

// The address of x[b, iy, ix, 0] (img = address of x[b, 0, 0, 0]) or of the zero row when the
// position lies in the padding. Unsigned compares catch negative rows and columns too.
@inline function pixel_addr(img: usize, zero: usize, iy: i32, ix: i32, H: i32, W: i32, rowBytes: usize, pixBytes: usize): usize {
  return (<u32>iy < <u32>H && <u32>ix < <u32>W) ? img + <usize>iy * rowBytes + <usize>ix * pixBytes : zero;
}

// Packs the im2col rows of output pixels [i0, i0+rows) (flattened over (b, oy, ox)) into the panel
// P(KKC, 4): P[k·4 + r] = scale·cols[i0+r][k]; rows ≥ `rows` read the zero row. C ≥ 4 moves channel
// vectors of the four pixels through 4×4 transposes; channel tails go scalar.
// info: 16 i32 of scratch (per panel row: iy0, ix0, image address). zero: ≥ C zero floats.
@inline function pack_im2col4<T>(p: usize, info: usize, zero: usize, x: usize, i0: i32, rows: i32, H: i32, W: i32, C: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scale: f32): void {
  const esz = <usize>sizeof<T>();
  const pixBytes = <usize>C * esz;
  const rowBytes = <usize>W * pixBytes;
  const imgBytes = <usize>H * rowBytes;
  const OHW = OH * OW;
  let b = i0 / OHW;
  const rem = i0 - b * OHW;
  let oy = rem / OW;
  let ox = rem - oy * OW;
  for (let r = 0; r < 4; r++) {
    const e = info + <usize>r * 16;
    if (r < rows) {
      store<i32>(e, oy * S - padT);
      store<i32>(e, ox * S - padL, 4);
      store<u32>(e, <u32>(x + <usize>b * imgBytes), 8);
      if (++ox == OW) { ox = 0; if (++oy == OH) { oy = 0; b++; } }
    } else {
      store<i32>(e, H); // every ky lands outside: reads the zero row
      store<i32>(e, 0, 4);
      store<u32>(e, <u32>zero, 8);
    }
  }
  const vs = f32x4.splat(scale);
  const iy0 = load<i32>(info), iy1 = load<i32>(info, 16), iy2 = load<i32>(info, 32), iy3 = load<i32>(info, 48);
  const ix0 = load<i32>(info, 4), ix1 = load<i32>(info, 20), ix2 = load<i32>(info, 36), ix3 = load<i32>(info, 52);
  const im0 = <usize>load<u32>(info, 8), im1 = <usize>load<u32>(info, 24), im2 = <usize>load<u32>(info, 40), im3 = <usize>load<u32>(info, 56);
  let dst = p;
  for (let ky = 0; ky < K; ky++) {
    for (let kx = 0; kx < K; kx++) {
      const s0 = pixel_addr(im0, zero, iy0 + ky, ix0 + kx, H, W, rowBytes, pixBytes);
      const s1 = pixel_addr(im1, zero, iy1 + ky, ix1 + kx, H, W, rowBytes, pixBytes);
      const s2 = pixel_addr(im2, zero, iy2 + ky, ix2 + kx, H, W, rowBytes, pixBytes);
      const s3 = pixel_addr(im3, zero, iy3 + ky, ix3 + kx, H, W, rowBytes, pixBytes);
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c * esz;
        transpose4_store(dst, load_ch4<T>(s0 + o, vs), load_ch4<T>(s1 + o, vs), load_ch4<T>(s2 + o, vs), load_ch4<T>(s3 + o, vs));
        dst += 64;
      }
      for (; c < C; c++) {
        const o = <usize>c * esz;
        store<f32>(dst, load_ch1<T>(s0 + o, scale));
        store<f32>(dst, load_ch1<T>(s1 + o, scale), 4);
        store<f32>(dst, load_ch1<T>(s2 + o, scale), 8);
        store<f32>(dst, load_ch1<T>(s3 + o, scale), 12);
        dst += 16;
      }
    }
  }
}

// Forward scratch (slots): panel 4·KKC | info 16 | zero row C4 (C rounded up to 4).
@inline function conv_forward_t<T>(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act: i32, scratch: usize, scale: f32): void {
  const KKC = K * K * C;
  const M = B * OH * OW;
  const panel = scratch;
  const info = panel + <usize>KKC * 16;
  const zero = info + 64;
  memory.fill(zero, 0, <usize>((C + 3) & ~3) * 4);
  const ldz = <usize>F * 4;
  for (let i0 = 0; i0 < M; i0 += 4) {
    const rows = min(4, M - i0);
    pack_im2col4<T>(panel, info, zero, x, i0, rows, H, W, C, K, S, padT, padL, OH, OW, scale);
    const zr = z + <usize>i0 * ldz;
    gemm_panel4(zr, F, panel, w, F, KKC, F, rows, b);
    act_rows(a + <usize>i0 * ldz, zr, rows, F, F, act); // fused epilogue while the rows are in L1
  }
}

// Overwrites z = conv(x, w) + b and a = act(z) (a may equal z).
// x: (B, H, W, C) f32, w: (K, K, C, F), b: (F), z, a: (B, OH, OW, F).
export function conv_forward(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act: i32, scratch: usize): void {
  conv_forward_t<f32>(a, z, x, w, b, B, H, W, C, F, K, S, padT, padL, OH, OW, act, scratch, 1);
}

// The same with x: (B, H, W, C) uint8 pixels, scaled by 1/255 while packing (the first layer).
export function conv_forward_u8(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act: i32, scratch: usize): void {
  conv_forward_t<u8>(a, z, x, w, b, B, H, W, C, F, K, S, padT, padL, OH, OW, act, scratch, INV_255);
}

// Filter-gradient scratch (slots), R = min(BF_ROWS, B·OH·OW):
//   offsets K·K·R (u32: address of the input pixel, or of the zero row, per (ky, kx) and chunk row)
//   | panel 4·R | zero row C4.
// Per chunk of R im2col rows: build the offset table once, then for each group of 4 im2col
// columns k0..k0+3 pack P(R, 4) = cols[chunk, k0..k0+3] (one channel vector per row when C % 4 == 0)
// and accumulate dw[k0..k0+3, :] += Pᵀ·dz[chunk, :]. The accumulators live across the whole chunk,
// so dw is read and written once per chunk, and the dz chunk is re-read from cache per group.
@inline function conv_backward_filter_t<T>(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize, scale: f32): void {
  const esz = <usize>sizeof<T>();
  const KK = K * K;
  const KKC = KK * C;
  const M = B * OH * OW;
  if (M <= 0) return;
  const R = min(BF_ROWS, M);
  const offs = scratch;
  const panel = offs + <usize>KK * <usize>R * 4;
  const zero = panel + <usize>R * 16;
  memory.fill(zero, 0, <usize>((C + 3) & ~3) * 4);
  const pixBytes = <usize>C * esz;
  const rowBytes = <usize>W * pixBytes;
  const imgBytes = <usize>H * rowBytes;
  const tabBytes = <usize>R * 4;
  const vs = f32x4.splat(scale);
  const ldz = <usize>F * 4;
  let b = 0, oy = 0, ox = 0; // the pixel of chunk row 0, carried across chunks
  for (let i0 = 0; i0 < M; i0 += R) {
    const rows = min(R, M - i0);
    for (let i = 0; i < rows; i++) {
      const iy0 = oy * S - padT, ix0 = ox * S - padL;
      const img = x + <usize>b * imgBytes;
      let e = offs + <usize>i * 4;
      for (let ky = 0; ky < K; ky++) {
        for (let kx = 0; kx < K; kx++) {
          store<u32>(e, <u32>pixel_addr(img, zero, iy0 + ky, ix0 + kx, H, W, rowBytes, pixBytes));
          e += tabBytes;
        }
      }
      if (++ox == OW) { ox = 0; if (++oy == OH) { oy = 0; b++; } }
    }
    const dzc = dz + <usize>i0 * ldz;
    for (let k0 = 0; k0 < KKC; k0 += 4) {
      const nk = min(4, KKC - k0);
      if ((C & 3) == 0) {
        const kk = k0 / C;
        const co = <usize>(k0 - kk * C) * esz;
        const tab = offs + <usize>kk * tabBytes;
        for (let i = 0; i < rows; i++) v128.store(panel + <usize>i * 16, load_ch4<T>(<usize>load<u32>(tab + <usize>i * 4) + co, vs));
      } else {
        for (let r = 0; r < 4; r++) {
          const dst = panel + <usize>r * 4;
          if (r < nk) {
            const k = k0 + r;
            const kk = k / C;
            const co = <usize>(k - kk * C) * esz;
            const tab = offs + <usize>kk * tabBytes;
            for (let i = 0; i < rows; i++) store<f32>(dst + <usize>i * 16, load_ch1<T>(<usize>load<u32>(tab + <usize>i * 4) + co, scale));
          } else {
            for (let i = 0; i < rows; i++) store<f32>(dst + <usize>i * 16, 0);
          }
        }
      }
      gemm_panel4_acc(dw + <usize>k0 * ldz, F, panel, dzc, F, rows, F, nk);
    }
  }
  colsum_acc(db, dz, M, F);
}

// Accumulates dw += Σ patch(x)ᵀ·dz (over every output pixel of the batch) and db += Σ dz: the
// caller zeroes the gradients once per step, and accumulation lets gradients of several calls sum.
// dz: (B, OH, OW, F), x: (B, H, W, C) f32, dw: (K, K, C, F), db: (F).
export function conv_backward_filter(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize): void {
  conv_backward_filter_t<f32>(dw, db, dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch, 1);
}

// The same with x: (B, H, W, C) uint8 pixels, scaled by 1/255 while packing (the first layer).
export function conv_backward_filter_u8(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize): void {
  conv_backward_filter_t<u8>(dw, db, dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch, INV_255);
}

// Overwrites dx = convᵀ(dz, w) ⊙ act_prev'(z_prev), the gradient w.r.t. the input x = act_prev(z_prev).
// dz: (B, OH, OW, F), w: (K, K, C, F), dx, z_prev: (B, H, W, C); z_prev is not read when act_prev is 0.
// Scratch (slots): wᵀ F·KKC | panel 4·F | dcols 4·KKC.
// w is transposed once per call; per 4 rows of dz: pack, dcols(4, KKC) = dz·wᵀ, then col2im adds
// each (ky, kx) slice of a dcols row onto its input pixel. An image's dx is zeroed just before its
// first row and gets act' right after its last one, while it is still in cache.
export function conv_backward_data(dx: usize, dz: usize, w: usize, z_prev: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act_prev: i32, scratch: usize): void {
  const KKC = K * K * C;
  const OHW = OH * OW;
  const M = B * OHW;
  const img = H * W * C;
  const imgBytes = <usize>img * 4;
  const pixBytes = <usize>C * 4;
  const rowBytes = <usize>W * pixBytes;
  const wt = scratch;
  const panel = wt + <usize>F * <usize>KKC * 4;
  const dcols = panel + <usize>F * 16;
  if (M <= 0) {
    memory.fill(dx, 0, <usize>B * imgBytes);
    return;
  }
  transpose(wt, w, KKC, F);
  let zeroed = 0; // images of dx zeroed so far
  let done = 0; // images finished (act' applied)
  let b = 0, oy = 0, ox = 0;
  for (let i0 = 0; i0 < M; i0 += 4) {
    const rows = min(4, M - i0);
    const last = (i0 + rows - 1) / OHW;
    for (; zeroed <= last; zeroed++) memory.fill(dx + <usize>zeroed * imgBytes, 0, imgBytes);
    pack_a4<f32>(panel, dz, F, i0, rows, F, 1);
    gemm_panel4(dcols, KKC, panel, wt, KKC, F, KKC, rows, 0);
    for (let r = 0; r < rows; r++) {
      const iy0 = oy * S - padT, ix0 = ox * S - padL;
      const dimg = dx + <usize>b * imgBytes;
      let src = dcols + <usize>r * <usize>KKC * 4;
      for (let ky = 0; ky < K; ky++) {
        const iy = iy0 + ky;
        if (<u32>iy >= <u32>H) { src += <usize>K * pixBytes; continue; }
        for (let kx = 0; kx < K; kx++) {
          const ix = ix0 + kx;
          if (<u32>ix < <u32>W) {
            const d = dimg + <usize>iy * rowBytes + <usize>ix * pixBytes;
            let c = 0;
            for (; c + 4 <= C; c += 4) {
              const o = <usize>c * 4;
              v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(src + o)));
            }
            for (; c < C; c++) {
              const o = <usize>c * 4;
              store<f32>(d + o, load<f32>(d + o) + load<f32>(src + o));
            }
          }
          src += pixBytes;
        }
      }
      if (++ox == OW) { ox = 0; if (++oy == OH) { oy = 0; b++; } }
    }
    const fin = (i0 + rows) / OHW;
    for (; done < fin; done++) act_grad_rows(dx + <usize>done * imgBytes, z_prev + <usize>done * imgBytes, 1, img, img, act_prev);
  }
}
