// Kaggle digit-recognizer CSV, parsed streaming straight into uint8 arrays: bytes in, no JS string
// per line. train.csv: "label,pixel0..pixel783"; test.csv: "pixel0..pixel783".
// Accepted: a UTF-8 BOM, CRLF endings, blank lines, spaces around values, no final newline,
// and integral decimals like "12.0". Anything else is a SimdnetError naming file, line and field.
import { SimdnetError } from "../errors.js";
import type { Dataset } from "./dataset.js";

export interface CsvOptions {
  /** Pixels per row (784 for MNIST). */
  inputSize?: number;
  /** true: the label column is required; false: forbidden; undefined: either. */
  requireLabels?: boolean;
}

const COMMA = 44, LF = 10, CR = 13, SPACE = 32, TAB = 9, DOT = 46, MINUS = 45, ZERO = 48, NINE = 57;

export class DigitsCsvParser {
  private readonly inputSize: number;
  private readonly requireLabels?: boolean;
  private header: number[] = []; // bytes of the header line, until it is complete
  private headerDone = false;
  private hasLabels = false;
  private fieldsPerRow = 0;
  private line = 1;
  // current row state
  private field = 0;
  private value = 0;
  private digits = 0;
  private afterValue = false; // whitespace after the digits: only a separator may follow
  private fraction = false; // inside ".000"
  private rowHasContent = false;
  private rowPixels = new Uint8Array(0);
  private rowLabel = 0;
  // output
  private images: Uint8Array;
  private labels: Uint8Array;
  private count = 0;

  constructor(readonly file: string, options: CsvOptions = {}) {
    this.inputSize = options.inputSize ?? 784;
    this.requireLabels = options.requireLabels;
    this.images = new Uint8Array(1024 * this.inputSize);
    this.labels = new Uint8Array(1024);
    this.rowPixels = new Uint8Array(this.inputSize);
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    if (!this.headerDone) {
      for (; i < chunk.length; i++) {
        if (chunk[i] === LF) {
          this.parseHeader();
          i++;
          break;
        }
        this.header.push(chunk[i]);
        if (this.header.length > 1 << 20) throw this.err("header line longer than 1 MiB", "header");
      }
      if (!this.headerDone) return;
    }
    for (; i < chunk.length; i++) this.byte(chunk[i]);
  }

  end(): Dataset {
    if (!this.headerDone) {
      if (this.header.length === 0 || this.header.every((b) => b === SPACE || b === CR || b === TAB || b === 0xef || b === 0xbb || b === 0xbf))
        throw new SimdnetError("empty file: expected a header line like label,pixel0,...,pixel783", { file: this.file, line: 1 });
      this.parseHeader();
    }
    if (this.rowHasContent || this.field > 0) this.endRow(); // no final newline
    if (this.count === 0) throw new SimdnetError("no data rows after the header", { file: this.file, line: this.line });
    return {
      images: this.images.slice(0, this.count * this.inputSize),
      labels: this.hasLabels ? this.labels.slice(0, this.count) : null,
      count: this.count,
      inputSize: this.inputSize,
      source: this.file,
    };
  }

  private parseHeader(): void {
    let bytes = Uint8Array.from(this.header);
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    const text = new TextDecoder().decode(bytes).replace(/\r$/, "");
    const names = text.split(",").map((s) => s.trim());
    if (names.length === 1 && names[0] === "") throw new SimdnetError("empty header line: expected label,pixel0,...,pixel783", { file: this.file, line: 1, field: "header" });
    this.hasLabels = names[0] === "label";
    const pixelNames = this.hasLabels ? names.slice(1) : names;
    if (this.requireLabels === true && !this.hasLabels) {
      throw new SimdnetError(`the first column must be "label" for training data, got "${names[0]}"` + (names.includes("label") ? ` ("label" is column ${names.indexOf("label") + 1})` : ""), {
        file: this.file,
        line: 1,
        field: "header",
      });
    }
    if (this.requireLabels === false && this.hasLabels)
      throw new SimdnetError(`unexpected "label" column: expected pixel0,...,pixel${this.inputSize - 1}`, { file: this.file, line: 1, field: "header" });
    for (let p = 0; p < pixelNames.length; p++) {
      if (pixelNames[p] !== `pixel${p}`) {
        throw new SimdnetError(`header column ${p + (this.hasLabels ? 2 : 1)} is "${pixelNames[p]}", expected "pixel${p}"`, { file: this.file, line: 1, field: "header" });
      }
    }
    if (pixelNames.length !== this.inputSize)
      throw new SimdnetError(`header has ${pixelNames.length} pixel columns, expected ${this.inputSize} (pixel0..pixel${this.inputSize - 1})`, { file: this.file, line: 1, field: "header" });
    this.fieldsPerRow = this.inputSize + (this.hasLabels ? 1 : 0);
    this.headerDone = true;
    this.line = 2;
  }

  private byte(c: number): void {
    if (c >= ZERO && c <= NINE) {
      if (this.afterValue) throw this.err("a space inside a number", this.fieldName());
      if (this.fraction) {
        if (c !== ZERO) throw this.err("expected an integer 0–255, got a fractional number", this.fieldName());
        return;
      }
      this.value = this.value * 10 + (c - ZERO);
      this.digits++;
      this.rowHasContent = true;
      if (this.value > 255) throw this.err("value greater than 255 (expected an integer 0–255)", this.fieldName());
      return;
    }
    switch (c) {
      case COMMA:
        this.rowHasContent = true;
        this.endField();
        return;
      case LF:
        if (this.rowHasContent || this.field > 0) this.endRow();
        this.line++;
        return;
      case SPACE:
      case TAB:
      case CR:
        if (this.digits > 0) this.afterValue = true;
        return;
      case DOT:
        if (this.digits === 0 || this.fraction || this.afterValue) throw this.err("expected an integer 0–255", this.fieldName());
        this.fraction = true;
        return;
      case MINUS:
        throw this.err("negative value (expected an integer 0–255)", this.fieldName());
      default:
        throw this.err(`unexpected character ${printable(c)} (expected an integer 0–255)`, this.fieldName());
    }
  }

  private fieldName(): string {
    if (this.hasLabels) return this.field === 0 ? "label" : `pixel${this.field - 1}`;
    return `pixel${this.field}`;
  }

  private endField(): void {
    if (this.digits === 0) throw this.err("empty value (expected an integer 0–255)", this.fieldName());
    if (this.field >= this.fieldsPerRow) throw this.err(`too many fields: expected ${this.fieldsPerRow}`, `column ${this.field + 1}`);
    if (this.hasLabels && this.field === 0) {
      if (this.value > 9) throw this.err(`label ${this.value} is outside 0–9`, "label");
      this.rowLabel = this.value;
    } else {
      this.rowPixels[this.field - (this.hasLabels ? 1 : 0)] = this.value;
    }
    this.field++;
    this.value = 0;
    this.digits = 0;
    this.afterValue = false;
    this.fraction = false;
  }

  private endRow(): void {
    this.endField();
    if (this.field !== this.fieldsPerRow) throw this.err(`too few fields: expected ${this.fieldsPerRow}, got ${this.field}`, this.fieldName());
    if (this.count * this.inputSize === this.images.length) {
      const grown = new Uint8Array(this.images.length * 2);
      grown.set(this.images);
      this.images = grown;
      const grownLabels = new Uint8Array(this.labels.length * 2);
      grownLabels.set(this.labels);
      this.labels = grownLabels;
    }
    this.images.set(this.rowPixels, this.count * this.inputSize);
    this.labels[this.count] = this.rowLabel;
    this.count++;
    this.field = 0;
    this.rowHasContent = false;
  }

  private err(message: string, field: string): SimdnetError {
    return new SimdnetError(message, { file: this.file, line: this.line, field });
  }
}

function printable(c: number): string {
  return c >= 33 && c < 127 ? `"${String.fromCharCode(c)}"` : `byte 0x${c.toString(16).padStart(2, "0")}`;
}

/** Parses a whole CSV held in memory (tests, browser uploads). */
export function parseDigitsCsv(bytes: Uint8Array, file: string, options?: CsvOptions): Dataset {
  const p = new DigitsCsvParser(file, options);
  p.push(bytes);
  return p.end();
}

/** Writes a data set as Kaggle CSV (with a label column when it has labels). */
export function encodeDigitsCsv(data: Dataset): string {
  const D = data.inputSize;
  const head = (data.labels ? "label," : "") + Array.from({ length: D }, (_, i) => `pixel${i}`).join(",");
  const lines = [head];
  for (let i = 0; i < data.count; i++) {
    const px = Array.from(data.images.subarray(i * D, (i + 1) * D)).join(",");
    lines.push(data.labels ? `${data.labels[i]},${px}` : px);
  }
  return lines.join("\n") + "\n";
}
