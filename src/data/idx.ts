// MNIST IDX format (http://yann.lecun.com/exdb/mnist/): big-endian header, then uint8 data.
//   magic: 0x00 0x00 <type: 0x08 = uint8> <ndim>, then ndim uint32 sizes, then the bytes.
// Pure functions over bytes (no Node built-ins): the browser uses them too.
import { SimdnetError } from "../errors.js";
import type { Dataset } from "./dataset.js";

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) throw new SimdnetError(`file too short for an IDX header (${bytes.length} bytes)`, { file, byteOffset: 0, field: "magic" });
  if (bytes[0] !== 0 || bytes[1] !== 0)
    throw new SimdnetError(`not an IDX file: magic number must start with two zero bytes, got 0x${hex(bytes, 0, 4)}`, { file, byteOffset: 0, field: "magic" });
  if (bytes[2] !== 0x08)
    throw new SimdnetError(`unsupported IDX element type 0x${bytes[2].toString(16).padStart(2, "0")}; expected 0x08 (unsigned byte)`, { file, byteOffset: 2, field: "magic" });
  const ndim = bytes[3];
  if (ndim < 1 || ndim > 4) throw new SimdnetError(`IDX dimension count ${ndim} is not 1..4`, { file, byteOffset: 3, field: "magic" });
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) throw new SimdnetError(`file ends inside the IDX header (${bytes.length} of ${headerLen} bytes)`, { file, byteOffset: bytes.length, field: "dimensions" });
  const dims: number[] = [];
  let total = 1;
  for (let d = 0; d < ndim; d++) {
    const o = 4 + 4 * d;
    const size = ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
    dims.push(size);
    total *= size;
  }
  const have = bytes.length - headerLen;
  if (have < total)
    throw new SimdnetError(`truncated: header claims ${dims.join("×")} = ${total} data bytes but only ${have} follow`, { file, byteOffset: bytes.length, field: "data" });
  if (have > total)
    throw new SimdnetError(`${have - total} unexpected bytes after the ${dims.join("×")} data`, { file, byteOffset: headerLen + total, field: "data" });
  return { dims, data: bytes.subarray(headerLen) };
}

/** Builds a data set from an images IDX (n, rows, cols) and an optional labels IDX (n). */
export function idxToDataset(images: IdxArray, labels: IdxArray | null, imagesFile: string, labelsFile?: string): Dataset {
  if (images.dims.length !== 3)
    throw new SimdnetError(`expected an image file with 3 dimensions (count, rows, cols), got ${images.dims.length}`, { file: imagesFile, byteOffset: 3, field: "dimensions" });
  const [n, rows, cols] = images.dims;
  if (labels) {
    if (labels.dims.length !== 1)
      throw new SimdnetError(`expected a label file with 1 dimension, got ${labels.dims.length}`, { file: labelsFile, byteOffset: 3, field: "dimensions" });
    if (labels.dims[0] !== n)
      throw new SimdnetError(`label count ${labels.dims[0]} does not match image count ${n} in ${imagesFile}`, { file: labelsFile, byteOffset: 4, field: "count" });
    for (let i = 0; i < n; i++)
      if (labels.data[i] > 9) throw new SimdnetError(`label ${labels.data[i]} of item ${i} is outside 0–9`, { file: labelsFile, byteOffset: 8 + i, field: "label" });
  }
  return { images: labels ? images.data : images.data, labels: labels ? labels.data : null, count: n, inputSize: rows * cols, source: imagesFile };
}

/** Serialises a uint8 array as IDX (for tests and exports). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => {
    const o = 4 + 4 * i;
    out[o] = d >>> 24;
    out[o + 1] = (d >>> 16) & 255;
    out[o + 2] = (d >>> 8) & 255;
    out[o + 3] = d & 255;
  });
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function hex(b: Uint8Array, from: number, to: number): string {
  return Array.from(b.subarray(from, to), (v) => v.toString(16).padStart(2, "0")).join("");
}
