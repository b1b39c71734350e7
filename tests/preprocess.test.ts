// The canvas → MNIST preprocessing (web/preprocess.ts): crop, fit into 20×20, centre by mass.
import { describe, expect, it } from "vitest";
import { BOX, SIDE, toMnistInput } from "../web/preprocess.js";

const W = 280, H = 280;

/** A 280×280 "canvas" with a filled ellipse of ink (255) at (cx, cy) with radii (rx, ry). */
function ellipse(cx: number, cy: number, rx: number, ry: number, ring = 0): Uint8Array {
  const g = new Uint8Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const d = ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2;
      if (d <= 1 && (ring === 0 || d >= (1 - ring) ** 2)) g[y * W + x] = 255;
    }
  return g;
}

function inkStats(img: Uint8Array) {
  let x0 = SIDE, y0 = SIDE, x1 = -1, y1 = -1, m = 0, mx = 0, my = 0, max = 0;
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) {
      const v = img[y * SIDE + x];
      if (!v) continue;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      m += v; mx += v * (x + 0.5); my += v * (y + 0.5); max = Math.max(max, v);
    }
  return { width: x1 - x0 + 1, height: y1 - y0 + 1, cx: mx / m, cy: my / m, max };
}

describe("toMnistInput", () => {
  it("returns null for a blank canvas (faint fuzz below the threshold included)", () => {
    expect(toMnistInput(new Uint8Array(W * H), W, H)).toBeNull();
    expect(toMnistInput(new Uint8Array(W * H).fill(10), W, H)).toBeNull();
  });

  it("an off-centre tall stroke lands centred by mass, 20 px tall, aspect kept", () => {
    // a 30×200 bar in the top-left corner
    const img = toMnistInput(ellipse(50, 110, 15, 100), W, H)!;
    expect(img).toHaveLength(SIDE * SIDE);
    const s = inkStats(img);
    expect(s.height).toBe(BOX);
    expect(s.width).toBeLessThanOrEqual(4); // 30/200 of 20 px, plus at most one partial column
    expect(Math.abs(s.cx - SIDE / 2)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(s.cy - SIDE / 2)).toBeLessThanOrEqual(0.5);
    expect(s.max).toBeGreaterThan(200); // the core of the stroke stays dark
  });

  it("a wide ring in the bottom-right fits 20 px wide, is centred, and keeps its hole", () => {
    const img = toMnistInput(ellipse(200, 220, 70, 40, 0.25), W, H)!;
    const s = inkStats(img);
    expect(s.width).toBe(BOX);
    expect(s.height).toBeGreaterThanOrEqual(10);
    expect(s.height).toBeLessThanOrEqual(13);
    expect(Math.abs(s.cx - SIDE / 2)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(s.cy - SIDE / 2)).toBeLessThanOrEqual(0.5);
    expect(img[14 * SIDE + 14]).toBe(0); // the centre of a "0" is empty
  });

  it("a small blob is scaled up so its larger side is 20 px", () => {
    const s = inkStats(toMnistInput(ellipse(140, 140, 8, 8), W, H)!);
    expect(s.width).toBe(BOX);
    expect(s.height).toBe(BOX);
  });
});
