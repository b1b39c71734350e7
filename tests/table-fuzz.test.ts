// Property-based tests (fast-check) of the table parser: random tables written as CSV (quoted or
// not, exponent notation, spaces, CRLF) parse back to exactly their values; random or mutated
// bytes either parse or throw a SimdnetError naming file and line — never another exception.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTable } from "../src/data/table.js";
import { SimdnetError } from "../src/errors.js";

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

describe("table parser (fuzz)", () => {
  it("round trip: random tables written in many spellings parse to the same values and labels", () => {
    const cell = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => Math.fround(v) + 0); // no -0: String(-0) is "0"
    const table = fc.record({
      cols: fc.integer({ min: 1, max: 5 }),
      rows: fc.integer({ min: 1, max: 8 }),
    }).chain(({ cols, rows }) =>
      fc.record({
        values: fc.array(fc.array(cell, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }),
        labels: fc.array(fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s.trim() === s && !/[\r\n]/.test(s) && s !== ""), { minLength: rows, maxLength: rows }),
        spelling: fc.array(fc.constantFrom("plain", "exp", "quoted", "spaced"), { minLength: rows * cols, maxLength: rows * cols }),
        crlf: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(table, ({ values, labels, spelling, crlf }) => {
        const cols = values[0].length;
        const head = [...Array.from({ length: cols }, (_, j) => quote(`f ${j}, "x"`)), "label"].join(",");
        const lines = values.map((row, r) =>
          [...row.map((v, j) => {
            const s = spelling[r * cols + j];
            return s === "exp" ? v.toExponential() : s === "quoted" ? quote(String(v)) : s === "spaced" ? ` ${v} ` : String(v);
          }), quote(labels[r])].join(","),
        );
        const text = [head, ...lines].join(crlf ? "\r\n" : "\n") + (crlf ? "\r\n" : "\n");
        const t = parseTable(text, "f.csv");
        expect(t.featureNames).toEqual(Array.from({ length: cols }, (_, j) => `f ${j}, "x"`));
        expect(Array.from(t.values)).toEqual(values.flat().map((v) => Math.fround(v)));
        expect(t.labels).toEqual(labels);
      }),
      { numRuns: 300 },
    );
  });

  it("random and mutated text: a table or a SimdnetError with file and line", () => {
    const base = 'a,"b c",label\n1,2e3,x\n-4.5,.5,"y, z"\n';
    const mutated = fc.tuple(fc.integer({ min: 0, max: base.length }), fc.integer({ min: 0, max: 3 }), fc.string({ maxLength: 3, unit: fc.constantFrom(",", '"', "\n", "\r", " ", "a", "1", "e", "-", ".", "\uFEFF") })).map(([at, del, ins]) => base.slice(0, at) + ins + base.slice(at + del));
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 40 })), (text) => {
        try {
          const t = parseTable(text, "m.csv", { missing: text.length % 2 ? "mean" : "error" });
          expect(t.count).toBeGreaterThan(0);
          expect(t.values.length).toBe(t.count * t.featureNames.length);
        } catch (e) {
          if (!(e instanceof SimdnetError)) throw e;
          expect(e.file).toBe("m.csv");
          expect(e.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
