// Kernel scratch sizes, in slots: what the wasm kernels of each layer kind need (the arena
// reserves the largest over the stack once; kernels never allocate).

/** Kernel scratch one layer needs, in slots. */
export function layerScratchSlots(inSize: number, outSize: number): number {
  const in16 = Math.ceil(inSize / 16) * 16; // the uint8 panel compaction stores whole 16-column blocks
  return Math.max(5 * in16, inSize * outSize + 4 * outSize);
}

/** Blocks of images of the filter gradient of a conv with C < 4 (FILTER_BLOCKS in assembly/conv.ts). */
export const CONV_FILTER_BLOCKS = 8;

/** im2col rows per chunk of the conv filter gradient (BF_ROWS in assembly/conv.ts). */
export const CONV_BF_ROWS = 128;

/**
 * Kernel scratch a conv2d layer needs, in slots: the max over the kernels of assembly/conv.ts
 * (KKC = K·K·C, KKC4 and C4 = KKC and C rounded up to 4, R = min(128, B·OH·OW)):
 *   forward          4·KKC (one packed panel of 4 im2col rows) + 16 (row info) + KKC (taps) + C4 (zero row);
 *                    C = 1 and S = 1: Hp·Wp + 8 (the image with its padding) + K·K (taps)
 *   backward filter  C ≥ 4: K·K·R (pixel addresses per chunk row and tap) + 4·R (panel) + C4 (zero row),
 *                      plus, for uint8, one image as f32: H·W·C rounded up to 4
 *                    C < 4: Hp·Wp·C + 4 (the image with its padding, Hp = (OH−1)·S + K, Wp likewise)
 *                      + OH·OW (window addresses) + KKC (taps), rounded up to 4, then the partial dw
 *                      and db of 8 blocks of images: 8·(KKC·F + F)
 *   backward data    F·KKC (wᵀ) + 4·F (panel of dz rows) + 4·KKC (4 rows of dcols)
 * The uint8 forward keeps one image as f32 in front: + H·W·C rounded up to 4 (counted for every
 * layer, as for the uint8 filter gradient: this function does not know which layer reads uint8).
 * B may be the batch capacity: a smaller batch at call time never needs more.
 */
export function convScratchSlots(B: number, H: number, W: number, C: number, F: number, K: number, S: number, OH: number, OW: number): number {
  const KKC = K * K * C;
  const up4 = (n: number) => Math.ceil(n / 4) * 4;
  const R = Math.max(1, Math.min(CONV_BF_ROWS, B * OH * OW));
  const u8Image = up4(H * W * C);
  const forward = C === 1 && S === 1 ? (OH + K - 1) * (OW + K - 1) + 8 + KKC : u8Image + 4 * KKC + 16 + KKC + up4(C);
  const Hp = (OH - 1) * S + K, Wp = (OW - 1) * S + K;
  const filter = C < 4 ? up4(Hp * Wp * C + 4 + OH * OW + KKC) + CONV_FILTER_BLOCKS * (KKC * F + F) : u8Image + K * K * R + 4 * R + up4(C);
  const data = F * KKC + 4 * F + 4 * KKC;
  return Math.max(forward, filter, data);
}
