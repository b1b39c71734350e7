// Property-based tests (fast-check) of the ONNX reader: random bytes, random protobuf messages, every
// truncation of a real export, and mutated exports (simdnet's and PyTorch's) either import as a valid
// model or are refused with a SimdnetError — never another exception, never garbage. Bounded runs: a
// few seconds (ONNX_FUZZ_RUNS=N for more).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimdnetError } from "../src/errors.js";
import { importOnnx } from "../src/export/onnx-import.js";
import { decodeOnnx } from "../src/export/onnx-proto.js";
import { toOnnx } from "../src/export/onnx.js";
import { computeLayout } from "../src/model/arena.js";
import { Model } from "../src/model/model.js";
import { Writer } from "../src/export/protobuf.js";

const RUNS = Number(process.env.ONNX_FUZZ_RUNS ?? 300);

function outcome<T>(f: () => T): { ok: T } | { error: string } {
  try {
    return { ok: f() };
  } catch (e) {
    if (!(e instanceof SimdnetError)) throw new Error(`not a SimdnetError: ${(e as Error)?.stack ?? e}`);
    return { error: e.message };
  }
}

/** An import either fails cleanly or gives a model whose blocks fit its spec, all finite. */
function checkImport(bytes: Uint8Array): { ok: boolean; error?: string } {
  const r = outcome(() => importOnnx(bytes, "f.onnx"));
  if ("error" in r) {
    expect(r.error).toMatch(/^f\.onnx/);
    return { ok: false, error: r.error };
  }
  const layout = computeLayout(r.ok.spec, 1);
  expect(r.ok.params.length).toBe(layout.paramCount);
  expect(r.ok.state.length).toBe(layout.stateCount);
  expect(r.ok.params.every(Number.isFinite)).toBe(true);
  return { ok: true };
}

const mlp = Model.create({ inputSize: 12, hidden: [5], classes: 3, activation: "gelu", seed: 2, backend: "js" });
const cnn = Model.create({ input: [6, 6, 2], layers: [{ type: "conv2d", filters: 3, kernelSize: 3, padding: "same" }, { type: "batchNormalization", activation: "relu" }, { type: "maxPooling2d", poolSize: 2 }, { type: "flatten" }], classes: 3, seed: 3, backend: "js" });
// two simdnet exports and a PyTorch one (Constant, Reshape, BatchNormalization with eps 1e-3, GlobalAveragePool)
const EXPORTS = [toOnnx(mlp), toOnnx(cnn), new Uint8Array(readFileSync(join(import.meta.dirname, "fixtures/onnx/torch-gap.onnx")))];

describe("ONNX reader fuzz", () => {
  it("refuses random bytes with a SimdnetError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(checkImport(bytes).ok).toBe(false);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it("refuses random protobuf-shaped messages (valid wire format, random fields)", () => {
    const field = fc.record({ no: fc.integer({ min: 1, max: 25 }), kind: fc.constantFrom("int", "float", "bytes", "msg"), v: fc.integer({ min: -5, max: 1 << 20 }), b: fc.uint8Array({ maxLength: 40 }) });
    fc.assert(
      fc.property(fc.array(field, { maxLength: 12 }), fc.array(field, { maxLength: 8 }), (outer, inner) => {
        const sub = new Writer();
        for (const f of inner) f.kind === "int" ? sub.int(f.no, f.v) : f.kind === "float" ? sub.float(f.no, f.v) : sub.bytes(f.no, f.b);
        const w = new Writer();
        for (const f of outer) f.kind === "int" ? w.int(f.no, f.v) : f.kind === "float" ? w.float(f.no, f.v) : f.kind === "msg" ? w.message(f.no, sub) : w.bytes(f.no, f.b);
        checkImport(w.finish());
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it.each([0, 1])("refuses every truncation of a real export (model %i) that cuts into the model", (which) => {
    const bytes = EXPORTS[which];
    expect(checkImport(bytes).ok).toBe(true);
    const whole = importOnnx(bytes);
    let refused = 0;
    for (let n = 0; n < bytes.length; n++) {
      const r = checkImport(bytes.subarray(0, n));
      if (!r.ok) refused++;
      // a cut between two top-level fields after everything the model needs (the metadata is last) is the same model
      else expect(Array.from(importOnnx(bytes.subarray(0, n)).params)).toEqual(Array.from(whole.params));
    }
    expect(refused).toBeGreaterThan(bytes.length * 0.99);
  });

  it("mutated exports import as valid models or are refused (byte flips, insertions, deletions)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2),
        fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom("set", "insert", "delete"), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
        (which, edits) => {
          let b = Array.from(EXPORTS[which]);
          for (const e of edits) {
            const at = e.at % (b.length + 1);
            if (e.kind === "set" && at < b.length) b[at] = e.byte;
            else if (e.kind === "insert") b.splice(at, 0, e.byte);
            else b.splice(at, 1);
          }
          checkImport(Uint8Array.from(b));
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it("the decoder names the byte of a truncated field", () => {
    const bytes = EXPORTS[0];
    const r = outcome(() => decodeOnnx(bytes.subarray(0, bytes.length - 3), "f.onnx"));
    expect("error" in r && r.error).toMatch(/^f\.onnx, byte \d+, field [\w.[\]]+: not a valid ONNX file: .*truncated/);
  });
});
