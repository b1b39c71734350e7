// A minimal PNG encoder for small grayscale images (the report's digit thumbnails): zlib "stored"
// blocks (no compression — a 28×28 digit is under 1 KB anyway), so it needs no zlib and runs anywhere.
import { crc32 } from "../model/format.js";

function u32be(v: number): number[] {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}

function chunk(type: string, data: Uint8Array): number[] {
  const body = new Uint8Array(4 + data.length);
  for (let i = 0; i < 4; i++) body[i] = type.charCodeAt(i);
  body.set(data, 4);
  return [...u32be(data.length), ...body, ...u32be(crc32(body))];
}

/** An 8-bit grayscale PNG of a w×h row-major image. */
export function grayPng(pixels: Uint8Array, w: number, h: number): Uint8Array {
  const raw = new Uint8Array(h * (w + 1)); // each scanline: filter byte 0, then the row
  for (let y = 0; y < h; y++) raw.set(pixels.subarray(y * w, (y + 1) * w), y * (w + 1) + 1);
  const z: number[] = [0x78, 0x01];
  for (let off = 0; off < raw.length || off === 0; off += 65535) {
    const len = Math.min(65535, raw.length - off);
    const last = off + len >= raw.length ? 1 : 0;
    z.push(last, len & 255, len >>> 8, ~len & 255, (~len >>> 8) & 255, ...raw.subarray(off, off + len));
    if (last) break;
  }
  let a = 1, b = 0; // Adler-32 of the uncompressed data
  for (const v of raw) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  z.push(...u32be(((b << 16) | a) >>> 0));
  const ihdr = new Uint8Array([...u32be(w), ...u32be(h), 8, 0, 0, 0, 0]); // 8-bit, grayscale
  const bytes = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...chunk("IHDR", ihdr), ...chunk("IDAT", new Uint8Array(z)), ...chunk("IEND", new Uint8Array(0))];
  return new Uint8Array(bytes);
}

export function pngDataUrl(png: Uint8Array): string {
  let s = "";
  for (const b of png) s += String.fromCharCode(b);
  return "data:image/png;base64," + btoa(s);
}
