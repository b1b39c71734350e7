// A drawing → an MNIST-style 28×28 input, the way the MNIST digits were made (LeCun et al.):
// crop to the ink's bounding box, scale the larger side to 20 px keeping the aspect ratio
// (area-averaged, so strokes become grey levels), then paste into 28×28 so that the centre of
// mass lands on the centre (14, 14). Pure: no DOM, testable in Node.

export const SIDE = 28;
export const BOX = 20;

/**
 * grey: (height, width) ink intensities, row-major, 0 = background, 255 = full ink.
 * Returns 784 uint8 pixels, or null when nothing is drawn.
 * threshold: intensities at or below it do not count as ink for the bounding box (anti-aliasing fuzz).
 */
export function toMnistInput(grey: ArrayLike<number>, width: number, height: number, threshold = 16): Uint8Array | null {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (grey[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const tw = Math.max(1, Math.min(BOX, Math.round(bw * scale)));
  const th = Math.max(1, Math.min(BOX, Math.round(bh * scale)));

  // separable area resampling: rows first, then columns
  const wx = areaWeights(bw, tw);
  const wy = areaWeights(bh, th);
  const rows = new Float64Array(bh * tw);
  for (let y = 0; y < bh; y++) {
    const src = (y0 + y) * width + x0;
    for (let t = 0; t < tw; t++) {
      let s = 0;
      for (const [i, w] of wx[t]) s += w * grey[src + i];
      rows[y * tw + t] = s;
    }
  }
  const box = new Float64Array(th * tw);
  for (let t = 0; t < th; t++)
    for (let x = 0; x < tw; x++) {
      let s = 0;
      for (const [i, w] of wy[t]) s += w * rows[i * tw + x];
      box[t * tw + x] = s;
    }

  // centre of mass in continuous coordinates (pixel i spans [i, i+1))
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = box[y * tw + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  const ox = Math.round(SIDE / 2 - mx / mass);
  const oy = Math.round(SIDE / 2 - my / mass);

  const out = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const X = x + ox, Y = y + oy;
      if (X >= 0 && X < SIDE && Y >= 0 && Y < SIDE) out[Y * SIDE + X] = Math.min(255, Math.round(box[y * tw + x]));
    }
  return out;
}

/** For each of dst output cells, the source cells it covers and their weights (summing to 1). */
function areaWeights(src: number, dst: number): [number, number][][] {
  const step = src / dst;
  const cells: [number, number][][] = [];
  for (let t = 0; t < dst; t++) {
    const a = t * step, b = (t + 1) * step;
    const list: [number, number][] = [];
    for (let i = Math.floor(a); i < Math.min(src, Math.ceil(b)); i++) {
      const cover = Math.min(b, i + 1) - Math.max(a, i);
      if (cover > 0) list.push([i, cover / step]);
    }
    cells.push(list);
  }
  return cells;
}

/** The ink of an RGBA canvas image drawn light-on-dark: its red channel. */
export function inkFromRgba(rgba: ArrayLike<number>, width: number, height: number): Uint8Array {
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = rgba[i * 4];
  return grey;
}
