// A table model for export: its preprocessing folded into the weights, so the exported network
// takes raw feature values and gives regression outputs in the targets' own units.
//   standard/minmax scaling x' = (x − shift)·mul before the first dense layer:
//     W'[k][j] = mul[k]·W[k][j],  b'[j] = b[j] − Σ_k shift[k]·mul[k]·W[k][j]
//   standardised targets y = z·std + mean after the output layer:
//     W'[k][j] = std[j]·W[k][j],  b'[j] = std[j]·b[j] + mean[j]
// Missing-value filling (--missing mean) cannot be folded: exported models need complete rows.
import { SimdnetError } from "../errors.js";
import { computeLayout } from "../model/arena.js";
import type { ModelSpec } from "../model/spec.js";
import type { DataMeta } from "../data/table.js";

export function foldTableMeta(spec: ModelSpec, params: Float32Array, meta: DataMeta): Float32Array {
  const layout = computeLayout(spec, 1);
  const out = Float64Array.from(params);
  const P = layout.params;
  const nz = meta.normalization;
  if (meta.inputKind === "f32" && nz && nz.kind !== "none") {
    const first = layout.layers.find((L) => L.paramCount > 0);
    if (!first || first.type !== "dense" || first.input.shape.length !== 1 || layout.layers.indexOf(first) !== layout.layers.findIndex((L) => L.type !== "dropout"))
      throw new SimdnetError("the normalisation can only be folded into a first dense layer: export needs a model whose first layer is dense", { field: "layers" });
    const IN = first.inSize, OUT = first.outSize;
    const shift = nz.kind === "standard" ? nz.mean! : nz.min!;
    const mul = nz.kind === "standard" ? nz.std!.map((s) => 1 / s) : nz.max!.map((mx, k) => 1 / (mx - nz.min![k]));
    const W = first.w - P, b = first.b - P;
    for (let j = 0; j < OUT; j++) {
      let s = 0;
      for (let k = 0; k < IN; k++) s += shift[k] * mul[k] * params[W + k * OUT + j];
      out[b + j] = params[b + j] - s;
    }
    for (let k = 0; k < IN; k++) for (let j = 0; j < OUT; j++) out[W + k * OUT + j] = params[W + k * OUT + j] * mul[k];
  }
  if (meta.task === "regression" && meta.targets) {
    const L = layout.layers[layout.layers.length - 1];
    const IN = L.inSize, OUT = L.outSize;
    const W = L.w - P, b = L.b - P;
    const { mean, std } = meta.targets;
    for (let j = 0; j < OUT; j++) {
      for (let k = 0; k < IN; k++) out[W + k * OUT + j] *= std[j];
      out[b + j] = out[b + j] * std[j] + mean[j];
    }
  }
  return Float32Array.from(out);
}
