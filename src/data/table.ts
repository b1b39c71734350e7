// Any labelled CSV: a header row, a label column (or several, for multi-output regression) and
// feature columns (numbers: integers, decimals, exponent form). Parsed streaming, cell by cell,
// into one float block (missing cells as NaN) and the label cells as strings. What the numbers
// mean — class names, normalisation statistics, target scaling — is decided afterwards from the
// training rows only (fitPreprocessing) and applied to any table (applyPreprocessing), so the
// statistics a model stores never saw its validation or test rows. Browser-safe.
import { SimdnetError } from "../errors.js";
import type { Dataset } from "./dataset.js";
import type { InputKind, Task } from "../model/spec.js";

export type NormalizeKind = "standard" | "minmax" | "none";
export type MissingPolicy = "error" | "mean" | "drop";
export const MISSING_POLICIES: MissingPolicy[] = ["error", "mean", "drop"];

export interface TableOptions {
  /** The target column (default "label"), or several for multi-output regression. */
  label?: string | string[];
  /** Only these feature columns (default: every column but the label and ignored ones). */
  features?: string[];
  /** Columns to leave out (ids, names). */
  ignore?: string[];
  /** Empty or non-numeric feature cells: an error naming the place (default), the training mean, or drop the row. */
  missing?: MissingPolicy;
  /** [H, W, C] of image rows (the pixel path: uint8 inputs); default: pixel0..pixelN columns are images, square when N is. */
  inputShape?: number[];
  /** When true, the features are pixels even if not named pixel0..; with inputShape this is implied. */
  pixels?: boolean;
  /** For error messages: the model whose columns are expected (apply a model to a new file). */
  expect?: { features: string[]; label: string[] };
  /** The label column may be absent (predict on unlabelled rows). */
  labelOptional?: boolean;
  /** What to suggest for a missing cell (default: the --missing and --ignore options). */
  missingHint?: string;
}

/** A parsed table: raw feature values and label strings, before any preprocessing. */
export interface Table {
  source: string;
  /** Header names of every column, in file order. */
  columns: string[];
  featureNames: string[];
  labelNames: string[];
  /** Rows kept (after --missing drop). */
  count: number;
  /** (count, features) raw values; NaN where a cell was empty or not a number. */
  values: Float32Array;
  /** (count, labels) label cells as written (trimmed, unquoted); null when the file has no label column. */
  labels: string[] | null;
  /** The file line of each row (for messages). */
  lines: Uint32Array;
  /** Image rows: the pixel path (uint8 inputs) with this shape. */
  inputShape: number[] | null;
  /** Rows dropped by missing: "drop". */
  dropped: number;
  /** For each feature with missing cells: the first place (line), for messages. */
  firstMissing: (number | null)[];
}

/** What a model keeps about its data: stored in the model file, applied at predict/evaluate. */
export interface DataMeta {
  task: Task;
  inputKind: InputKind;
  /** Feature columns, in input order. */
  features: string[];
  /** Target column(s). */
  label: string[];
  /** Classification: class names, index = output unit (sorted distinct training labels). */
  classNames?: string[];
  /** Float features: how they are scaled (statistics of the training rows, raw units). */
  normalization?: { kind: NormalizeKind; mean?: number[]; std?: number[]; min?: number[]; max?: number[] };
  /** How missing feature cells were handled; fill: the training mean of each feature (raw units). */
  missing?: { policy: MissingPolicy; fill: number[] };
  /** Regression: targets are standardised inside, (y − mean)/std; predictions are given back in these units. */
  targets?: { names: string[]; mean: number[]; std: number[] };
  /** Image rows: the largest pixel value (0..pixelMax is mapped to 0..255). */
  pixelMax?: number;
  inputShape?: number[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** A cell as a number, or NaN when empty or not a number ("NA", "?", "abc"). */
export function parseNumber(cell: string): number {
  return NUMBER.test(cell) ? Number(cell) : NaN;
}
const PIXEL = /^pixel(\d+)$/;

/**
 * RFC 4180 records from text chunks: quoted cells ("a, b", "say ""hi"""), quoted newlines, CRLF,
 * a BOM, blank lines skipped. onRecord gets the cells (unquoted, trimmed when unquoted) and the
 * line where the record starts.
 */
export class CsvRecords {
  private cells: string[] = [];
  private cell = "";
  private quoted = false; // inside quotes
  private wasQuoted = false; // the current cell was quoted
  private afterQuote = false; // closing quote seen: only a separator may follow
  private line = 1;
  private recordLine = 1;
  private started = false;
  private pendingQuote = false; // a quote inside quotes: "" or the closing one
  constructor(readonly file: string, private readonly onRecord: (cells: string[], line: number) => void) {}

  push(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.pendingQuote) {
        this.pendingQuote = false;
        if (c === '"') {
          this.cell += '"';
          continue;
        }
        this.quoted = false;
        this.afterQuote = true;
      }
      if (this.quoted) {
        if (c === '"') this.pendingQuote = true;
        else {
          if (c === "\n") this.line++;
          this.cell += c;
        }
        continue;
      }
      if (c === ",") {
        this.endCell();
        this.started = true;
      } else if (c === "\n") {
        this.endRecord();
        this.line++;
        this.recordLine = this.line;
      } else if (c === '"') {
        if (this.cell.trim() !== "" || this.wasQuoted)
          throw new SimdnetError(`a quote inside an unquoted cell (quote the whole cell: "…")`, { file: this.file, line: this.line, field: `column ${this.cells.length + 1}` });
        this.cell = "";
        this.quoted = true;
        this.wasQuoted = true;
        this.started = true;
      } else if (this.afterQuote) {
        if (c !== " " && c !== "\t" && c !== "\r")
          throw new SimdnetError(`unexpected ${JSON.stringify(c)} after a closing quote`, { file: this.file, line: this.line, field: `column ${this.cells.length + 1}` });
      } else {
        if (c === "\uFEFF" && this.line === 1 && !this.started && this.cell === "") continue;
        this.cell += c;
        if (c !== " " && c !== "\t" && c !== "\r") this.started = true;
      }
    }
  }

  end(): void {
    if (this.pendingQuote) {
      this.pendingQuote = false;
      this.quoted = false;
      this.afterQuote = true;
    }
    if (this.quoted) throw new SimdnetError("unterminated quoted cell at the end of the file", { file: this.file, line: this.recordLine, field: `column ${this.cells.length + 1}` });
    this.endRecord();
  }

  private endCell(): void {
    this.cells.push(this.wasQuoted ? this.cell : this.cell.trim());
    this.cell = "";
    this.wasQuoted = false;
    this.afterQuote = false;
  }

  private endRecord(): void {
    if (!this.started && this.cells.length === 0) {
      this.cell = "";
      return; // blank line
    }
    this.endCell();
    const cells = this.cells;
    this.cells = [];
    this.started = false;
    this.onRecord(cells, this.recordLine);
  }
}

/** Streams a table: push text chunks, then end(). */
export class TableParser {
  private readonly records: CsvRecords;
  private header: string[] | null = null;
  private featureCols: number[] = [];
  private labelCols: number[] = [];
  private table!: Table;
  private values = new Float32Array(1024);
  private labels: string[] = [];
  private lines: number[] = [];
  private count = 0;
  private dropped = 0;
  private readonly missing: MissingPolicy;
  private row: Float32Array = new Float32Array(0);

  constructor(readonly file: string, private readonly o: TableOptions = {}) {
    this.missing = o.missing ?? "error";
    this.records = new CsvRecords(file, (cells, line) => (this.header ? this.record(cells, line) : this.parseHeader(cells, line)));
  }

  push(text: string): void {
    this.records.push(text);
  }

  end(): Table {
    this.records.end();
    if (!this.header) throw new SimdnetError("empty file: expected a header line naming the columns", { file: this.file, line: 1 });
    if (this.count === 0)
      throw new SimdnetError(this.dropped ? `every row had a missing value (--missing drop dropped all ${this.dropped})` : "no data rows after the header", { file: this.file, line: 2 });
    const F = this.featureCols.length;
    return { ...this.table, count: this.count, values: this.values.slice(0, this.count * F), labels: this.labelCols.length && this.labels.length ? this.labels : null, lines: Uint32Array.from(this.lines), dropped: this.dropped };
  }

  private parseHeader(names: string[], line: number): void {
    const fail = (message: string, field = "header") => new SimdnetError(message, { file: this.file, line, field });
    if (names.every((n) => n === "")) throw fail("empty header line: expected the column names");
    names.forEach((n, i) => {
      if (n === "") throw fail(`column ${i + 1} has no name`, `column ${i + 1}`);
      const j = names.indexOf(n);
      if (j !== i) throw fail(`column name "${n}" appears twice (columns ${j + 1} and ${i + 1})`, `column ${i + 1}`);
    });
    const label = this.o.label === undefined ? ["label"] : Array.isArray(this.o.label) ? this.o.label : [this.o.label];
    const labelCols = label.map((l) => names.indexOf(l));
    const missingLabel = label.filter((_, i) => labelCols[i] < 0);
    if (missingLabel.length && !(this.o.labelOptional && missingLabel.length === label.length))
      throw fail(`no column "${missingLabel[0]}" for the label${label.length > 1 ? "s" : ""} (--label); the columns are ${names.join(", ")}`);
    this.labelCols = missingLabel.length ? [] : labelCols;
    const ignore = this.o.ignore ?? [];
    for (const n of ignore) if (!names.includes(n)) throw fail(`no column "${n}" to ignore (--ignore); the columns are ${names.join(", ")}`);
    let featureNames: string[];
    if (this.o.features) {
      for (const n of this.o.features) {
        if (!names.includes(n)) throw fail(`no feature column "${n}" (--features); the columns are ${names.join(", ")}`);
        if (label.includes(n)) throw fail(`"${n}" is the label column: it cannot be a feature too`);
      }
      featureNames = [...this.o.features];
    } else featureNames = names.filter((n) => !label.includes(n) && !ignore.includes(n));
    if (this.o.expect) {
      const want = this.o.expect.features;
      const absent = want.filter((n) => !names.includes(n));
      if (absent.length) throw fail(`the model was trained on column${absent.length > 1 ? "s" : ""} ${absent.map((n) => `"${n}"`).join(", ")}, which this file does not have`);
      featureNames = [...want];
    }
    if (featureNames.length === 0) throw fail(`no feature columns: every column is the label or ignored`);
    this.featureCols = featureNames.map((n) => names.indexOf(n));
    this.header = names;
    const pixelNames = featureNames.every((n, i) => PIXEL.test(n) && Number(PIXEL.exec(n)![1]) === i);
    let inputShape: number[] | null = null;
    if (this.o.inputShape) {
      const size = this.o.inputShape.reduce((a, b) => a * b, 1);
      if (size !== featureNames.length) throw fail(`--input-shape ${this.o.inputShape.join("x")} holds ${size} values, but there are ${featureNames.length} feature columns`);
      inputShape = this.o.inputShape;
    } else if (pixelNames || this.o.pixels) {
      const s = Math.round(Math.sqrt(featureNames.length));
      inputShape = s * s === featureNames.length ? [s, s, 1] : [featureNames.length];
    }
    this.row = new Float32Array(featureNames.length);
    this.table = { source: this.file, columns: names, featureNames, labelNames: this.labelCols.length ? label : [], count: 0, values: new Float32Array(0), labels: null, lines: new Uint32Array(0), inputShape, dropped: 0, firstMissing: featureNames.map(() => null) };
  }

  private record(cells: string[], line: number): void {
    const names = this.header!;
    if (cells.length !== names.length)
      throw new SimdnetError(`${cells.length < names.length ? "too few" : "too many"} fields: the header has ${names.length} columns, this row ${cells.length}`, { file: this.file, line, field: `column ${Math.min(cells.length, names.length) + 1}` });
    const F = this.featureCols.length;
    let missingHere = false;
    for (let j = 0; j < F; j++) {
      const col = this.featureCols[j];
      const v = parseNumber(cells[col]);
      if (Number.isNaN(v)) {
        if (this.missing === "error") {
          const what = cells[col] === "" ? "empty cell" : `not a number: ${JSON.stringify(cells[col].slice(0, 40))}`;
          throw new SimdnetError(`${what} in feature column "${names[col]}" (${this.o.missingHint ?? `use --missing mean or --missing drop to fill or skip such rows, or --ignore ${names[col]}`})`, { file: this.file, line, field: `column ${col + 1} (${names[col]})` });
        }
        missingHere = true;
        if (this.table.firstMissing[j] === null) this.table.firstMissing[j] = line;
      }
      this.row[j] = v;
    }
    for (const col of this.labelCols)
      if (cells[col] === "") {
        if (this.missing === "drop") missingHere = true;
        else throw new SimdnetError(`empty label cell in column "${names[col]}" (--missing drop skips such rows)`, { file: this.file, line, field: `column ${col + 1} (${names[col]})` });
      }
    if (missingHere && this.missing === "drop") {
      this.dropped++;
      return;
    }
    if ((this.count + 1) * F > this.values.length) {
      const grown = new Float32Array(Math.max(this.values.length * 2, (this.count + 1) * F));
      grown.set(this.values);
      this.values = grown;
    }
    this.values.set(this.row, this.count * F);
    for (const col of this.labelCols) this.labels.push(cells[col]);
    this.lines.push(line);
    this.count++;
  }
}

/** The column names of a CSV's header record (quotes handled), from the start of its text. */
export function csvHeader(text: string, file: string): string[] {
  let names: string[] | null = null;
  const r = new CsvRecords(file, (cells) => (names ??= cells));
  const end = text.indexOf("\n");
  r.push(end < 0 ? text : text.slice(0, end + 1));
  if (!names) r.end();
  return names ?? [];
}

/** Parses a table held in memory (tests, browser uploads). */
export function parseTable(text: string | Uint8Array, file: string, options?: TableOptions): Table {
  const p = new TableParser(file, options);
  p.push(typeof text === "string" ? text : new TextDecoder().decode(text));
  return p.end();
}

/** Column names of a CSV's header line: is it a Kaggle digit file (label?,pixel0..pixel783)? */
export function isKaggleDigitsHeader(headerLine: string): boolean {
  const names = headerLine.replace(/^\uFEFF/, "").replace(/\r$/, "").split(",").map((s) => s.trim());
  const px = names[0] === "label" ? names.slice(1) : names;
  return px.length === 784 && px.every((n, i) => n === `pixel${i}`);
}

export interface PreprocessOptions {
  normalize?: NormalizeKind;
  task?: Task | "auto";
  /** Largest pixel value of image rows (default: detected from the training rows: 1, 16 or 255). */
  pixelMax?: number;
  /** Called with a notice (the task chosen automatically, the pixel range detected). */
  notice?: (message: string) => void;
}

/** Is this label column regression-like: numbers with many distinct values, non-integer or very many. */
export function detectTask(labels: string[]): { task: Task; reason: string } {
  const distinct = new Set<string>();
  let nonInteger = false;
  for (const s of labels) {
    const v = parseNumber(s);
    if (Number.isNaN(v)) return { task: "classification", reason: `the label "${s}" is not a number` };
    if (!Number.isInteger(v)) nonInteger = true;
    distinct.add(String(v));
  }
  const d = distinct.size;
  if (d > 10 && (nonInteger || d > 50))
    return { task: "regression", reason: `the label is numeric with ${d} distinct${nonInteger ? " non-integer" : ""} values` };
  return { task: "classification", reason: `the label has ${d} distinct ${nonInteger ? "numeric" : "integer"} values` };
}

/** A label cell as a class name: numbers in one spelling ("1.0" and "1" are the same class). */
function className(s: string, numeric: boolean): string {
  return numeric ? String(Number(s)) : s;
}

/**
 * What a model learns about its data from the training rows (indices into the table) only:
 * class names (sorted distinct labels), normalisation statistics, fill values for missing cells,
 * target mean and std, the pixel range. Constant columns get std (or range) 1, never NaN.
 */
export function fitPreprocessing(table: Table, train: ArrayLike<number>, o: PreprocessOptions = {}): DataMeta {
  const F = table.featureNames.length;
  const n = train.length;
  if (n === 0) throw new SimdnetError("no training rows", { file: table.source });
  if (!table.labels) throw new SimdnetError(`no label column (${table.labelNames.join(",") || "label"})`, { file: table.source, line: 1, field: "header" });
  const L = table.labelNames.length;
  const trainLabels = (j: number) => Array.from({ length: n }, (_, r) => table.labels![train[r] * L + j]);
  let task: Task;
  if (o.task === undefined || o.task === "auto") {
    const detected = L > 1 ? { task: "regression" as Task, reason: `${L} label columns (multi-output regression)` } : detectTask(trainLabels(0));
    task = detected.task;
    o.notice?.(`task: ${task} (${detected.reason}; --task ${task === "regression" ? "classification" : "regression"} to override)`);
  } else task = o.task;
  if (L > 1 && task === "classification") throw new SimdnetError(`several label columns (${table.labelNames.join(", ")}) need --task regression`, { field: "--label" });
  const meta: DataMeta = { task, inputKind: table.inputShape ? "u8" : "f32", features: [...table.featureNames], label: [...table.labelNames] };
  if (table.inputShape) meta.inputShape = [...table.inputShape];

  // per-feature statistics over the training rows, missing cells skipped
  const sum = new Float64Array(F), sq = new Float64Array(F), cnt = new Float64Array(F);
  const mn = new Float64Array(F).fill(Infinity), mx = new Float64Array(F).fill(-Infinity);
  for (let r = 0; r < n; r++) {
    const base = train[r] * F;
    for (let j = 0; j < F; j++) {
      const v = table.values[base + j];
      if (Number.isNaN(v)) continue;
      sum[j] += v;
      cnt[j]++;
      if (v < mn[j]) mn[j] = v;
      if (v > mx[j]) mx[j] = v;
    }
  }
  const mean = Array.from(sum, (s, j) => (cnt[j] ? s / cnt[j] : 0));
  for (let r = 0; r < n; r++) {
    const base = train[r] * F;
    for (let j = 0; j < F; j++) {
      const v = table.values[base + j];
      if (!Number.isNaN(v)) sq[j] += (v - mean[j]) ** 2;
    }
  }
  const std = Array.from(sq, (s, j) => {
    const sd = cnt[j] ? Math.sqrt(s / cnt[j]) : 0;
    return sd > 1e-12 * Math.max(1, Math.abs(mean[j])) ? sd : 1; // a constant column: centred, not divided by 0
  });
  if (table.firstMissing.some((l) => l !== null)) {
    for (let j = 0; j < F; j++)
      if (cnt[j] === 0) throw new SimdnetError(`feature column "${table.featureNames[j]}" has no numeric value in the training rows`, { file: table.source, line: table.firstMissing[j] ?? 2, field: table.featureNames[j] });
    meta.missing = { policy: "mean", fill: mean };
  }

  if (table.inputShape) {
    let top = 0;
    for (let r = 0; r < n; r++)
      for (let j = 0; j < F; j++) {
        const v = table.values[train[r] * F + j];
        if (v > top) top = v;
        if (v < 0) throw new SimdnetError(`negative pixel value ${v} in column "${table.featureNames[j]}"`, { file: table.source, line: table.lines[train[r]], field: table.featureNames[j] });
      }
    let pixelMax = o.pixelMax;
    if (pixelMax === undefined) {
      pixelMax = top <= 1 ? 1 : top <= 16 ? 16 : top <= 255 ? 255 : NaN;
      if (Number.isNaN(pixelMax)) throw new SimdnetError(`pixel values go up to ${top}: give their range with --pixel-max`, { file: table.source, field: "--pixel-max" });
      if (pixelMax !== 255) o.notice?.(`pixels: values 0–${pixelMax} detected (scaled to 0–255; --pixel-max to override)`);
    }
    meta.pixelMax = pixelMax;
  } else {
    const kind = o.normalize ?? "standard";
    meta.normalization =
      kind === "standard"
        ? { kind, mean, std }
        : kind === "minmax"
          ? { kind, min: Array.from(mn, (v) => (Number.isFinite(v) ? v : 0)), max: Array.from(mx, (v, j) => (Number.isFinite(v) && v > mn[j] ? v : (Number.isFinite(mn[j]) ? mn[j] : 0) + 1)) }
          : { kind };
  }

  if (task === "classification") {
    const raw = trainLabels(0);
    const numeric = raw.every((s) => !Number.isNaN(parseNumber(s)));
    const names = [...new Set(raw.map((s) => className(s, numeric)))];
    names.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (names.length > 256) throw new SimdnetError(`the label column "${table.labelNames[0]}" has ${names.length} distinct values: more than 256 classes (is it a regression target? --task regression)`, { file: table.source, field: "--label" });
    if (names.length < 2) throw new SimdnetError(`the label column "${table.labelNames[0]}" has a single class (${JSON.stringify(names[0])}) in the training rows: nothing to learn`, { file: table.source, field: "--label" });
    meta.classNames = names;
  } else {
    const tm: number[] = [], ts: number[] = [];
    for (let j = 0; j < L; j++) {
      let s = 0, s2 = 0;
      for (let r = 0; r < n; r++) {
        const cell = table.labels[train[r] * L + j];
        const v = parseNumber(cell);
        if (Number.isNaN(v)) throw new SimdnetError(`regression target "${cell}" is not a number`, { file: table.source, line: table.lines[train[r]], field: table.labelNames[j] });
        s += v;
      }
      const m = s / n;
      for (let r = 0; r < n; r++) s2 += (parseNumber(table.labels[train[r] * L + j]) - m) ** 2;
      const sd = Math.sqrt(s2 / n);
      tm.push(m);
      ts.push(sd > 1e-12 * Math.max(1, Math.abs(m)) ? sd : 1);
    }
    meta.targets = { names: [...table.labelNames], mean: tm, std: ts };
  }
  return meta;
}

/** Raw feature rows (n, F), NaN for missing, to the model's inputs: filled, then scaled (f32) or mapped to 0..255 (u8). */
export function transformFeatures(meta: DataMeta, values: Float32Array, n: number, where?: { source: string; lines?: ArrayLike<number> }): Float32Array | Uint8Array {
  const F = meta.features.length;
  const fill = meta.missing?.fill;
  const check = (v: number, r: number, j: number) => {
    if (!Number.isNaN(v)) return v;
    if (fill) return fill[j];
    throw new SimdnetError(`missing or non-numeric value in feature column "${meta.features[j]}" (the model was trained without --missing)`, { file: where?.source, line: where?.lines?.[r], field: meta.features[j] });
  };
  if (meta.inputKind === "u8") {
    const out = new Uint8Array(n * F);
    const k = 255 / (meta.pixelMax ?? 255);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < F; j++) {
        const v = Math.round(check(values[r * F + j], r, j) * k);
        out[r * F + j] = v > 255 ? 255 : v > 0 ? v : 0;
      }
    return out;
  }
  const out = new Float32Array(n * F);
  const nz = meta.normalization;
  const shift = new Float64Array(F), mul = new Float64Array(F).fill(1);
  if (nz?.kind === "standard") for (let j = 0; j < F; j++) (shift[j] = nz.mean![j]), (mul[j] = 1 / nz.std![j]);
  if (nz?.kind === "minmax") for (let j = 0; j < F; j++) (shift[j] = nz.min![j]), (mul[j] = 1 / (nz.max![j] - nz.min![j]));
  for (let r = 0; r < n; r++)
    for (let j = 0; j < F; j++) out[r * F + j] = (check(values[r * F + j], r, j) - shift[j]) * mul[j];
  return out;
}

/** Standardised network outputs (n, T) back to the targets' units. */
export function untransformTargets(meta: DataMeta, outputs: Float32Array): Float32Array {
  const t = meta.targets!;
  const T = t.mean.length;
  return outputs.map((v, i) => v * t.std[i % T] + t.mean[i % T]);
}

/**
 * A table as a data set for a model with this meta: its inputs transformed, its labels as class
 * indices (a class the model does not know is an error naming it) or its targets standardised.
 * rows: a subset of the table's rows (default all).
 */
export function applyPreprocessing(meta: DataMeta, table: Table): Dataset {
  const n = table.count;
  const F = meta.features.length;
  if (table.featureNames.length !== F || table.featureNames.some((c, j) => c !== meta.features[j]))
    throw new SimdnetError(`the model takes the feature columns ${meta.features.join(", ")}; this table has ${table.featureNames.join(", ")}`, { file: table.source, line: 1, field: "header" });
  const x = transformFeatures(meta, table.values, n, { source: table.source, lines: table.lines });
  const ds: Dataset = { images: x instanceof Uint8Array ? x : new Uint8Array(0), labels: null, count: n, inputSize: F, source: table.source };
  if (x instanceof Float32Array) ds.features = x;
  if (!table.labels) return ds;
  const L = table.labelNames.length;
  if (meta.task === "classification") {
    const names = meta.classNames!;
    const numeric = names.every((s) => !Number.isNaN(parseNumber(s)));
    const index = new Map(names.map((c, i) => [c, i]));
    const labels = new Uint8Array(n);
    for (let r = 0; r < n; r++) {
      const cell = table.labels[r * L];
      const i = index.get(numeric && !Number.isNaN(parseNumber(cell)) ? className(cell, true) : cell);
      if (i === undefined)
        throw new SimdnetError(`class ${JSON.stringify(cell)} is not one the model was trained on (${names.length <= 12 ? names.map((c) => JSON.stringify(c)).join(", ") : `${names.length} classes`})`, { file: table.source, line: table.lines[r], field: table.labelNames[0] });
      labels[r] = i;
    }
    ds.labels = labels;
  } else {
    const t = meta.targets!;
    const targets = new Float32Array(n * L);
    for (let r = 0; r < n; r++)
      for (let j = 0; j < L; j++) {
        const v = parseNumber(table.labels[r * L + j]);
        if (Number.isNaN(v)) throw new SimdnetError(`regression target ${JSON.stringify(table.labels[r * L + j])} is not a number`, { file: table.source, line: table.lines[r], field: table.labelNames[j] });
        targets[r * L + j] = (v - t.mean[j]) / t.std[j];
      }
    ds.targets = targets;
  }
  return ds;
}

/** Output units of a model for this data: classes, or regression targets. */
export function outputCount(meta: DataMeta): number {
  return meta.task === "classification" ? meta.classNames!.length : meta.targets!.names.length;
}

/** The regression targets of a table in their own units (n, T), for metrics. */
export function rawTargets(table: Table): Float32Array {
  if (!table.labels) throw new SimdnetError("no target column", { file: table.source, line: 1, field: "header" });
  return Float32Array.from(table.labels, (s) => parseNumber(s));
}

/** The rows `rows` of a table (a copy), e.g. the validation rows of a split. */
export function subsetRows(table: Table, rows: ArrayLike<number>): Table {
  const F = table.featureNames.length;
  const L = table.labelNames.length;
  const n = rows.length;
  const values = new Float32Array(n * F);
  const lines = new Uint32Array(n);
  const labels: string[] | null = table.labels ? [] : null;
  for (let r = 0; r < n; r++) {
    values.set(table.values.subarray(rows[r] * F, rows[r] * F + F), r * F);
    lines[r] = table.lines[rows[r]];
    if (labels) for (let j = 0; j < L; j++) labels.push(table.labels![rows[r] * L + j]);
  }
  return { ...table, count: n, values, lines, labels };
}

/** A table ready for Model.create / fit / evaluate: the parsed rows and how to preprocess them. */
export interface TableSet extends Table {
  kind: "table";
  /** Feature scaling fit will compute on its training split. */
  normalize: NormalizeKind;
  task: Task;
  /** Classification: the sorted distinct labels of the file (fit uses those of its training split). */
  classNames: string[] | null;
  /** Inputs per row (feature columns). */
  inputSize: number;
  /** Output units: classes, or regression targets. */
  outputs: number;
  pixelMax?: number;
}

export interface TableSetOptions extends TableOptions {
  normalize?: NormalizeKind;
  task?: Task | "auto";
  pixelMax?: number;
}

/** A parsed table with its task (detected unless given) and class names, for the library. */
export function toTableSet(table: Table, o: TableSetOptions = {}): TableSet {
  const all = Uint32Array.from({ length: table.count }, (_, i) => i);
  const meta = table.labels ? fitPreprocessing(table, all, { normalize: o.normalize, task: o.task, pixelMax: o.pixelMax }) : null;
  const task = meta?.task ?? (o.task === "regression" ? "regression" : "classification");
  return {
    ...table,
    kind: "table",
    normalize: o.normalize ?? "standard",
    task,
    classNames: meta?.classNames ?? null,
    inputSize: table.featureNames.length,
    outputs: meta ? outputCount(meta) : 0,
    pixelMax: o.pixelMax,
  };
}

export function isTableSet(d: unknown): d is TableSet {
  return typeof d === "object" && d !== null && (d as TableSet).kind === "table";
}
