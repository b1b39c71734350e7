// The data fields of a model file's header (optional; files without them are digit models):
//   task          "classification" | "regression"
//   inputKind     "u8" (pixels, the default) | "f32" (float features)
//   features      feature column names, in input order;  label: the target column name(s)
//   classNames    class names, index = output unit
//   normalization { kind: "standard", mean[], std[] } | { kind: "minmax", min[], max[] } | { kind: "none" }
//   missing       { policy, fill[] }: training means that fill missing cells
//   targets       { names[], mean[], std[] }: regression outputs are (y − mean)/std inside
//   pixelMax      image rows: the largest pixel value (0..pixelMax maps to 0..255)
import { SimdnetError } from "../errors.js";
import type { ModelSpec } from "../model/spec.js";
import { MISSING_POLICIES, type DataMeta, type MissingPolicy } from "./table.js";

type Fail = (message: string, field: string, byteOffset: number) => SimdnetError;

/** The header fields for a model's data description. */
export function metaHeaderFields(meta: DataMeta | undefined): Record<string, unknown> {
  if (!meta) return {};
  const out: Record<string, unknown> = { task: meta.task, inputKind: meta.inputKind, features: meta.features, label: meta.label };
  if (meta.classNames) out.classNames = meta.classNames;
  if (meta.normalization) out.normalization = meta.normalization;
  if (meta.missing) out.missing = meta.missing;
  if (meta.targets) out.targets = meta.targets;
  if (meta.pixelMax !== undefined) out.pixelMax = meta.pixelMax;
  return out;
}

const strings = (v: unknown, n?: number) => Array.isArray(v) && v.every((s) => typeof s === "string") && (n === undefined || v.length === n);
const finite = (v: unknown, n: number, positive = false) => Array.isArray(v) && v.length === n && v.every((x) => typeof x === "number" && Number.isFinite(x) && (!positive || x > 0));

/**
 * Reads and checks the data fields of a header against the architecture; sets spec.task and
 * spec.inputKind. Returns undefined for a header without them (a digit model, a v1 file).
 */
export function readMetaHeader(h: Record<string, unknown>, spec: ModelSpec, fail: Fail): DataMeta | undefined {
  // only headers written for a table (they always carry task and inputKind); other fields are kept as they are
  if (h.task === undefined && h.inputKind === undefined) return undefined;
  const bad = (field: string, what: string) => fail(`${field} must be ${what}, got ${JSON.stringify(h[field])?.slice(0, 80)}`, field, 12);
  const task = h.task ?? "classification";
  if (task !== "classification" && task !== "regression") throw bad("task", `"classification" or "regression"`);
  const inputKind = h.inputKind ?? "u8";
  if (inputKind !== "u8" && inputKind !== "f32") throw bad("inputKind", `"u8" or "f32"`);
  const F = spec.inputSize;
  const C = spec.outputSize;
  const features = h.features ?? Array.from({ length: F }, (_, i) => `pixel${i}`);
  if (!strings(features, F)) throw bad("features", `${F} column names`);
  const label = h.label ?? ["label"];
  if (!strings(label)) throw bad("label", "column names");
  const meta: DataMeta = { task, inputKind, features: features as string[], label: label as string[] };
  if (task === "classification") {
    if (h.classNames !== undefined) {
      if (!strings(h.classNames, C) || new Set(h.classNames as string[]).size !== C) throw bad("classNames", `${C} distinct strings (one per output)`);
      meta.classNames = h.classNames as string[];
    } else meta.classNames = Array.from({ length: C }, (_, i) => String(i));
  } else {
    const t = h.targets as Record<string, unknown> | undefined;
    if (typeof t !== "object" || t === null || !strings(t.names, C) || !finite(t.mean, C) || !finite(t.std, C, true)) throw bad("targets", `{ names, mean, std } with ${C} values each (std > 0)`);
    meta.targets = { names: t.names as string[], mean: t.mean as number[], std: t.std as number[] };
  }
  if (h.normalization !== undefined) {
    const nz = h.normalization as Record<string, unknown>;
    const ok =
      typeof nz === "object" && nz !== null &&
      ((nz.kind === "standard" && finite(nz.mean, F) && finite(nz.std, F, true)) ||
        (nz.kind === "minmax" && finite(nz.min, F) && finite(nz.max, F) && (nz.max as number[]).every((v, i) => v > (nz.min as number[])[i])) ||
        nz.kind === "none");
    if (!ok) throw bad("normalization", `{ kind: "standard", mean, std } or { kind: "minmax", min, max } with ${F} values each, or { kind: "none" }`);
    meta.normalization = nz as DataMeta["normalization"];
  } else if (inputKind === "f32") meta.normalization = { kind: "none" };
  if (h.missing !== undefined) {
    const m = h.missing as Record<string, unknown>;
    if (typeof m !== "object" || m === null || !finite(m.fill, F) || !(m.policy === undefined || MISSING_POLICIES.includes(m.policy as MissingPolicy)))
      throw bad("missing", `{ policy, fill } with ${F} fill values (policy ${MISSING_POLICIES.join(", ")})`);
    meta.missing = { policy: (m.policy as MissingPolicy | undefined) ?? "mean", fill: m.fill as number[] };
  }
  if (h.pixelMax !== undefined) {
    if (typeof h.pixelMax !== "number" || !(h.pixelMax > 0) || !Number.isFinite(h.pixelMax)) throw bad("pixelMax", "a positive number");
    meta.pixelMax = h.pixelMax;
  }
  if (spec.inputShape) meta.inputShape = [...spec.inputShape];
  spec.task = task;
  spec.inputKind = inputKind;
  if (inputKind === "u8") delete spec.inputKind;
  if (task === "classification") delete spec.task;
  return meta;
}
