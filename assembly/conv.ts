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
// of rows into a panel for gemm_panel4_acc (or gathers them inside the loop, gemm_gather4_acc);
// the data gradient keeps 4 rows of dcols at a time. First layers (C < 4, K·K·C tiny: packing
// would cost as much as the multiply-adds) copy each image with its padding made explicit and
// read taps straight from it: forward_c1 (C = 1, stride 1) and filter_small_c.
// Pointers are byte addresses into the arena; sizes are elements. Nothing is static: everything
// lives in the caller's scratch, whose layouts are given below; convScratchSlots in
// src/layers/scratch.ts mirrors them (the max over the kernels).
import { madd, gemm_panel4, gemm_panel4_acc, gemm_gather4_acc, gemm_gather1_acc, pack_a4, transpose, transpose4_store, colsum_acc, colsum_acc_ld } from "./gemm";
import { act_rows, act_grad_rows } from "./activations";
import { cast_u8 } from "./cast";

const INV_255: f32 = <f32>1 / <f32>255;

/** im2col rows per chunk of the filter gradient: the dz chunk (BF_ROWS·F floats) stays in L1/L2. */
export const BF_ROWS: i32 = 128;
const ACT_ROWS: i32 = 32;

// The address of x[b, iy, ix, 0] (img = address of x[b, 0, 0, 0]) or of the zero row when the
// position lies in the padding. Unsigned compares catch negative rows and columns too.
@inline function pixel_addr(img: usize, zero: usize, iy: i32, ix: i32, H: i32, W: i32, rowBytes: usize, pixBytes: usize): usize {
  return (<u32>iy < <u32>H && <u32>ix < <u32>W) ? img + <usize>iy * rowBytes + <usize>ix * pixBytes : zero;
}

// taps[k] = byte offset of im2col column k = (ky·K + kx)·C + c from the window's first pixel.
@inline function build_taps(taps: usize, W: i32, C: i32, K: i32): void {
  let e = taps;
  for (let ky = 0; ky < K; ky++)
    for (let kx = 0; kx < K; kx++)
      for (let c = 0; c < C; c++) {
        store<i32>(e, ((ky * W + kx) * C + c) * 4);
        e += 4;
      }
}

// Packs the im2col rows of output pixels [i0, i0+rows) (flattened over (b, oy, ox)) into the panel
// P(KKC, 4): P[k·4 + r] = cols[i0+r][k]. Rows ≥ `rows` repeat the last row (computed, never stored).
// C ≥ 4: channel vectors of the four pixels go through 4×4 transposes (tails scalar), the zero row
// standing in for padding. C < 4 (first layers): when all four windows lie inside the image, one
// load per column through the taps table — a single vector when the four windows are one pixel
// apart (stride 1, same output row); otherwise per element with bounds checks.
// info: 16 i32 (per panel row: iy0, ix0, image address; see conv_forward), inside: all four
// windows lie in the image. zero: ≥ C zero floats.
@inline function pack_im2col4(p: usize, info: usize, taps: usize, zero: usize, H: i32, W: i32, C: i32, K: i32, inside: bool): void {
  const pixBytes = <usize>C * 4;
  const rowBytes = <usize>W * pixBytes;
  const iy0 = load<i32>(info), iy1 = load<i32>(info, 16), iy2 = load<i32>(info, 32), iy3 = load<i32>(info, 48);
  const ix0 = load<i32>(info, 4), ix1 = load<i32>(info, 20), ix2 = load<i32>(info, 36), ix3 = load<i32>(info, 52);
  const im0 = <usize>load<u32>(info, 8), im1 = <usize>load<u32>(info, 24), im2 = <usize>load<u32>(info, 40), im3 = <usize>load<u32>(info, 56);
  if (C < 4 && inside) {
    const KKC = K * K * C;
    const w0 = im0 + <usize>iy0 * rowBytes + <usize>ix0 * pixBytes;
    const w1 = im1 + <usize>iy1 * rowBytes + <usize>ix1 * pixBytes;
    const w2 = im2 + <usize>iy2 * rowBytes + <usize>ix2 * pixBytes;
    const w3 = im3 + <usize>iy3 * rowBytes + <usize>ix3 * pixBytes;
    if (w1 == w0 + 4 && w2 == w0 + 8 && w3 == w0 + 12) {
      for (let k = 0; k < KKC; k++) v128.store(p + <usize>k * 16, v128.load(w0 + <usize>load<i32>(taps + <usize>k * 4)));
    } else {
      for (let k = 0; k < KKC; k++) {
        const o = <usize>load<i32>(taps + <usize>k * 4);
        const d = p + <usize>k * 16;
        store<f32>(d, load<f32>(w0 + o));
        store<f32>(d, load<f32>(w1 + o), 4);
        store<f32>(d, load<f32>(w2 + o), 8);
        store<f32>(d, load<f32>(w3 + o), 12);
      }
    }
    return;
  }
  let dst = p;
  for (let ky = 0; ky < K; ky++) {
    for (let kx = 0; kx < K; kx++) {
      const s0 = pixel_addr(im0, zero, iy0 + ky, ix0 + kx, H, W, rowBytes, pixBytes);
      const s1 = pixel_addr(im1, zero, iy1 + ky, ix1 + kx, H, W, rowBytes, pixBytes);
      const s2 = pixel_addr(im2, zero, iy2 + ky, ix2 + kx, H, W, rowBytes, pixBytes);
      const s3 = pixel_addr(im3, zero, iy3 + ky, ix3 + kx, H, W, rowBytes, pixBytes);
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c * 4;
        transpose4_store(dst, v128.load(s0 + o), v128.load(s1 + o), v128.load(s2 + o), v128.load(s3 + o));
        dst += 64;
      }
      for (; c < C; c++) {
        const o = <usize>c * 4;
        store<f32>(dst, load<f32>(s0 + o));
        store<f32>(dst, load<f32>(s1 + o), 4);
        store<f32>(dst, load<f32>(s2 + o), 8);
        store<f32>(dst, load<f32>(s3 + o), 12);
        dst += 16;
      }
    }
  }
}

// Slots the uint8 variants keep in front of the f32 kernel's scratch: one image as f32 (H·W·C,
// rounded up to 4). Converting each image once is cheaper than widening every pixel K·K times.
@inline function u8_image_slots(H: i32, W: i32, C: i32): i32 {
  return (H * W * C + 3) & ~3;
}

// Overwrites z = conv(x, w) + b and a = act(z) (a may equal z).
// x: (B, H, W, C) f32, w: (K, K, C, F), b: (F), z, a: (B, OH, OW, F).
// Scratch (slots): panel 4·KKC | info 16 | taps KKC | zero row C4 (C rounded up to 4).
// Per 4 output pixels: pack their im2col rows into the transposed panel gemm_panel4 consumes,
// z rows = panelᵀ·w + b; the activation follows every ACT_ROWS rows, while they are in L1.
export function conv_forward(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act: i32, scratch: usize): void {
  if (C == 1 && S == 1) {
    forward_c1<f32>(a, z, x, w, b, B, H, W, F, K, padT, padL, OH, OW, act, scratch, 1);
    return;
  }
  const KKC = K * K * C;
  const M = B * OH * OW;
  const panel = scratch;
  const info = panel + <usize>KKC * 16;
  const taps = info + 64;
  const zero = taps + <usize>KKC * 4;
  memory.fill(zero, 0, <usize>((C + 3) & ~3) * 4);
  build_taps(taps, W, C, K);
  const ldz = <usize>F * 4;
  const imgBytes = <usize>(H * W * C) * 4;
  let n = 0, oy = 0, ox = 0; // the next output pixel (no divisions per panel)
  let actFrom = 0; // rows before this one have their activation
  for (let i0 = 0; i0 < M; i0 += 4) {
    const rows = min(4, M - i0);
    let inside = true;
    for (let r = 0; r < 4; r++) {
      const e = info + <usize>r * 16;
      if (r < rows) {
        const iy0 = oy * S - padT, ix0 = ox * S - padL;
        store<i32>(e, iy0);
        store<i32>(e, ix0, 4);
        store<u32>(e, <u32>(x + <usize>n * imgBytes), 8);
        inside = inside && iy0 >= 0 && iy0 + K <= H && ix0 >= 0 && ix0 + K <= W;
        if (++ox == OW) { ox = 0; if (++oy == OH) { oy = 0; n++; } }
      } else {
        v128.store(e, v128.load(e - 16)); // repeat the last row
      }
    }
    pack_im2col4(panel, info, taps, zero, H, W, C, K, inside);
    gemm_panel4(z + <usize>i0 * ldz, F, panel, w, F, KKC, F, rows, b);
    // the activation over blocks of ACT_ROWS rows (contiguous in z), while they are in L1: per
    // panel it cost a quarter of the time when F is small
    const done = i0 + rows;
    if (done - actFrom >= ACT_ROWS || done == M) {
      const n = (done - actFrom) * F;
      act_rows(a + <usize>actFrom * ldz, z + <usize>actFrom * ldz, 1, n, n, act);
      actFrom = done;
    }
  }
}

// The same with x: (B, H, W, C) uint8 pixels scaled by 1/255 (the first layer). Scratch: one f32
// image (u8_image_slots), then conv_forward's; each image is converted, then convolved alone.
export function conv_forward_u8(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, act: i32, scratch: usize): void {
  if (C == 1 && S == 1) {
    forward_c1<u8>(a, z, x, w, b, B, H, W, F, K, padT, padL, OH, OW, act, scratch, INV_255);
    return;
  }
  const img = H * W * C;
  const xf = scratch;
  const rest = scratch + <usize>u8_image_slots(H, W, C) * 4;
  const out = <usize>(OH * OW * F) * 4;
  for (let n = 0; n < B; n++) {
    cast_u8(xf, x + <usize>n * <usize>img, img, INV_255);
    conv_forward(a + <usize>n * out, z + <usize>n * out, xf, w, b, 1, H, W, C, F, K, S, padT, padL, OH, OW, act, rest);
  }
}

// The forward of a one-channel, stride-1 layer (the first layer of an image net): KKC = K·K is
// tiny, so packing im2col panels would cost about as much as the multiply-adds. Instead the
// vectors run along output pixels: 8 adjacent pixels of an output row read the 8 adjacent input
// values of a tap with two plain loads. Tile: 8 pixels × 4 filters (8 accumulators; w entries
// splatted), transposed to NHWC on the way out. Image by image: copied (times scale) with its
// padding made explicit, so every window lies inside. The activation follows each output row.
// Scratch (slots): padded image Hp·Wp + 8 (Hp = OH + K − 1, Wp = OW + K − 1; the 8 lets the
// last row's loads run past) | taps K·K.
@inline function forward_c1<T>(a: usize, z: usize, x: usize, w: usize, b: usize, B: i32, H: i32, W: i32, F: i32, K: i32, padT: i32, padL: i32, OH: i32, OW: i32, act: i32, scratch: usize, scale: f32): void {
  const KK = K * K;
  const Hp = OH + K - 1, Wp = OW + K - 1;
  const xp = scratch;
  const taps = xp + <usize>(Hp * Wp + 8) * 4;
  memory.fill(xp + <usize>(Hp * Wp) * 4, 0, 32); // the slack feeds lanes never stored: keep it finite
  build_taps(taps, Wp, 1, K);
  const tend = taps + <usize>KK * 4;
  const esz = <usize>sizeof<T>();
  const ldz = <usize>F * 4;
  const rowOut = <usize>OW * ldz;
  const wstride = <usize>F * 4;
  for (let n = 0; n < B; n++) {
    pad_image<T>(xp, x + <usize>n * <usize>(H * W) * esz, H, W, 1, Hp, Wp, padT, padL, scale);
    for (let oy = 0; oy < OH; oy++) {
      const zrow = z + (<usize>n * <usize>OH + <usize>oy) * rowOut;
      for (let ox0 = 0; ox0 < OW; ox0 += 8) {
        const np = min(8, OW - ox0);
        const win = xp + (<usize>oy * <usize>Wp + <usize>ox0) * 4;
        for (let f0 = 0; f0 < F; f0 += 4) {
          const nf = min(4, F - f0);
          // lanes are pixels: aj (pixels 0..3) and ej (pixels 4..7) for filter f0 + j
          let a0 = v128.load32_splat(b + <usize>f0 * 4), a1 = a0, a2 = a0, a3 = a0;
          if (nf > 1) a1 = v128.load32_splat(b + <usize>f0 * 4, 4);
          if (nf > 2) a2 = v128.load32_splat(b + <usize>f0 * 4, 8);
          if (nf > 3) a3 = v128.load32_splat(b + <usize>f0 * 4, 12);
          let e0 = a0, e1 = a1, e2 = a2, e3 = a3;
          let wp = w + <usize>f0 * 4; // w[k, f0..f0+3]; filters ≥ F read the next row: never stored
          if (np <= 4) {
            // a row's last 1..4 pixels: half the tile
            for (let tp = taps; tp < tend; tp += 4) {
              const x0 = v128.load(win + <usize>load<i32>(tp));
              a0 = madd(v128.load32_splat(wp), x0, a0);
              a1 = madd(v128.load32_splat(wp, 4), x0, a1);
              a2 = madd(v128.load32_splat(wp, 8), x0, a2);
              a3 = madd(v128.load32_splat(wp, 12), x0, a3);
              wp += wstride;
            }
            store_pixels4(zrow + <usize>ox0 * ldz + <usize>f0 * 4, ldz, a0, a1, a2, a3, np, nf);
            continue;
          }
          for (let tp = taps; tp < tend; tp += 4) {
            const src = win + <usize>load<i32>(tp);
            const x0 = v128.load(src), x1 = v128.load(src, 16);
            let s = v128.load32_splat(wp);
            a0 = madd(s, x0, a0); e0 = madd(s, x1, e0);
            s = v128.load32_splat(wp, 4);
            a1 = madd(s, x0, a1); e1 = madd(s, x1, e1);
            s = v128.load32_splat(wp, 8);
            a2 = madd(s, x0, a2); e2 = madd(s, x1, e2);
            s = v128.load32_splat(wp, 12);
            a3 = madd(s, x0, a3); e3 = madd(s, x1, e3);
            wp += wstride;
          }
          const zp = zrow + <usize>ox0 * ldz + <usize>f0 * 4;
          store_pixels4(zp, ldz, a0, a1, a2, a3, min(4, np), nf);
          if (np > 4) store_pixels4(zp + ldz * 4, ldz, e0, e1, e2, e3, np - 4, nf);
        }
      }
      const m = OW * F;
      act_rows(a + (<usize>n * <usize>OH + <usize>oy) * rowOut, zrow, 1, m, m, act);
    }
  }
}

// v_j holds filter j for 4 pixels (lanes); stores pixel q's filters at p + q·ld, the first nf of
// them, for q < np.
@inline function store_pixels4(p: usize, ld: usize, v0: v128, v1: v128, v2: v128, v3: v128, np: i32, nf: i32): void {
  const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
  store_lanes(p, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), nf);
  if (np > 1) store_lanes(p + ld, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), nf);
  if (np > 2) store_lanes(p + ld * 2, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), nf);
  if (np > 3) store_lanes(p + ld * 3, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), nf);
}

@inline function store_lanes(p: usize, v: v128, n: i32): void {
  if (n >= 4) { v128.store(p, v); return; }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

// Table entries of taps (iy, ix0 + kx) for kx in [kx0, kx1), tabBytes apart from e; returns the next entry.
@inline function table_taps(e: usize, tabBytes: usize, img: usize, zero: usize, iy: i32, ix0: i32, kx0: i32, kx1: i32, H: i32, W: i32, rowBytes: usize, pixBytes: usize): usize {
  for (let kx = kx0; kx < kx1; kx++) {
    store<u32>(e, <u32>pixel_addr(img, zero, iy, ix0 + kx, H, W, rowBytes, pixBytes));
    e += tabBytes;
  }
  return e;
}

// Accumulates dw += Σ patch(x)ᵀ·dz (over every output pixel of the batch) and db += Σ dz: the
// caller zeroes the gradients once per step, and accumulation lets gradients of several calls sum.
// dz: (B, OH, OW, F), x: (B, H, W, C) f32, dw: (K, K, C, F), db: (F).
// Per chunk of R = min(BF_ROWS, B·OH·OW) im2col rows, for each group of 4 im2col columns
// k0..k0+3: a panel P(R, 4) = cols[chunk, k0..k0+3], then dw[k0..k0+3, :] += Pᵀ·dz[chunk, :]
// (gemm_panel4_acc: the accumulators live across the chunk, so dw is read and written once per
// chunk, and the dz chunk is re-read from cache per group); db += the chunk's column sums.
// C ≥ 4, scratch (slots): offsets K·K·R (u32: address of the input pixel, or of the zero row, per
// (ky, kx) and chunk row) | panel 4·R | zero row C4. Packing a group is one load per row (C % 4
// == 0) or four; with F ≤ 16 (one or two column blocks, too few to amortise a panel) and C % 4 == 0
// gemm_gather4_acc reads the 4 channels through the offsets inside its loop instead.
// C < 4 (first layers): see filter_small_c.
export function conv_backward_filter(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize): void {
  if (C < 4) {
    filter_small_blocks<f32>(dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch, scratch, 1, 0, FILTER_BLOCKS);
    conv_filter_small_combine(dw, db, scratch, C, F, K, S, OH, OW);
    return;
  }
  conv_backward_filter_part(dw, db, dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch, 0, K * K * C, 0, F, 0, F);
}

// One thread's part of conv_backward_filter for C ≥ 4 (C < 4: conv_filter_small_blocks_f32):
// rows [kb, ke) of dw (kb, ke multiples of 4, or ke = KKC) restricted to columns [fb, fe)
// (multiples of 8, or fe = F), and columns [db0, db1) of db. The chunks, panels and tiles are those
// of the whole call, so each element sums in the same order.
export function conv_backward_filter_part(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize, kb: i32, ke: i32, fb: i32, fe: i32, db0: i32, db1: i32): void {
  const KK = K * K;
  const KKC = KK * C;
  const M = B * OH * OW;
  if (M <= 0) return;
  const R = min(BF_ROWS, M);
  const pixBytes = <usize>C * 4;
  const rowBytes = <usize>W * pixBytes;
  const imgBytes = <usize>H * rowBytes;
  const ldz = <usize>F * 4;
  const groupBytes = <usize>R * 16; // one panel
  const offs = scratch;
  const panel = offs + <usize>KK * <usize>R * 4;
  const zero = panel + groupBytes;
  memory.fill(zero, 0, <usize>((C + 3) & ~3) * 4);
  const tabBytes = <usize>R * 4;
  // only the taps of rows [kb, ke) of dw: a thread's part builds its share of the table, not all of it
  const kk0 = kb / C, kk1 = ke > kb ? (ke - 1) / C + 1 : kk0;
  let b = 0, oy = 0, ox = 0; // the pixel of chunk row 0, carried across chunks
  for (let i0 = 0; i0 < M; i0 += R) {
    const rows = min(R, M - i0);
    for (let i = 0; i < rows; i++) {
      const iy0 = oy * S - padT, ix0 = ox * S - padL;
      const img = x + <usize>b * imgBytes;
      let e = offs + <usize>kk0 * tabBytes + <usize>i * 4;
      if (kk0 == 0 && kk1 == KK) {
        // the whole table (one thread): constant bounds, a few % faster than the ranges below
        for (let ky = 0; ky < K; ky++) e = table_taps(e, tabBytes, img, zero, iy0 + ky, ix0, 0, K, H, W, rowBytes, pixBytes);
      } else {
        for (let ky = kk0 / K; ky * K < kk1; ky++) e = table_taps(e, tabBytes, img, zero, iy0 + ky, ix0, max(0, kk0 - ky * K), min(K, kk1 - ky * K), H, W, rowBytes, pixBytes);
      }
      if (++ox == OW) { ox = 0; if (++oy == OH) { oy = 0; b++; } }
    }
    const dzc = dz + <usize>i0 * ldz;
    const fo = <usize>fb * 4, nf = fe - fb;
    for (let k0 = kb; k0 < ke && nf > 0; k0 += 4) {
      const nk = min(4, KKC - k0);
      if ((C & 3) == 0) {
        const kk = k0 / C;
        const co = <usize>(k0 - kk * C) * 4;
        const tab = offs + <usize>kk * tabBytes;
        if (F <= 16) {
          // one or two column blocks: reading the 4 channels in the loop beats packing them
          gemm_gather4_acc(dw + <usize>k0 * ldz + fo, F, tab, co, co + 4, co + 8, co + 12, dzc + fo, F, rows, nf, 4);
          continue;
        }
        for (let i = 0; i < rows; i++) v128.store(panel + <usize>i * 16, v128.load(<usize>load<u32>(tab + <usize>i * 4) + co));
      } else {
        for (let r = 0; r < 4; r++) {
          const dst = panel + <usize>r * 4;
          if (r < nk) {
            const k = k0 + r;
            const kk = k / C;
            const co = <usize>(k - kk * C) * 4;
            const tab = offs + <usize>kk * tabBytes;
            for (let i = 0; i < rows; i++) store<f32>(dst + <usize>i * 16, load<f32>(<usize>load<u32>(tab + <usize>i * 4) + co));
          } else {
            for (let i = 0; i < rows; i++) store<f32>(dst + <usize>i * 16, 0);
          }
        }
      }
      gemm_panel4_acc(dw + <usize>k0 * ldz + fo, F, panel, dzc + fo, F, rows, nf, nk);
    }
    // per chunk, while it is in cache: one column-sum pass over the whole of dz strides across
    // all M rows once per 4 columns and was memory bound (the first layer's dz is megabytes)
    if (db1 > db0) colsum_acc_ld(db + <usize>db0 * 4, dzc + <usize>db0 * 4, rows, db1 - db0, F);
  }
}

// The same with x: (B, H, W, C) uint8 pixels scaled by 1/255 (the first layer). Scratch: one f32
// image (u8_image_slots), then conv_backward_filter's; each image is converted, then handled alone.
export function conv_backward_filter_u8(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize): void {
  if (C < 4) {
    filter_small_blocks<u8>(dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch, scratch, INV_255, 0, FILTER_BLOCKS);
    conv_filter_small_combine(dw, db, scratch, C, F, K, S, OH, OW);
    return;
  }
  conv_backward_filter_u8_part(dw, db, dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch, 0, K * K * C, 0, F, 0, F);
}

// One thread's part of conv_backward_filter_u8 for C ≥ 4 (ranges as in conv_backward_filter_part;
// C < 4: conv_filter_small_blocks_u8).
export function conv_backward_filter_u8_part(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize, kb: i32, ke: i32, fb: i32, fe: i32, db0: i32, db1: i32): void {
  const img = H * W * C;
  const xf = scratch;
  const rest = scratch + <usize>u8_image_slots(H, W, C) * 4;
  const out = <usize>(OH * OW * F) * 4;
  for (let n = 0; n < B; n++) {
    cast_u8(xf, x + <usize>n * <usize>img, img, INV_255);
    conv_backward_filter_part(dw, db, dz + <usize>n * out, xf, 1, H, W, C, F, K, S, padT, padL, OH, OW, rest, kb, ke, fb, fe, db0, db1);
  }
}

// Copies image x (H, W, C) of T, times scale, into xp (Hp, Wp, C) f32 with the padding made
// explicit: xp[yy, xx] = x[yy − padT, xx − padL], 0 outside.
@inline function pad_image<T>(xp: usize, x: usize, H: i32, W: i32, C: i32, Hp: i32, Wp: i32, padT: i32, padL: i32, scale: f32): void {
  const esz = <usize>sizeof<T>();
  const rowp = <usize>Wp * <usize>C * 4;
  const xx0 = max(0, padL), xx1 = min(Wp, W + padL); // xp columns that come from x
  for (let yy = 0; yy < Hp; yy++) {
    const d = xp + <usize>yy * rowp;
    const iy = yy - padT;
    if (<u32>iy >= <u32>H || xx1 <= xx0) { memory.fill(d, 0, rowp); continue; }
    if (xx0 > 0) memory.fill(d, 0, <usize>(xx0 * C) * 4);
    if (xx1 < Wp) memory.fill(d + <usize>(xx1 * C) * 4, 0, <usize>((Wp - xx1) * C) * 4);
    const n = (xx1 - xx0) * C;
    const src = x + (<usize>iy * <usize>W + <usize>(xx0 - padL)) * <usize>C * esz;
    const dst = d + <usize>(xx0 * C) * 4;
    if (isFloat<T>()) memory.copy(dst, src, <usize>n * 4);
    else cast_u8(dst, src, n, scale);
  }
}

// The filter gradient of a layer with C < 4 channels sums the batch in FILTER_BLOCKS fixed blocks
// of images (block b: images [⌊B·b/8⌋, ⌊B·(b+1)/8⌋)), each into its own zeroed partial dw and db,
// then adds the partials to dw and db in block order (conv_filter_small_combine). A thread takes
// whole blocks: nothing is repeated per thread (a split by taps re-padded every image and read all
// of dz in each thread), and the sums do not depend on which thread ran which block.
// The partials follow the working scratch of filter_small_c in thread 0's scratch (scratch0):
// FILTER_BLOCKS · (KKC·F + F) slots.
export const FILTER_BLOCKS: i32 = 8;

// Bytes of filter_small_c's working scratch, rounded to 16: where the partials start.
@inline function small_c_work_bytes(C: i32, K: i32, S: i32, OH: i32, OW: i32): usize {
  const Hp = (OH - 1) * S + K, Wp = (OW - 1) * S + K;
  return <usize>(((Hp * Wp * C + 4 + OH * OW + K * K * C) + 3) & ~3) * 4;
}

// Blocks [b0, b1) of the partials; scratch: this thread's, scratch0: thread 0's (the partials).
@inline function filter_small_blocks<T>(dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize, scratch0: usize, scale: f32, b0: i32, b1: i32): void {
  const KKC = K * K * C;
  const partSlots = KKC * F + F;
  const partials = scratch0 + small_c_work_bytes(C, K, S, OH, OW);
  const img = <usize>(H * W * C) * <usize>sizeof<T>();
  const out = <usize>(OH * OW * F) * 4;
  for (let blk = b0; blk < b1; blk++) {
    const n0 = (B * blk) / FILTER_BLOCKS, n1 = (B * (blk + 1)) / FILTER_BLOCKS;
    const p = partials + <usize>blk * <usize>partSlots * 4;
    memory.fill(p, 0, <usize>partSlots * 4);
    if (n1 > n0) filter_small_c<T>(p, p + <usize>(KKC * F) * 4, dz + <usize>n0 * out, x + <usize>n0 * img, n1 - n0, H, W, C, F, K, S, padT, padL, OH, OW, scratch, scale);
  }
}

export function conv_filter_small_blocks_f32(dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize, scratch0: usize, b0: i32, b1: i32): void {
  filter_small_blocks<f32>(dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch, scratch0, 1, b0, b1);
}

export function conv_filter_small_blocks_u8(dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize, scratch0: usize, b0: i32, b1: i32): void {
  filter_small_blocks<u8>(dz, x, B, H, W, C, F, K, S, padT, padL, OH, OW, scratch, scratch0, INV_255, b0, b1);
}

// dw += partial 0, then += partial 1, … (db likewise): the blocks' sums in a fixed order.
export function conv_filter_small_combine(dw: usize, db: usize, scratch0: usize, C: i32, F: i32, K: i32, S: i32, OH: i32, OW: i32): void {
  const n = K * K * C * F;
  const partSlots = n + F;
  const partials = scratch0 + small_c_work_bytes(C, K, S, OH, OW);
  for (let blk = 0; blk < FILTER_BLOCKS; blk++) {
    const p = partials + <usize>blk * <usize>partSlots * 4;
    add_inplace(dw, p, n);
    add_inplace(db, p + <usize>n * 4, F);
  }
}

// a[i] += b[i]
@inline function add_inplace(a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(a + <usize>i * 4, f32x4.add(v128.load(a + <usize>i * 4), v128.load(b + <usize>i * 4)));
  for (; i < n; i++) store<f32>(a + <usize>i * 4, load<f32>(a + <usize>i * 4) + load<f32>(b + <usize>i * 4));
}

// The filter gradient of a layer with C < 4 channels (first layers: few im2col columns, so a
// packed panel would cost as much as its multiply-adds). Image by image: copy it (times scale)
// into a buffer with the padding made explicit, so every window lies inside; list the window
// address of each output pixel; then for each group of 4 taps gemm_gather4_acc reads the four
// values of a row straight from the image (a lone last tap: gemm_gather1_acc). Accumulates dw and
// db like conv_backward_filter.
// Scratch (slots): padded image Hp·Wp·C + 4 (Hp = (OH−1)·S + K, Wp likewise) | windows OH·OW (u32) | taps KKC.
@inline function filter_small_c<T>(dw: usize, db: usize, dz: usize, x: usize, B: i32, H: i32, W: i32, C: i32, F: i32, K: i32, S: i32, padT: i32, padL: i32, OH: i32, OW: i32, scratch: usize, scale: f32): void {
  const OHW = OH * OW;
  if (OHW <= 0) return;
  const KKC = K * K * C;
  const Hp = (OH - 1) * S + K, Wp = (OW - 1) * S + K;
  const R = min(BF_ROWS, B * OHW);
  const xp = scratch;
  const allWins = xp + <usize>(Hp * Wp * C + 4) * 4;
  const taps = allWins + <usize>OHW * 4;
  build_taps(taps, Wp, C, K);
  const esz = <usize>sizeof<T>();
  const img = <usize>(H * W * C) * esz;
  const ldz = <usize>F * 4;
  const pixBytes = <usize>C * 4;
  const rowBytes = <usize>Wp * pixBytes;
  // every image is padded into the same buffer, so the window addresses are listed once
  let oy = 0, ox = 0;
  for (let i = 0; i < OHW; i++) {
    store<u32>(allWins + <usize>i * 4, <u32>(xp + <usize>(oy * S) * rowBytes + <usize>(ox * S) * pixBytes));
    if (++ox == OW) { ox = 0; oy++; }
  }
  for (let n = 0; n < B; n++) {
    pad_image<T>(xp, x + <usize>n * img, H, W, C, Hp, Wp, padT, padL, scale);
    for (let i0 = 0; i0 < OHW; i0 += R) {
      const rows = min(R, OHW - i0);
      const wins = allWins + <usize>i0 * 4;
      const dzc = dz + (<usize>n * <usize>OHW + <usize>i0) * ldz;
      for (let k0 = 0; k0 < KKC; k0 += 4) {
        const nk = min(4, KKC - k0);
        const tk = taps + <usize>k0 * 4;
        if (nk == 1) {
          gemm_gather1_acc(dw + <usize>k0 * ldz, wins, <usize>load<i32>(tk), dzc, F, rows, F);
          continue;
        }
        // lanes past nk repeat tap k0: computed, never stored
        const t0 = <usize>load<i32>(tk);
        const t1 = nk > 1 ? <usize>load<i32>(tk, 4) : t0;
        const t2 = nk > 2 ? <usize>load<i32>(tk, 8) : t0;
        const t3 = nk > 3 ? <usize>load<i32>(tk, 12) : t0;
        gemm_gather4_acc(dw + <usize>k0 * ldz, F, wins, t0, t1, t2, t3, dzc, F, rows, F, nk);
      }
      colsum_acc_ld(db, dzc, rows, F, F);
    }
  }
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
      // col2im: for each kernel row ky inside the image, the taps kx in [kx0, kx1) hit adjacent
      // input pixels, so their (kx, c) slice of the dcols row is one contiguous run of dx
      const iy0 = oy * S - padT, ix0 = ox * S - padL;
      const kx0 = max(0, -ix0), kx1 = min(K, W - ix0);
      const ky0 = max(0, -iy0), ky1 = min(K, H - iy0);
      const n = (kx1 - kx0) * C;
      const dimg = dx + <usize>b * imgBytes;
      const srow = dcols + <usize>r * <usize>KKC * 4;
      for (let ky = ky0; ky < ky1; ky++) {
        const d = dimg + <usize>(iy0 + ky) * rowBytes + <usize>(ix0 + kx0) * pixBytes;
        const src = srow + <usize>((ky * K + kx0) * C) * 4;
        let c = 0;
        for (; c + 4 <= n; c += 4) {
          const o = <usize>c * 4;
          v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(src + o)));
        }
        for (; c < n; c++) {
          const o = <usize>c * 4;
          store<f32>(d + o, load<f32>(d + o) + load<f32>(src + o));
        }
      }
      if (++ox == OW) { ox = 0; if (++oy == OH) { oy = 0; b++; } }
    }
    const fin = (i0 + rows) / OHW;
    for (; done < fin; done++) act_grad_rows(dx + <usize>done * imgBytes, z_prev + <usize>done * imgBytes, 1, img, img, act_prev);
  }
}
