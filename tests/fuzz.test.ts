// Property-based tests (fast-check): random and mutated inputs to the CSV and IDX parsers, the
// gzip reader and the model and checkpoint decoders. Each either loads exactly the right data or
// throws a SimdnetError — never another exception, never garbage. Bounded runs: a few seconds.
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DigitsCsvParser, encodeDigitsCsv, parseDigitsCsv } from "../src/data/csv.js";
import type { Dataset } from "../src/data/dataset.js";
import { decodeMaybeGzip } from "../src/data/files.js";
import { encodeIdx, idxToDataset, parseIdx } from "../src/data/idx.js";
import { crc32, decodeModel, encodeFramed, encodeModel, MODEL_MAGIC } from "../src/model/format.js";
import { computeLayout } from "../src/model/arena.js";
import type { ModelSpec } from "../src/model/spec.js";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "../src/train/checkpoint.js";
import { SimdnetError } from "../src/errors.js";
import { encodeCheckpointV1, encodeModelV1, SMALL_CNN } from "./format-helpers.js";

const RUNS = 300;
const D = 3; // pixels per row: small, so random rows are often well-formed

/** Outcome of a parse: the data, or the message of a SimdnetError (any other exception fails the test). */
function outcome<T>(f: () => T): { ok: T } | { error: string } {
  try {
    return { ok: f() };
  } catch (e) {
    if (!(e instanceof SimdnetError)) throw new Error(`not a SimdnetError: ${(e as Error)?.stack ?? e}`);
    return { error: e.message };
  }
}

// ---- a reference CSV parser: the grammar written as plainly as possible, line by line ----
const WS = /^[ \t\r]*$/;
const FIELD = /^[ \t\r]*(\d+)(\.0*)?[ \t\r]*$/;

function referenceCsv(bytes: Uint8Array): { labels: number[] | null; images: number[] } | null {
  const lf = bytes.indexOf(10);
  if (lf < 0) return null; // no line after the header: no data rows
  let head = bytes.subarray(0, lf);
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) head = head.subarray(3);
  const names = new TextDecoder().decode(head).replace(/\r$/, "").split(",").map((s) => s.trim());
  const hasLabels = names[0] === "label";
  const pixels = hasLabels ? names.slice(1) : names;
  if (pixels.length !== D || pixels.some((n, i) => n !== `pixel${i}`)) return null;
  const labels: number[] = [];
  const images: number[] = [];
  const body = Array.from(bytes.subarray(lf + 1), (b) => String.fromCharCode(b)).join(""); // one char per byte
  for (const line of body.split("\n")) {
    if (WS.test(line)) continue;
    const fields = line.split(",");
    if (fields.length !== D + (hasLabels ? 1 : 0)) return null;
    const values = fields.map((f) => FIELD.exec(f));
    if (values.some((m) => m === null || Number(m[1]) > 255)) return null;
    const nums = values.map((m) => Number(m![1]));
    if (hasLabels) {
      if (nums[0] > 9) return null;
      labels.push(nums[0]);
    }
    images.push(...nums.slice(hasLabels ? 1 : 0));
  }
  if (images.length === 0) return null;
  return { labels: hasLabels ? labels : null, images };
}

function agreesWithReference(bytes: Uint8Array): void {
  const got = outcome(() => parseDigitsCsv(bytes, "f.csv", { inputSize: D }));
  const want = referenceCsv(bytes);
  if (want === null) {
    expect("error" in got, `accepted what the reference rejects: ${JSON.stringify(new TextDecoder().decode(bytes))}`).toBe(true);
    expect((got as { error: string }).error).toMatch(/^f\.csv, line \d+/);
  } else {
    expect("ok" in got, `rejected valid input ${JSON.stringify(new TextDecoder().decode(bytes))}: ${(got as { error: string }).error}`).toBe(true);
    const d = (got as { ok: Dataset }).ok;
    expect(Array.from(d.images)).toEqual(want.images);
    expect(d.labels ? Array.from(d.labels) : null).toEqual(want.labels);
    expect(d.count * D).toBe(d.images.length);
  }
}

// CSV-ish bytes: mostly the characters the grammar is about
const csvByte = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...utf8Codes("0123456789")) },
  { weight: 4, arbitrary: fc.constantFrom(44, 10) },
  { weight: 2, arbitrary: fc.constantFrom(32, 13, 9, 46, 45) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
);

function utf8Codes(s: string): number[] {
  return Array.from(new TextEncoder().encode(s));
}

/** A list of edits (flip, set, insert, delete, truncate) applied to bytes. */
const mutations = fc.array(
  fc.record({ kind: fc.constantFrom("flip", "set", "insert", "delete", "truncate"), at: fc.double({ min: 0, max: 1, noNaN: true }), byte: fc.integer({ min: 0, max: 255 }) }),
  { minLength: 1, maxLength: 4 },
);

function mutate(src: Uint8Array, edits: { kind: string; at: number; byte: number }[], alphabet?: number[]): Uint8Array {
  const b = Array.from(src);
  for (const e of edits) {
    const i = Math.min(Math.floor(e.at * b.length), Math.max(b.length - 1, 0));
    const v = alphabet ? alphabet[e.byte % alphabet.length] : e.byte;
    if (e.kind === "flip" && b.length) b[i] ^= 1 << (e.byte % 8);
    else if (e.kind === "set" && b.length) b[i] = v;
    else if (e.kind === "insert") b.splice(i, 0, v);
    else if (e.kind === "delete") b.splice(i, 1);
    else if (e.kind === "truncate") b.length = i;
  }
  return Uint8Array.from(b);
}

const smallDataset = fc
  .record({ rows: fc.integer({ min: 1, max: 6 }), labelled: fc.boolean(), seed: fc.integer({ min: 0, max: 1e6 }) })
  .map(({ rows, labelled, seed }): Dataset => {
    let s = seed;
    const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) % 256;
    return { images: Uint8Array.from({ length: rows * D }, next), labels: labelled ? Uint8Array.from({ length: rows }, () => next() % 10) : null, count: rows, inputSize: D, source: "fuzz" };
  });

const CSV_ALPHABET = utf8Codes("0123456789,\n\r .-x\t");

describe("fuzz: Kaggle CSV", () => {
  it("random bytes: the same verdict and data as the reference grammar", () => {
    const header = fc.constantFrom("label,pixel0,pixel1,pixel2\n", "pixel0,pixel1,pixel2\n", "\ufefflabel,pixel0,pixel1,pixel2\r\n");
    fc.assert(
      fc.property(header, fc.array(csvByte, { maxLength: 80 }), (h, body) => agreesWithReference(Uint8Array.from([...new TextEncoder().encode(h), ...body]))),
      { numRuns: RUNS },
    );
  });

  it("generated rows (numbers near the limits, padding, decimals, junk): the same verdict and data as the reference", () => {
    const number = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 250, max: 260 }), fc.integer({ min: 0, max: 255 })).map(String);
    const field = fc
      .tuple(
        fc.constantFrom("", "", "", " ", "\t", "0"),
        fc.oneof({ weight: 20, arbitrary: number }, { weight: 1, arbitrary: fc.constantFrom("", "-1", "1e2", "3.5", "2.", "4.00", ".5", "1 2", "x", "\u00e9", "\v3", "9.0.0") }),
        fc.constantFrom("", "", "", " ", "\r", " \t", ".0"),
      )
      .map(([a, b, c]) => a + b + c);
    const headers = ["label,pixel0,pixel1,pixel2", "pixel0,pixel1,pixel2", "\ufefflabel , pixel0,pixel1,pixel2 \r"];
    const eol = fc.constantFrom("\n", "\r\n", "\n\n", " \n", "\n \t\n");
    const file = fc.integer({ min: 0, max: 2 }).chain((h) => {
      const width = h === 1 ? 3 : 4;
      const row = fc.array(field, { minLength: width, maxLength: width }).map((f) => f.join(","));
      const anyRow = fc.oneof({ weight: 10, arbitrary: row }, { weight: 1, arbitrary: fc.array(field, { minLength: 1, maxLength: 6 }).map((f) => f.join(",")) });
      return fc.tuple(fc.constant(headers[h]), fc.array(fc.tuple(anyRow, eol), { minLength: 1, maxLength: 5 }), fc.boolean());
    });
    fc.assert(
      fc.property(file, ([h, rows, finalEol]) => {
        let text = h + "\n" + rows.map(([r, e]) => r + e).join("");
        if (!finalEol) text = text.replace(/[\r\n \t]+$/, "");
        agreesWithReference(new TextEncoder().encode(text));
      }),
      { numRuns: 1000 },
    );
  });

  it("mutated valid files: the same verdict and data as the reference grammar", () => {
    fc.assert(
      fc.property(smallDataset, mutations, (d, edits) => agreesWithReference(mutate(new TextEncoder().encode(encodeDigitsCsv(d)), edits, CSV_ALPHABET))),
      { numRuns: RUNS },
    );
  });

  it("chunk boundaries anywhere give the same result as one buffer", () => {
    fc.assert(
      fc.property(smallDataset, mutations, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }), (d, edits, sizes) => {
        const bytes = mutate(new TextEncoder().encode(encodeDigitsCsv(d)), edits, CSV_ALPHABET);
        const whole = outcome(() => parseDigitsCsv(bytes, "f.csv", { inputSize: D }));
        const chunked = outcome(() => {
          const p = new DigitsCsvParser("f.csv", { inputSize: D });
          let at = 0;
          for (let k = 0; at < bytes.length; k++) {
            const n = sizes[k % sizes.length];
            p.push(bytes.subarray(at, at + n));
            at += n;
          }
          return p.end();
        });
        expect(chunked).toEqual(whole);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("fuzz: MNIST IDX and gzip", () => {
  const images = encodeIdx([4, 2, 3], Uint8Array.from({ length: 24 }, (_, i) => i * 10));
  const labels = encodeIdx([4], Uint8Array.from([0, 9, 3, 7]));

  it("mutated IDX files: a SimdnetError, or dims that match the bytes exactly", () => {
    fc.assert(
      fc.property(fc.constantFrom(images, labels), mutations, (src, edits) => {
        const bytes = mutate(src, edits);
        const r = outcome(() => parseIdx(bytes, "f.idx"));
        if ("ok" in r) {
          const header = 4 + 4 * bytes[3];
          expect(r.ok.dims.reduce((a, b) => a * b, 1)).toBe(bytes.length - header);
          expect(Buffer.from(r.ok.data).equals(Buffer.from(bytes.subarray(header)))).toBe(true);
        } else expect(r.error).toMatch(/^f\.idx, byte \d+, field (magic|dimensions|data)/);
      }),
      { numRuns: RUNS },
    );
  });

  it("mutated image/label pairs: a SimdnetError or a consistent data set", () => {
    fc.assert(
      fc.property(mutations, mutations, (e1, e2) => {
        const r = outcome(() => idxToDataset(parseIdx(mutate(images, e1), "i"), parseIdx(mutate(labels, e2), "l"), "i", "l"));
        if ("ok" in r) {
          expect(r.ok.images.length).toBe(r.ok.count * r.ok.inputSize);
          expect(r.ok.labels!.length).toBe(r.ok.count);
          expect(Math.max(...r.ok.labels!)).toBeLessThanOrEqual(9);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("random bytes never crash the IDX parser", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => void outcome(() => parseIdx(b, "f"))), { numRuns: RUNS });
  });

  it("mutated .gz: a SimdnetError naming the file, or exactly the original bytes", () => {
    const gz = gzipSync(images);
    fc.assert(
      fc.property(mutations, (edits) => {
        const bytes = mutate(gz, edits);
        const r = outcome(() => decodeMaybeGzip(bytes, "f.gz"));
        if ("error" in r) expect(r.error).toMatch(/^f\.gz, field gzip: corrupt or truncated gzip data/);
        else if (bytes[0] === 0x1f && bytes[1] === 0x8b) expect(Buffer.from(r.ok).equals(Buffer.from(images))).toBe(true);
        else expect(r.ok).toBe(bytes); // no gzip magic: passed through, and the IDX parser judges it
      }),
      { numRuns: RUNS },
    );
  });
});

/** Errors of the model/checkpoint decoders name the file and a field (layers[2].type and the like). */
const NAMED = (file: string) => new RegExp(`^${file.replace(/\./g, "\\.")}, (byte \\d+, )?field [\\w.\\[\\]]+: `);

/** Mutations confined to the JSON header of a framed file (bytes 12..12+H), where the architecture lives. */
function headerMutations(bytes: Uint8Array) {
  const H = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  return mutations.map((edits) => edits.map((e) => ({ ...e, at: (12 + e.at * H) / bytes.length })));
}

/** A decoded spec must be one the arena can lay out, with the decoded block sizes. */
function consistent(spec: ModelSpec, params: Float32Array, state: Float32Array): void {
  const layout = computeLayout(spec, 1);
  expect(params.length).toBe(layout.paramCount);
  expect(state.length).toBe(layout.stateCount);
}

describe("fuzz: model and checkpoint files", () => {
  const spec = { inputSize: 5, hidden: [3], outputSize: 4, activation: "relu" as const };
  const params = Float32Array.from({ length: 5 * 3 + 3 + 3 * 4 + 4 }, (_, i) => Math.cos(i) * 3);
  const model = encodeModel(spec, params, { metrics: { valAccuracy: 0.5 } });
  const weightsStart = model.length - params.length * 4;
  const cnnParams = Float32Array.from({ length: 159 }, (_, i) => Math.sin(i));
  const cnnState = Float32Array.from([0.1, 0.2, -0.3, 0.4, 1, 2, 0.5, 0.25]);
  const cnnModel = encodeModel(SMALL_CNN, cnnParams, { classNames: ["a", "b", "c"] }, cnnState);

  for (const [name, bytes, wantParams, wantState] of [
    ["v2 MLP", model, params, new Float32Array(0)],
    ["v1 MLP", encodeModelV1(spec, params, { metrics: { valAccuracy: 0.5 } }), params, new Float32Array(0)],
    ["v2 CNN with batch norm", cnnModel, cnnParams, cnnState],
  ] as const) {
    for (const [where, edits] of [["anywhere", mutations], ["in the header", headerMutations(bytes)]] as const) {
      it(`mutated ${name} files (${where}): a SimdnetError naming file and field, or exactly the original weights and state`, () => {
        fc.assert(
          fc.property(edits, (e) => {
            const r = outcome(() => decodeModel(mutate(bytes, e), "m.simdnet"));
            if ("ok" in r) {
              expect(Array.from(r.ok.params)).toEqual(Array.from(wantParams));
              expect(Array.from(r.ok.state)).toEqual(Array.from(wantState));
              consistent(r.ok.spec, r.ok.params, r.ok.state);
            } else expect(r.error).toMatch(NAMED("m.simdnet"));
          }),
          { numRuns: RUNS },
        );
      });
    }
  }

  it("any change to the weight or state bytes is caught", () => {
    for (const [bytes, start] of [[model, weightsStart], [cnnModel, cnnModel.length - (159 + 8) * 4]] as const)
      fc.assert(
        fc.property(fc.integer({ min: start, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
          const b = Uint8Array.from(bytes);
          b[at] ^= x;
          expect(() => decodeModel(b, "m")).toThrow(SimdnetError);
        }),
        { numRuns: RUNS },
      );
  });

  // Arbitrary architectures in a well-framed v2 file (counts and checksum made to match whenever the
  // stack can be laid out): every layer field gets valid values, near-misses or any JSON at all.
  const anyJson = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.double(), fc.string({ maxLength: 6 }), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
  const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: anyJson });
  const act = field(fc.constantFrom("relu", "none", "tanh", "gelu", "sigmoid", "leaky-relu", "swish"));
  const layerGen = fc.oneof(
    fc.record({ type: fc.constant("dense"), units: field(fc.integer({ min: 1, max: 6 })), activation: act }),
    fc.record({ type: fc.constant("conv2d"), filters: field(fc.integer({ min: 1, max: 4 })), kernelSize: field(fc.integer({ min: 1, max: 8 })), strides: field(fc.integer({ min: 1, max: 3 })), padding: field(fc.constantFrom("valid", "same", "full")), activation: act }),
    fc.record({ type: fc.constantFrom("maxPooling2d", "averagePooling2d"), poolSize: field(fc.integer({ min: 1, max: 5 })), strides: field(fc.integer({ min: 1, max: 3 })) }),
    fc.record({ type: fc.constant("batchNormalization"), activation: act }),
    fc.record({ type: fc.constant("dropout"), rate: field(fc.double({ min: -0.5, max: 1.5 })) }),
    fc.record({ type: fc.constantFrom("flatten", "globalAveragePooling2d", "lstm", "toString", "__proto__", "constructor") }),
    anyJson,
  );
  const inputGen = fc.oneof({ weight: 4, arbitrary: fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 })).map((t) => [...t]) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: -1, max: 30 }), { maxLength: 4 }) }, { weight: 1, arbitrary: anyJson });

  it("random architectures in a well-framed v2 file: a SimdnetError naming the field, or a network the arena lays out", () => {
    let loaded = 0;
    fc.assert(
      fc.property(inputGen, fc.array(layerGen, { maxLength: 5 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), (input, layers, outputSize, honest) => {
        const header: Record<string, unknown> = { format: "simdnet-model", version: 2, input, layers, outputSize, activation: "relu", paramCount: 0, stateCount: 0 };
        let floats = 0;
        try {
          // the counts a correct writer would put there (when honest and the stack is possible)
          const size = Array.isArray(input) ? input.reduce((a: number, b: number) => a * b, 1) : 1;
          const L = computeLayout({ inputSize: size, inputShape: Array.isArray(input) && input.length === 3 ? (input as number[]) : undefined, hidden: [], layers: layers as never, outputSize, activation: "relu" }, 1);
          if (honest) [header.paramCount, header.stateCount, floats] = [L.paramCount, L.stateCount, L.paramCount + L.stateCount];
        } catch {
          // impossible: the decoder must say so itself
        }
        const payload = new Uint8Array(Math.max(0, Math.min(floats, 100_000)) * 4);
        header.weightsCrc32 = crc32(payload).toString(16).padStart(8, "0");
        const r = outcome(() => decodeModel(encodeFramed(MODEL_MAGIC, header, payload), "a.simdnet"));
        if ("ok" in r) {
          loaded++;
          consistent(r.ok.spec, r.ok.params, r.ok.state);
          expect(r.ok.params.length + r.ok.state.length).toBe(floats);
        } else expect(r.error).toMatch(NAMED("a.simdnet"));
      }),
      { numRuns: RUNS * 3 },
    );
    expect(loaded, "some random architectures are valid").toBeGreaterThan(10);
  });

  const ckFields = {
    optimizer: { name: "sgd-momentum", slots: 1, steps: 10 },
    epochsCompleted: 1,
    position: { epoch: 2, batch: 3, lossSum: 4.5, correct: 60, done: 96 },
    schedule: { plateauScale: 1, best: 0.25, bad: 0 },
    seed: 1,
    config: { argv: [] },
    data: { count: 100, labelsCrc32: "12345678" },
  };
  const mlpCk: Checkpoint = { spec, params, state: new Float32Array(0), optState: Float32Array.from({ length: params.length }, (_, i) => i / 3), ...ckFields };
  const cnnCk: Checkpoint = { spec: SMALL_CNN, params: cnnParams, state: cnnState, optState: Float32Array.from({ length: 159 }, (_, i) => -i / 7), ...ckFields };
  for (const [name, ck, bytes] of [
    ["v2 MLP", mlpCk, encodeCheckpoint(mlpCk)],
    ["v1 MLP", mlpCk, encodeCheckpointV1(mlpCk)],
    ["v2 CNN with batch norm", cnnCk, encodeCheckpoint(cnnCk)],
  ] as const) {
    for (const [where, edits] of [["anywhere", mutations], ["in the header", headerMutations(bytes)]] as const) {
      it(`mutated ${name} checkpoints (${where}): a SimdnetError naming file and field, or exactly the original blocks`, () => {
        fc.assert(
          fc.property(edits, (e) => {
            const r = outcome(() => decodeCheckpoint(mutate(bytes, e), "c.simdckpt"));
            if ("ok" in r) {
              expect(Array.from(r.ok.params)).toEqual(Array.from(ck.params));
              expect(Array.from(r.ok.state)).toEqual(Array.from(ck.state));
              expect(r.ok.optState.length).toBe(r.ok.optimizer.slots * ck.params.length);
              consistent(r.ok.spec, r.ok.params, r.ok.state);
            } else expect(r.error).toMatch(NAMED("c.simdckpt"));
          }),
          { numRuns: RUNS },
        );
      });
    }
  }
});
