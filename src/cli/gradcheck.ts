// simdnet gradcheck: the finite-difference check of src/train/gradcheck.ts on an architecture of
// your choice, so you can verify the maths yourself. Exits 1 when a layer fails.
import { SimdnetError } from "../errors.js";
import { createBackend } from "../backend/index.js";
import { JsBackend } from "../backend/js.js";
import { checkActivation, parseHidden, type ModelSpec } from "../model/spec.js";
import { gradCheck } from "../train/gradcheck.js";
import { parseLayers } from "../layers/parse.js";
import { computeLayout, describeStack } from "../model/arena.js";
import { numberOption, parseCommand, type OptionRow } from "./options.js";

export const GRADCHECK_OPTIONS: OptionRow[] = [
  { name: "hidden", type: "string", value: "N[,N...]", default: "16,8", help: "hidden layer widths of an MLP" },
  { name: "layers", type: "string", value: "SPEC", help: 'a hidden stack in the train command\'s --layers grammar, e.g. "conv 4 3, maxpool 2, batchnorm"' },
  { name: "input-shape", type: "string", value: "HxWxC", default: "9x9x1", help: "image input shape with --layers (small is faster)" },
  { name: "activation", type: "string", value: "NAME", default: "relu", help: "relu, leaky-relu, tanh, sigmoid, gelu" },
  { name: "input-size", type: "string", value: "N", default: "20", help: "inputs per sample (784 for MNIST; small is faster: every parameter is perturbed)" },
  { name: "classes", type: "string", value: "N", default: "10", help: "output classes" },
  { name: "batch", type: "string", value: "N", default: "8", help: "samples in the checked batch" },
  { name: "seed", type: "string", value: "N", default: "1", help: "weights, pixels and labels come from this seed" },
  { name: "backend", type: "string", value: "NAME", default: "wasm", help: "whose analytic gradients to check: wasm (float32 SIMD) or js (float64 TypeScript)" },
  { name: "max-params", type: "string", value: "N", default: "5000", help: "check at most this many parameters, spread evenly (0: all)" },
  { name: "json", type: "boolean", help: "print the result as one JSON object" },
  { name: "help", type: "boolean", help: "show this help" },
];

/** Pass thresholds: the float64 TypeScript backend against float64 differences is exact to ~1e-7; float32 kernels to ~1e-3. */
export const TOLERANCE = { js: 1e-4, wasm: 1e-2 } as const;

export async function gradcheckCommand(argv: string[]): Promise<number> {
  const values = parseCommand(GRADCHECK_OPTIONS, argv, "Usage: simdnet gradcheck [options]\n\nCompares analytic gradients with central finite differences (float64 oracle).");
  if (values === null) return 0;
  const get = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : String(GRADCHECK_OPTIONS.find((r) => r.name === name)!.default));
  const int = (name: string, min: number, max: number) => numberOption(get(name), name, (v) => Number.isInteger(v) && v >= min && v <= max, `an integer in [${min}, ${max}]`);
  const backendName = get("backend");
  if (backendName !== "wasm" && backendName !== "js") throw new SimdnetError(`unknown backend "${backendName}"; expected wasm or js`, { field: "--backend" });
  const activation = checkActivation(get("activation"));
  const outputSize = int("classes", 2, 1000);
  let spec: ModelSpec;
  if (typeof values.layers === "string") {
    const shape = get("input-shape").split("x").map(Number);
    if (shape.length !== 3 || !shape.every((v) => Number.isInteger(v) && v >= 1 && v <= 256)) throw new SimdnetError(`expected HxWxC (e.g. 9x9x1), got "${get("input-shape")}"`, { field: "--input-shape" });
    spec = { inputSize: shape[0] * shape[1] * shape[2], inputShape: shape, hidden: [], layers: parseLayers(values.layers), outputSize, activation };
  } else spec = { inputSize: int("input-size", 1, 4096), hidden: parseHidden(get("hidden")), outputSize, activation };
  computeLayout(spec, 1); // an impossible stack is refused here, naming the layer
  const batch = int("batch", 1, 1024);
  const seed = int("seed", 0, 2 ** 32 - 1);
  const maxParams = int("max-params", 0, 1e9);
  const tolerance = TOLERANCE[backendName];
  const t0 = performance.now();
  const r = gradCheck({ spec, backend: backendName === "js" ? new JsBackend("f64") : createBackend("wasm"), batch, seed, maxParams: maxParams || undefined });
  const names = computeLayout(spec, 1).layers.filter((L) => L.paramCount > 0).map((L) => L.name);
  const layers = r.layers.map((l, i) => ({ layer: i + 1, name: names[i], w: l.w, b: l.b, pass: l.w < tolerance && l.b < tolerance }));
  const pass = layers.every((l) => l.pass);
  const sizes = describeStack(computeLayout(spec, 1));
  if (values.json) {
    console.log(JSON.stringify({ event: "gradcheck", spec, backend: backendName, batch, seed, checked: r.checked, tolerance, maxRelError: r.maxRelError, worst: r.worst, layers, pass }));
  } else {
    console.log(`gradcheck ${sizes}, ${backendName} backend vs float64 finite differences, batch ${batch}, seed ${seed}: ${r.checked} parameters`);
    for (const l of layers) console.log(`  layer ${l.name}  W max rel error ${l.w.toExponential(2)}  b max rel error ${l.b.toExponential(2)}  ${l.pass ? "PASS" : "FAIL"}`);
    console.log(`${pass ? "PASS" : "FAIL"}: max relative error ${r.maxRelError.toExponential(2)} (tolerance ${tolerance}) in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
  }
  return pass ? 0 : 1;
}
