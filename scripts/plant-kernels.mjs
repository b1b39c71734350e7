#!/usr/bin/env node
// Kernel plants: compiles each bug listed in tests/plants/kernels.json into a throwaway copy of
// assembly/ (in a temp folder; the working tree is never touched), runs the kernel tests against
// that build (vitest loads it through SIMDNET_KERNELS_MODULE, see vitest.config.ts) and checks the
// tests fail. A clean copy is built and tested first: it must pass, or the run proves nothing.
//
//   node scripts/plant-kernels.mjs [--keep] [--markdown] [id ...]
//
// Exit code 0 when every selected plant is caught, 1 when one survives or the clean build fails.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const keep = args.includes("--keep");
const markdown = args.includes("--markdown");
const only = args.filter((a) => !a.startsWith("--"));
const list = JSON.parse(readFileSync(join(root, "tests/plants/kernels.json"), "utf8"));
const plants = list.plants.filter((p) => only.length === 0 || only.includes(p.id));
for (const id of only) if (!list.plants.some((p) => p.id === id)) fail(`no plant named ${id}`);

const work = mkdtempSync(join(tmpdir(), "simdnet-plants-"));
const asc = join(root, "node_modules/assemblyscript/bin/asc.js");
const vitest = join(root, "node_modules/vitest/vitest.mjs");

function fail(msg) {
  console.error(`plant-kernels: ${msg}`);
  process.exit(1);
}

/** Copies assembly/ + asconfig.json to work/id, applies the patches, compiles; returns the kernels module path. */
function build(id, patches) {
  const dir = join(work, id);
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, "assembly"), join(dir, "assembly"), { recursive: true });
  cpSync(join(root, "asconfig.json"), join(dir, "asconfig.json"));
  for (const { file, search, replace } of patches) {
    const path = join(dir, file);
    if (!existsSync(path)) fail(`${id}: ${file} does not exist (was the kernel renamed?)`);
    const text = readFileSync(path, "utf8");
    const at = text.indexOf(search);
    if (at < 0) fail(`${id}: search text not found in ${file} (the kernel changed: update tests/plants/kernels.json)\n  ${search}`);
    if (text.indexOf(search, at + 1) >= 0) fail(`${id}: search text occurs more than once in ${file}; make it unique`);
    writeFileSync(path, text.slice(0, at) + replace + text.slice(at + search.length));
  }
  const r = spawnSync(process.execPath, [asc, "--config", "asconfig.json", "--target", "release", "--outFile", "kernels.wasm", "--textFile", "kernels.wat"], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) return { error: `does not compile:\n${r.stderr}` };
  const wasm = readFileSync(join(dir, "kernels.wasm"));
  const module = join(dir, "kernels.generated.ts");
  writeFileSync(module, `// throwaway build: ${id}\nexport const KERNELS_WASM_BASE64 =\n  "${wasm.toString("base64")}";\n`);
  return { module };
}

/** Runs the test files against a build; returns per-file failure counts. */
function runTests(dir, module, tests) {
  const out = join(dir, "vitest.json");
  spawnSync(process.execPath, [vitest, "run", ...tests, "--maxWorkers=1", "--reporter=json", `--outputFile=${out}`], {
    cwd: root,
    env: { ...process.env, SIMDNET_KERNELS_MODULE: module },
    encoding: "utf8",
  });
  if (!existsSync(out)) return { error: "vitest wrote no report" };
  const report = JSON.parse(readFileSync(out, "utf8"));
  const files = report.testResults.map((f) => ({
    file: f.name.slice(root.length + 1),
    failed: f.assertionResults.filter((a) => a.status === "failed").length + (f.status === "failed" && f.assertionResults.length === 0 ? 1 : 0),
    total: f.assertionResults.length,
  }));
  return { files, failed: report.numFailedTests + report.numFailedTestSuites, total: report.numTotalTests };
}

const started = Date.now();
const testsFor = (p) => p.tests ?? list.defaultTests;
const allTests = [...new Set([list.defaultTests, ...plants.map(testsFor)].flat())];
const clean = build("clean", []);
if (clean.error) fail(`the unpatched kernels ${clean.error}`);
const base = runTests(join(work, "clean"), clean.module, allTests);
if (base.error || base.failed > 0) fail(`the kernel tests fail on the unpatched build (${base.error ?? `${base.failed} failures`}); fix that first`);
console.log(`clean build: ${base.total} kernel tests pass (${allTests.join(", ")})`);

const results = [];
for (const p of plants) {
  const b = build(p.id, p.patches);
  let caught = false, by = "";
  if (b.error) by = `build error (${b.error.split("\n")[1] ?? ""})`;
  else {
    const r = runTests(join(work, p.id), b.module, testsFor(p));
    caught = !r.error && r.failed > 0;
    by = r.error ?? r.files.filter((f) => f.failed > 0).map((f) => `${f.file.replace(/^tests\//, "")} (${f.failed})`).join(", ");
  }
  results.push({ ...p, caught, by });
  console.log(`${caught ? "caught  " : "SURVIVED"} ${p.id}: ${caught ? by : by || "no test failed"}`);
}
if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`builds kept in ${work}`);

const caught = results.filter((r) => r.caught).length;
console.log(`${caught}/${results.length} plants caught in ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (markdown) {
  console.log("\n| plant | bug | caught by (failed tests) |\n|---|---|---|");
  for (const r of results) console.log(`| \`${r.id}\` | ${r.what} | ${r.caught ? r.by : "**survived**"} |`);
}
process.exit(caught === results.length ? 0 : 1);
