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

/** Copies a w×h image shifted by (dx, dy), zero-filling what moves in. */
export function shiftImage(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, w: number, h: number, dx: number, dy: number): void {
  dst.fill(0, dOff, dOff + w * h);
  const x0 = Math.max(0, dx), x1 = Math.min(w, w + dx);
  if (x1 <= x0) return;
  for (let y = Math.max(0, dy); y < Math.min(h, h + dy); y++) {
    const from = sOff + (y - dy) * w + (x0 - dx);
    dst.set(src.subarray(from, from + (x1 - x0)), dOff + y * w + x0);
  }
}

/** Rotation by `deg` and scaling by `scale` about the centre, then a shift; bilinear sampling. */
export function affineImage(dst: Uint8Array, dOff: number, src: Uint8Array, sOff: number, w: number, h: number, deg: number, scale: number, dx: number, dy: number): void {
  const t = (deg * Math.PI) / 180;
  // inverse map: destination pixel → source coordinate
  const c = Math.cos(t) / scale, s = Math.sin(t) / scale;
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    const ry = y - cy - dy;
    for (let x = 0; x < w; x++) {
      const rx = x - cx - dx;
      const sx = c * rx + s * ry + cx;
      const sy = -s * rx + c * ry + cy;
      const ix = Math.floor(sx), iy = Math.floor(sy);
      const fx = sx - ix, fy = sy - iy;
      const at = (xx: number, yy: number) => (xx >= 0 && xx < w && yy >= 0 && yy < h ? src[sOff + yy * w + xx] : 0);
      const v = (1 - fy) * ((1 - fx) * at(ix, iy) + fx * at(ix + 1, iy)) + fy * ((1 - fx) * at(ix, iy + 1) + fx * at(ix + 1, iy + 1));
      dst[dOff + y * w + x] = Math.round(v);
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
