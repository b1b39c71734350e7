// The digits CSV parser at its edges (src/data/csv.ts), found by the mutation run: files with no
// header line or only a BOM and blanks, the 1 MiB header limit on both sides, a BOM, a last row
// without a newline, a header split across read chunks.
import { describe, expect, it } from "vitest";
import { DigitsCsvParser, parseDigitsCsv } from "../src/data/csv.js";
import { thrown } from "./helpers.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const EMPTY = /^e\.csv, line 1: empty file: expected a header line like label,pixel0,...,pixel783$/;

describe("digits CSV edges", () => {
  it("a file of nothing, blanks or a lone BOM is an empty file", () => {
    for (const text of ["", " ", "\t", "\r", "\ufeff", "\ufeff \t\r"]) expect(thrown(() => parseDigitsCsv(bytes(text), "e.csv", { inputSize: 1 })).message, JSON.stringify(text)).toMatch(EMPTY);
    // …but a header line without a newline is read as a header
    expect(thrown(() => parseDigitsCsv(bytes("x"), "e.csv", { inputSize: 1 })).message).toMatch(/header column 1 is "x", expected "pixel0"/);
    expect(thrown(() => parseDigitsCsv(bytes("label,pixel0"), "e.csv", { inputSize: 1 })).message).toMatch(/no data rows after the header/);
    expect(thrown(() => parseDigitsCsv(bytes("\n"), "e.csv", { inputSize: 1 })).message).toMatch(/empty header line/);
  });

  it("a header line of up to 1 MiB is read; one byte more is refused", () => {
    const at = thrown(() => parseDigitsCsv(bytes("x".repeat(1 << 20) + "\n0\n"), "e.csv", { inputSize: 1 }));
    expect(at.message).toMatch(/header column 1 is "x+", expected "pixel0"/);
    const over = thrown(() => parseDigitsCsv(bytes("x".repeat((1 << 20) + 1) + "\n0\n"), "e.csv", { inputSize: 1 }));
    expect(over.message).toMatch(/header line longer than 1 MiB/);
    expect(over.field).toBe("header");
  });

  it("a BOM before the header, CRLF lines and a last row without a newline", () => {
    const plain = parseDigitsCsv(bytes("label,pixel0,pixel1\n3,0,255\n7,128,1"), "a.csv", { inputSize: 2 });
    const bom = parseDigitsCsv(bytes("\ufefflabel,pixel0,pixel1\r\n3,0,255\r\n7,128,1\r\n"), "a.csv", { inputSize: 2 });
    for (const d of [plain, bom]) {
      expect(d.count).toBe(2);
      expect(Array.from(d.labels!)).toEqual([3, 7]);
      expect(Array.from(d.images)).toEqual([0, 255, 128, 1]);
    }
  });

  it("without a label column there are no labels", () => {
    const d = parseDigitsCsv(bytes("pixel0\n5\n"), "t.csv", { inputSize: 1 });
    expect(d.labels).toBeNull();
    expect(Array.from(d.images)).toEqual([5]);
  });

  it("a header and rows split across read chunks at any byte", () => {
    const text = bytes("label,pixel0,pixel1\n3,0,255\n7,128,1\n");
    for (let cut = 1; cut < text.length; cut++) {
      const p = new DigitsCsvParser("c.csv", { inputSize: 2 });
      p.push(text.subarray(0, cut));
      p.push(text.subarray(cut));
      const d = p.end();
      expect(Array.from(d.images), `cut at ${cut}`).toEqual([0, 255, 128, 1]);
      expect(Array.from(d.labels!)).toEqual([3, 7]);
    }
  });
});
