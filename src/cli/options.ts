// A small option table: parsing (node:util parseArgs, unknown options are errors), defaults,
// presets and --help text all come from the same rows.
import { parseArgs } from "node:util";
import { SimdnetError } from "../errors.js";

export interface OptionRow {
  name: string;
  type: "string" | "boolean";
  default?: string | boolean;
  value?: string; // placeholder in help, e.g. "N"
  help: string;
}

export function parseOptions(rows: OptionRow[], argv: string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const config: Record<string, { type: "string" | "boolean" }> = {};
  for (const r of rows) config[r.name] = { type: r.type };
  // "--lr -1": a negative number is a value here, not an option (parseArgs would call it ambiguous)
  const args = [...argv];
  for (let i = args.length - 2; i >= 0; i--) {
    const row = rows.find((r) => `--${r.name}` === args[i]);
    if (row?.type === "string" && /^-\d|^-\.\d|^-Infinity$/.test(args[i + 1])) args.splice(i, 2, `${args[i]}=${args[i + 1]}`);
  }
  try {
    const { values, positionals } = parseArgs({ args, options: config, strict: true, allowPositionals: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (e) {
    const message = (e as Error).message;
    const option = message.match(/ption '(--?[^' ]+)/)?.[1];
    throw new SimdnetError(`${message.replace(/\. To specify a positional.*$/s, "")} (see --help)`, { field: option });
  }
}

/**
 * A command's options: parsed strictly, `--help` printed (then null is returned), and positional
 * arguments refused, the same way for every command.
 */
export function parseCommand(rows: OptionRow[], argv: string[], usage: string): Record<string, string | boolean | undefined> | null {
  const { values, positionals } = parseOptions(rows, argv);
  if (values.help) {
    console.log(helpText(usage, rows));
    return null;
  }
  if (positionals.length) throw new SimdnetError(`unexpected argument "${positionals[0]}" (see --help)`);
  return values;
}

export function helpText(usage: string, rows: OptionRow[]): string {
  const lines = [usage, "", "Options:"];
  for (const r of rows) {
    const left = `  --${r.name}${r.value ? " " + r.value : ""}`;
    const def = r.default !== undefined && r.default !== false ? ` (default: ${r.default})` : "";
    lines.push(left.padEnd(28) + r.help + def);
  }
  return lines.join("\n");
}

export function numberOption(text: string | boolean | undefined, name: string, check: (v: number) => boolean, expected: string): number {
  const v = Number(text);
  if (typeof text !== "string" || text.trim() === "" || !Number.isFinite(v) || !check(v))
    throw new SimdnetError(`expected ${expected}, got ${JSON.stringify(text)}`, { field: `--${name}` });
  return v;
}
