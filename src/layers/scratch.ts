// Kernel scratch sizes, in slots: what the wasm kernels of each layer kind need (the arena
// reserves the largest over the stack once; kernels never allocate).

/** Kernel scratch one layer needs, in slots. */
export function layerScratchSlots(inSize: number, outSize: number): number {
  const in16 = Math.ceil(inSize / 16) * 16; // the uint8 panel compaction stores whole 16-column blocks
  return Math.max(5 * in16, inSize * outSize + 4 * outSize);
}

/**
 * Kernel scratch a conv2d layer needs, in slots (defined by assembly/conv.ts: packed panels of
 * im2col rows, a transposed kernel, column chunks for the filter gradient).
 */
export function convScratchSlots(B: number, H: number, W: number, C: number, F: number, K: number, S: number, OH: number, OW: number): number {
  void B; void H; void W; void S;
  const KKC = K * K * C;
  const rowsChunk = Math.min(256, B * OH * OW); // im2col rows held at once
  return KKC * F + 4 * Math.max(KKC, F) + rowsChunk * Math.max(KKC, F) + 64;
}

