// The CLI's --layers grammar: comma-separated layers, each a kind, its positional numbers, then
// optional key=value pairs:
//   conv FILTERS KERNEL [stride=1] [padding=valid|same] [act=…]   maxpool SIZE [stride=SIZE]
//   avgpool SIZE [stride=SIZE]   gap   batchnorm [act=…]   dropout RATE   dense UNITS [act=…]   flatten
// `act` defaults to --activation (batchnorm: none); padding to valid, as in Keras and PyTorch.
import { SimdnetError } from "../errors.js";
import { HIDDEN_ACTIVATIONS, type Activation } from "../model/spec.js";
import { checkConfig } from "./index.js";
import type { LayerConfig } from "./layer.js";

export const LAYERS_GRAMMAR = [
  "conv FILTERS KERNEL [stride=1] [padding=valid|same] [act=NAME]",
  "maxpool SIZE [stride=SIZE]",
  "avgpool SIZE [stride=SIZE]",
  "gap",
  "batchnorm [act=NAME]",
  "dropout RATE",
  "dense UNITS [act=NAME]",
  "flatten",
];

const KINDS: Record<string, { positional: string[]; keys: string[] }> = {
  conv: { positional: ["FILTERS", "KERNEL"], keys: ["stride", "padding", "act"] },
  maxpool: { positional: ["SIZE"], keys: ["stride"] },
  avgpool: { positional: ["SIZE"], keys: ["stride"] },
  gap: { positional: [], keys: [] },
  batchnorm: { positional: [], keys: ["act"] },
  dropout: { positional: ["RATE"], keys: [] },
  dense: { positional: ["UNITS"], keys: ["act"] },
  flatten: { positional: [], keys: [] },
};

export function parseLayers(text: string, field = "--layers"): LayerConfig[] {
  const parts = text.split(",").map((p) => p.trim());
  if (parts.length === 1 && parts[0] === "") return [];
  return parts.map((part, i) => parseOne(part, i + 1, field));
}

function parseOne(part: string, position: number, field: string): LayerConfig {
  const where = `layer ${position} "${part}"`;
  const fail = (what: string) => new SimdnetError(`${where}: ${what}`, { field });
  const tokens = part.split(/\s+/).filter((t) => t !== "");
  if (tokens.length === 0) throw fail(`empty layer (two commas in a row?); expected one of: ${LAYERS_GRAMMAR.join("; ")}`);
  const kind = tokens[0].toLowerCase();
  const def = KINDS[kind];
  if (!def) throw fail(`unknown layer kind "${tokens[0]}"; expected one of ${Object.keys(KINDS).join(", ")}`);
  const usage = LAYERS_GRAMMAR.find((g) => g.startsWith(kind + " ") || g === kind)!;
  const nums: number[] = [];
  const keys: Record<string, string> = {};
  for (const t of tokens.slice(1)) {
    const eq = t.indexOf("=");
    if (eq >= 0) {
      const k = t.slice(0, eq).toLowerCase();
      if (!def.keys.includes(k)) throw fail(`"${t}": ${kind} takes ${def.keys.length ? def.keys.map((x) => x + "=").join(", ") : "no key=value options"} (usage: ${usage})`);
      if (k in keys) throw fail(`"${t}": ${k}= given twice`);
      keys[k] = t.slice(eq + 1);
    } else {
      if (Object.keys(keys).length) throw fail(`"${t}": positional numbers come before key=value options (usage: ${usage})`);
      const v = Number(t);
      if (t === "" || !Number.isFinite(v)) throw fail(`"${t}" is not a number; expected ${def.positional[nums.length] ?? "no more numbers"} (usage: ${usage})`);
      nums.push(v);
    }
  }
  if (nums.length !== def.positional.length)
    throw fail(`${kind} takes ${def.positional.length ? def.positional.join(" ") : "no numbers"}, got ${nums.length ? nums.join(" ") : "none"} (usage: ${usage})`);
  const int = (v: number, name: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw fail(`${name} must be an integer ${lo}–${hi}, got ${v} (usage: ${usage})`);
    return v;
  };
  const act = (): { activation?: Activation } => {
    if (keys.act === undefined) return {};
    const a = keys.act.toLowerCase();
    if (a !== "none" && !(HIDDEN_ACTIVATIONS as string[]).includes(a)) throw fail(`act=${keys.act}: expected one of none, ${HIDDEN_ACTIVATIONS.join(", ")}`);
    return { activation: a as Activation };
  };
  const stride = (dflt: number, hi: number) => (keys.stride === undefined ? dflt : int(Number(keys.stride), "stride", 1, hi));
  let cfg: LayerConfig;
  switch (kind) {
    case "conv": {
      const pad = (keys.padding ?? "valid").toLowerCase();
      if (pad !== "valid" && pad !== "same") throw fail(`padding=${keys.padding}: expected valid or same`);
      cfg = { type: "conv2d", filters: int(nums[0], "FILTERS", 1, 65536), kernelSize: int(nums[1], "KERNEL", 1, 7), strides: stride(1, 7), padding: pad, ...act() };
      break;
    }
    case "maxpool":
    case "avgpool": {
      const size = int(nums[0], "SIZE", 1, 64);
      cfg = { type: kind === "maxpool" ? "maxPooling2d" : "averagePooling2d", poolSize: size, strides: stride(size, 64) };
      break;
    }
    case "gap":
      cfg = { type: "globalAveragePooling2d" };
      break;
    case "batchnorm":
      cfg = { type: "batchNormalization", ...act() };
      break;
    case "dropout":
      if (!(nums[0] >= 0 && nums[0] < 1)) throw fail(`RATE must be in [0, 1), got ${nums[0]}`);
      cfg = { type: "dropout", rate: nums[0] };
      break;
    case "dense":
      cfg = { type: "dense", units: int(nums[0], "UNITS", 1, 1 << 24), ...act() };
      break;
    default:
      cfg = { type: "flatten" };
  }
  return checkConfig(cfg);
}
