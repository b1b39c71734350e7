// Builds the committed MNIST sample (data/mnist-sample/) from the four original MNIST .gz files:
//   node scripts/make-mnist-sample.mjs [MNIST_DIR] [OUT_DIR]
// MNIST_DIR defaults to $SIMDNET_MNIST_DIR, OUT_DIR to data/mnist-sample.
// Selection (deterministic, class-balanced): the first 500 images of each digit in the order of
// train-images-idx3-ubyte, and the first 100 of each digit in the order of t10k-images-idx3-ubyte,
// each kept in its file order. Written as the same four IDX files, gzip -9 (header mtime 0).
import { mkdirSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync, constants } from "node:zlib";

const PER_CLASS = { train: 500, t10k: 100 };

const src = process.argv[2] ?? process.env.SIMDNET_MNIST_DIR;
const out = process.argv[3] ?? "data/mnist-sample";
if (!src) {
  console.error("usage: node scripts/make-mnist-sample.mjs [MNIST_DIR] [OUT_DIR]  (or set SIMDNET_MNIST_DIR)");
  process.exit(2);
}

const u32 = (b, o) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

function readIdx(name, magic) {
  const b = gunzipSync(readFileSync(join(src, `${name}.gz`)));
  if (u32(b, 0) !== magic) throw new Error(`${name}: magic ${u32(b, 0)}, expected ${magic}`);
  const ndim = b[3];
  const dims = Array.from({ length: ndim }, (_, d) => u32(b, 4 + 4 * d));
  return { dims, data: b.subarray(4 + 4 * ndim) };
}

function encodeIdx(dims, data) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = 0x08;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, data]);
}

/** Indices of the first `perClass` items of each label, in file order. */
function pick(labels, perClass) {
  const counts = new Array(10).fill(0);
  const keep = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (counts[y] < perClass) {
      counts[y]++;
      keep.push(i);
    }
  }
  if (counts.some((c) => c < perClass)) throw new Error(`not enough images of some class: ${counts}`);
  return keep;
}

const gz = (bytes) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION });

mkdirSync(out, { recursive: true });
let total = 0;
for (const set of ["train", "t10k"]) {
  const images = readIdx(`${set}-images-idx3-ubyte`, 2051);
  const labels = readIdx(`${set}-labels-idx1-ubyte`, 2049);
  const [, rows, cols] = images.dims;
  const px = rows * cols;
  const keep = pick(labels.data, PER_CLASS[set]);
  const img = Buffer.alloc(keep.length * px);
  const lbl = Buffer.alloc(keep.length);
  keep.forEach((from, i) => {
    img.set(images.data.subarray(from * px, (from + 1) * px), i * px);
    lbl[i] = labels.data[from];
  });
  for (const [name, bytes] of [
    [`${set}-images-idx3-ubyte.gz`, gz(encodeIdx([keep.length, rows, cols], img))],
    [`${set}-labels-idx1-ubyte.gz`, gz(encodeIdx([keep.length], lbl))],
  ]) {
    writeFileSync(join(out, name), bytes);
    total += statSync(join(out, name)).size;
    console.log(`${name}: ${keep.length} items, ${bytes.length.toLocaleString("en-US")} bytes`);
  }
  console.log(`${set}: kept items ${keep[0]}..${keep[keep.length - 1]} of ${labels.data.length}`);
}
console.log(`total ${total.toLocaleString("en-US")} bytes in ${out}`);
if (total > 2 * 1024 * 1024) {
  console.error("the sample is larger than 2 MiB");
  process.exit(1);
}
