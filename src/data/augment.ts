// Data augmentation in the batch pipeline: each image is transformed while it is copied into the
// arena, so augmentation costs no extra pass and the stored data set never changes.
import { Rng } from "../rng.js";

export type AugmentKind = "none" | "shift" | "affine";
export const AUGMENT_KINDS: AugmentKind[] = ["none", "shift", "affine"];

export interface AugmentOptions {
  kind: AugmentKind;
  /** Largest shift in pixels (each axis, uniform integer in [−maxShift, maxShift]). */
  maxShift: number;
  /** affine: largest rotation in degrees and scale deviation (1 ± maxScale). */
  maxRotate: number;
  maxScale: number;
}

export const DEFAULT_AUGMENT: AugmentOptions = { kind: "shift", maxShift: 2, maxRotate: 10, maxScale: 0.1 };

/**
 * Copies a w×h image shifted by (dx, dy), zero-filling what moves in. A shift of the flat image by
 * dy·w + dx is one native copy; it only wraps |dx| columns across row edges, which are then zeroed.
 */
export function shiftImage(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, w: number, h: number, dx: number, dy: number): void {
  const n = w * h;
  if (Math.abs(dx) >= w || Math.abs(dy) >= h) {
    dst.fill(0, dOff, dOff + n);
    return;
  }
  dst.set(src.subarray(sOff, sOff + n), dOff);
  const k = dy * w + dx;
  if (k > 0) {
    dst.copyWithin(dOff + k, dOff, dOff + n - k);
    dst.fill(0, dOff, dOff + k);
  } else if (k < 0) {
    dst.copyWithin(dOff, dOff - k, dOff + n);
    dst.fill(0, dOff + n + k, dOff + n);
  }
  if (dx > 0) for (let y = 0; y < h; y++) for (let x = 0; x < dx; x++) dst[dOff + y * w + x] = 0;
  else if (dx < 0) for (let y = 0; y < h; y++) for (let x = w + dx; x < w; x++) dst[dOff + y * w + x] = 0;
}

/**
 * Rotation by `deg` and scaling by `scale` about the centre, then a shift; bilinear sampling.
 * The inverse map is affine, so source coordinates advance by constant steps along a row.
 */
export function affineImage(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, w: number, h: number, deg: number, scale: number, dx: number, dy: number): void {
  const t = (deg * Math.PI) / 180;
  const c = Math.cos(t) / scale, s = Math.sin(t) / scale;
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    const ry = y - cy - dy;
    const rx0 = -cx - dx;
    let sx = c * rx0 + s * ry + cx;
    let sy = -s * rx0 + c * ry + cy;
    const d = dOff + y * w;
    for (let x = 0; x < w; x++, sx += c, sy -= s) {
      const ix = Math.floor(sx), iy = Math.floor(sy);
      if (ix < -1 || iy < -1 || ix >= w || iy >= h) {
        dst[d + x] = 0;
        continue;
      }
      const fx = sx - ix, fy = sy - iy;
      const p = sOff + iy * w + ix;
      const inX0 = ix >= 0, inX1 = ix + 1 < w, inY0 = iy >= 0, inY1 = iy + 1 < h;
      const v00 = inX0 && inY0 ? src[p] : 0;
      const v10 = inX1 && inY0 ? src[p + 1] : 0;
      const v01 = inX0 && inY1 ? src[p + w] : 0;
      const v11 = inX1 && inY1 ? src[p + w + 1] : 0;
      dst[d + x] = (1 - fy) * ((1 - fx) * v00 + fx * v10) + fy * ((1 - fx) * v01 + fx * v11) + 0.5; // Uint8Array truncates: +0.5 rounds
    }
  }
}

/** A per-row transform for Network.loadBatch, drawing from a seeded RNG (one per step). */
export function augmenter(o: AugmentOptions, side: number, rng: Rng): ((dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number) => void) | undefined {
  if (o.kind === "none") return undefined;
  const shift = () => rng.int(2 * o.maxShift + 1) - o.maxShift;
  if (o.kind === "shift") return (dst, dOff, src, sOff) => shiftImage(dst, dOff, src, sOff, side, side, shift(), shift());
  return (dst, dOff, src, sOff) => {
    const deg = (2 * rng.next() - 1) * o.maxRotate;
    const scale = 1 + (2 * rng.next() - 1) * o.maxScale;
    affineImage(dst, dOff, src, sOff, side, side, deg, scale, shift(), shift());
  };
}
