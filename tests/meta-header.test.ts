// The data fields of a table model's header (src/data/meta-header.ts): written by metaHeaderFields,
// read back and checked by readMetaHeader, each bad field refused by name. The whole-file paths
// (train a table model, save, load) are in tests/tables.test.ts; these are the field checks one by one.
import { describe, expect, it } from "vitest";
import { SimdnetError } from "../src/errors.js";
import { metaHeaderFields, readMetaHeader } from "../src/data/meta-header.js";
import type { DataMeta } from "../src/data/table.js";
import type { ModelSpec } from "../src/model/spec.js";
import { rejects } from "./helpers.js";

const fail = (message: string, field: string, byteOffset: number) => new SimdnetError(message, { file: "t.simdnet", field, byteOffset });
const spec = (o: Partial<ModelSpec> = {}): ModelSpec => ({ inputSize: 3, hidden: [4], outputSize: 2, activation: "relu", ...o });

const CLASSIFIER: DataMeta = {
  task: "classification",
  inputKind: "f32",
  features: ["a", "b", "c"],
  label: ["kind"],
  classNames: ["cat", "dog"],
  normalization: { kind: "standard", mean: [1, 2, 3], std: [0.5, 1, 2] },
  missing: { policy: "mean", fill: [1, 2, 3] },
};
const REGRESSOR: DataMeta = {
  task: "regression",
  inputKind: "f32",
  features: ["a", "b", "c"],
  label: ["y1", "y2"],
  normalization: { kind: "minmax", min: [0, 0, -1], max: [1, 5, 1] },
  targets: { names: ["y1", "y2"], mean: [10, -2], std: [3, 0.1] },
};

function read(h: Record<string, unknown>, s = spec()) {
  return { meta: readMetaHeader(JSON.parse(JSON.stringify(h)), s, fail), spec: s };
}

const refused = (h: Record<string, unknown>, field: string, message: RegExp, s = spec()) => rejects(() => readMetaHeader(h, s, fail), { field, byteOffset: 12 }, message);

describe("table-model header fields", () => {
  it("round-trip a classifier and a regressor, and set the spec's task and input kind", () => {
    const c = read(metaHeaderFields(CLASSIFIER));
    expect(c.meta).toEqual(CLASSIFIER);
    expect(c.spec.inputKind).toBe("f32");
    expect("task" in c.spec).toBe(false); // classification is the default, not written into the spec
    const r = read(metaHeaderFields(REGRESSOR));
    expect(r.meta).toEqual(REGRESSOR);
    expect(r.spec.task).toBe("regression");
  });

  it("write only the fields a data set has", () => {
    expect(metaHeaderFields(undefined)).toEqual({});
    const minimal: DataMeta = { task: "classification", inputKind: "u8", features: ["p0", "p1", "p2"], label: ["label"] };
    expect(metaHeaderFields(minimal)).toEqual({ task: "classification", inputKind: "u8", features: ["p0", "p1", "p2"], label: ["label"] });
    const withPixelMax = metaHeaderFields({ ...minimal, pixelMax: 15 });
    expect(withPixelMax.pixelMax).toBe(15);
    expect(Object.keys(metaHeaderFields({ ...minimal, pixelMax: 0 }))).toContain("pixelMax");
  });

  it("a digit model's header has none: undefined, and the spec is left alone", () => {
    const s = spec();
    expect(readMetaHeader({ format: "simdnet-model", classNames: ["x"] }, s, fail)).toBeUndefined();
    expect(s).toEqual(spec());
  });

  it("defaults: class names 0…C−1, pixel column names, the label column, float inputs unscaled; an image shape is kept", () => {
    const { meta, spec: s } = read({ inputKind: "u8" }, spec({ inputShape: [1, 3, 1] }));
    expect(meta).toEqual({ task: "classification", inputKind: "u8", features: ["pixel0", "pixel1", "pixel2"], label: ["label"], classNames: ["0", "1"], inputShape: [1, 3, 1] });
    expect("inputKind" in s).toBe(false);
    expect(read({ task: "classification", inputKind: "f32" }).meta!.normalization).toEqual({ kind: "none" });
    expect(read({ task: "classification" }).meta!.normalization).toBeUndefined();
    expect(read({ ...metaHeaderFields(CLASSIFIER), missing: { fill: [0, 0, 0] } }).meta!.missing).toEqual({ policy: "mean", fill: [0, 0, 0] });
    expect(read({ ...metaHeaderFields(CLASSIFIER), missing: { policy: "drop", fill: [0, 0, 0] } }).meta!.missing!.policy).toBe("drop");
  });

  it("refuse a bad task, input kind, feature or label list, by field", () => {
    const base = metaHeaderFields(CLASSIFIER);
    refused({ ...base, task: "ranking" }, "task", /^t\.simdnet, byte 12, field task: task must be "classification" or "regression", got "ranking"$/);
    refused({ ...base, inputKind: "f64" }, "inputKind", /inputKind must be "u8" or "f32", got "f64"$/);
    refused({ ...base, features: ["a", "b"] }, "features", /features must be 3 column names, got \["a","b"\]$/);
    refused({ ...base, features: ["a", "b", 3] }, "features", /features must be 3 column names/);
    refused({ ...base, label: "kind" }, "label", /label must be column names, got "kind"$/);
    refused({ ...base, label: [1] }, "label", /label must be column names/);
  });

  it("refuse class names of the wrong count, duplicated or not strings", () => {
    const base = metaHeaderFields(CLASSIFIER);
    refused({ ...base, classNames: ["cat"] }, "classNames", /classNames must be 2 distinct strings \(one per output\), got \["cat"\]$/);
    refused({ ...base, classNames: ["cat", "cat"] }, "classNames", /distinct/);
    refused({ ...base, classNames: ["cat", 2] }, "classNames", /distinct/);
  });

  it("refuse regression targets that are missing, short, non-finite or with a zero spread", () => {
    const base = metaHeaderFields(REGRESSOR);
    const t = REGRESSOR.targets!;
    const msg = /targets must be \{ names, mean, std \} with 2 values each \(std > 0\)/;
    refused({ ...base, targets: undefined }, "targets", msg);
    refused({ ...base, targets: null }, "targets", msg);
    refused({ ...base, targets: { ...t, names: ["y1"] } }, "targets", msg);
    refused({ ...base, targets: { ...t, mean: [1, NaN] } }, "targets", msg);
    refused({ ...base, targets: { ...t, mean: [1, "2"] } }, "targets", msg);
    refused({ ...base, targets: { ...t, std: [1, 0] } }, "targets", msg);
    refused({ ...base, targets: { ...t, std: [1] } }, "targets", msg);
  });

  it("refuse a normalisation of the wrong shape, a zero spread or an empty range", () => {
    const base = metaHeaderFields(CLASSIFIER);
    const msg = /normalization must be \{ kind: "standard", mean, std \} or \{ kind: "minmax", min, max \} with 3 values each, or \{ kind: "none" \}, got/;
    refused({ ...base, normalization: null }, "normalization", msg);
    refused({ ...base, normalization: "standard" }, "normalization", msg);
    refused({ ...base, normalization: { kind: "standard", mean: [1, 2, 3], std: [1, 0, 1] } }, "normalization", msg);
    refused({ ...base, normalization: { kind: "standard", mean: [1, 2], std: [1, 1, 1] } }, "normalization", msg);
    refused({ ...base, normalization: { kind: "minmax", min: [0, 0, 0], max: [1, 0, 1] } }, "normalization", msg); // max = min
    refused({ ...base, normalization: { kind: "minmax", min: [0, 0, 0], max: [1, 1] } }, "normalization", msg);
    refused({ ...base, normalization: { kind: "minmax", min: [0, 0], max: [1, 1, 1] } }, "normalization", msg);
    refused({ ...base, normalization: { kind: "zscore", mean: [1, 2, 3], std: [1, 1, 1] } }, "normalization", msg);
    expect(read({ ...base, normalization: { kind: "minmax", min: [0, 0, 0], max: [1, 1e-9, 1] } }).meta!.normalization!.kind).toBe("minmax");
    expect(read({ ...base, normalization: { kind: "none" } }).meta!.normalization).toEqual({ kind: "none" });
  });

  it("refuse missing-value fills of the wrong count or an unknown policy, and a bad pixelMax", () => {
    const base = metaHeaderFields(CLASSIFIER);
    const msg = /missing must be \{ policy, fill \} with 3 fill values \(policy error, mean, drop\)/;
    refused({ ...base, missing: null }, "missing", msg);
    refused({ ...base, missing: [1, 2, 3] }, "missing", msg);
    refused({ ...base, missing: { policy: "mean", fill: [1, 2] } }, "missing", msg);
    refused({ ...base, missing: { policy: "mean", fill: [1, 2, Infinity] } }, "missing", msg);
    refused({ ...base, missing: { policy: "median", fill: [1, 2, 3] } }, "missing", msg);
    for (const pixelMax of [0, -1, "255", Infinity, NaN]) refused({ ...base, pixelMax }, "pixelMax", /pixelMax must be a positive number/);
    expect(read({ ...base, pixelMax: 0.5 }).meta!.pixelMax).toBe(0.5);
  });
});
