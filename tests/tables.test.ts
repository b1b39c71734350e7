// Any labelled CSV: generated data sets with known answers, through the parser, the preprocessing,
// the CLI (a child process, as a user runs it) and the library.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { applyPreprocessing, fitPreprocessing, parseTable, toTableSet, transformFeatures, type Table } from "../src/data/table.js";
import { splitTrainVal, type Dataset } from "../src/data/dataset.js";
import { loadTableData } from "../src/data/resolve.js";
import { SimdnetError } from "../src/errors.js";
import { loadCsv, loadModel, saveModel } from "../src/node.js";
import { Model } from "../src/model/model.js";
import { decodeModel } from "../src/model/format.js";
import { Rng } from "../src/rng.js";

const root = resolve(import.meta.dirname, "..");
function simdnet(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(join(root, "node_modules/tsx/dist/loader.mjs")).href, join(root, "src/cli/main.ts"), ...args], {
    cwd,
    env: { ...process.env, SIMDNET_MNIST_DIR: undefined },
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Three separable blobs with string class names, an id, a constant column, exponent notation and a quoted header. */
function flowers(n: number, seed: number): string {
  const rng = new Rng(seed);
  const centres: Record<string, [number, number]> = { setosa: [1, 5], versicolor: [4, 1], virginica: [7, 6] };
  const names = Object.keys(centres);
  const rows = ['"id","petal, length",width,const,species'];
  for (let i = 0; i < n; i++) {
    const c = names[i % 3];
    const [a, b] = centres[c];
    rows.push(`${i},${(a + 0.6 * rng.normal()).toExponential(3)},${(b + 0.6 * rng.normal()).toFixed(3)},7,${c}`);
  }
  return rows.join("\n") + "\n";
}

/** y = 3·x1 − 2·x2 + 0.5·x3 + 10 + N(0, 1), x ~ N(0, 1): R² = 13.25 / 14.25 = 0.930 for the best predictor. */
const KNOWN_R2 = 13.25 / 14.25;
function linear(n: number, seed: number): string {
  const rng = new Rng(seed);
  const rows = ["x1,x2,x3,y"];
  for (let i = 0; i < n; i++) {
    const x = [rng.normal(), rng.normal(), rng.normal()];
    rows.push(`${x.map((v) => v.toFixed(5)).join(",")},${(3 * x[0] - 2 * x[1] + 0.5 * x[2] + 10 + rng.normal()).toFixed(5)}`);
  }
  return rows.join("\n") + "\n";
}

function expectError(f: () => unknown, pattern: RegExp): SimdnetError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SimdnetError);
    expect((e as Error).message).toMatch(pattern);
    return e as SimdnetError;
  }
  throw new Error("expected an error");
}

describe("table parser", () => {
  it("quoted headers and cells, exponent notation, CRLF, a BOM, blank lines", () => {
    const t = parseTable('\uFEFF"a b","c, d",label\r\n1e3,-2.5E-1,"x, y"\r\n\r\n.5,+3,"say ""hi"""\r\n', "t.csv");
    expect(t.featureNames).toEqual(["a b", "c, d"]);
    expect(Array.from(t.values)).toEqual([1000, -0.25, 0.5, 3]);
    expect(t.labels).toEqual(["x, y", 'say "hi"']);
    expect(Array.from(t.lines)).toEqual([2, 4]);
  });
  it("--features, --ignore, several labels", () => {
    const t = parseTable("id,a,b,c,y,z\n1,2,3,4,5,6\n", "t.csv", { label: ["y", "z"], ignore: ["id"] });
    expect(t.featureNames).toEqual(["a", "b", "c"]);
    expect(t.labels).toEqual(["5", "6"]);
    expect(parseTable("id,a,b,c,y\n1,2,3,4,5\n", "t.csv", { label: "y", features: ["c", "a"] }).featureNames).toEqual(["c", "a"]);
  });
  it("every error names file, line and column", () => {
    const e1 = expectError(() => parseTable("a,b,label\n1,2,x\n3,,y\n", "m.csv"), /m\.csv, line 3, field column 2 \(b\): empty cell in feature column "b".*--missing/);
    expect(e1.line).toBe(3);
    expectError(() => parseTable("a,b,label\n1,NA,x\n", "m.csv"), /line 2, field column 2 \(b\): not a number: "NA"/);
    expectError(() => parseTable("a,b,label\n1,2,x\n1,2\n", "m.csv"), /line 3, field column 3: too few fields/);
    expectError(() => parseTable("a,b,label\n1,2,x,4\n", "m.csv"), /line 2, field column 4: too many fields/);
    expectError(() => parseTable("a,b,y\n1,2,x\n", "m.csv"), /line 1, field header: no column "label"/);
    expectError(() => parseTable("a,b,label\n1,2,\n", "m.csv"), /line 2, field column 3 \(label\): empty label cell/);
    expectError(() => parseTable('a,b,label\n1,2,"x\n', "m.csv"), /line 2, field column 3: unterminated quoted cell/);
    expectError(() => parseTable("a,a,label\n1,2,x\n", "m.csv"), /line 1, field column 2: column name "a" appears twice/);
    expectError(() => parseTable("a,b,label\n1,2,x\n", "m.csv", { features: ["q"] }), /no feature column "q"/);
  });
  it("--missing mean fills with the training mean; --missing drop skips the rows", () => {
    const text = "a,b,label\n1,2,x\n3,,y\n5,6,x\n";
    const drop = parseTable(text, "m.csv", { missing: "drop" });
    expect(drop.count).toBe(2);
    expect(drop.dropped).toBe(1);
    const t = parseTable(text, "m.csv", { missing: "mean" });
    const meta = fitPreprocessing(t, [0, 1, 2], { normalize: "none" });
    expect(meta.missing!.fill).toEqual([3, 4]);
    expect(Array.from(transformFeatures(meta, t.values, 3) as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});

describe("preprocessing", () => {
  const t = parseTable("a,const,label\n1,7,b\n3,7,a\n5,7,b\n100,7,c\n", "p.csv");
  it("classes: the sorted distinct training labels; a constant column gives no NaN", () => {
    const meta = fitPreprocessing(t, [0, 1, 2], {});
    expect(meta.classNames).toEqual(["a", "b"]);
    expect(meta.normalization!.std![1]).toBe(1);
    const x = transformFeatures(meta, t.values, 3) as Float32Array;
    expect(x.every(Number.isFinite)).toBe(true);
    expect(x[1]).toBe(0);
    // a class seen only outside the training rows is an error naming it and its line
    const e = expectError(() => applyPreprocessing(meta, t), /class "c" is not one the model was trained on/);
    expect(e.line).toBe(5);
  });
  it("statistics come from the training rows only (changing validation rows changes nothing)", () => {
    const text = linear(200, 3);
    const table = parseTable(text, "l.csv", { label: "y" });
    const { train, val } = splitTrainVal({ count: table.count } as Dataset, 0.25, 9);
    const a = fitPreprocessing(table, train.indices, {});
    // poison every validation row: a leak of any of them would move the mean, std and target stats
    const poisoned: Table = { ...table, values: table.values.slice(), labels: table.labels!.slice() };
    for (const i of val!.indices) {
      poisoned.values.fill(1e6, i * 3, i * 3 + 3);
      poisoned.labels![i] = "1e6";
    }
    const b = fitPreprocessing(poisoned, train.indices, {});
    expect(b.normalization).toEqual(a.normalization);
    expect(b.targets).toEqual(a.targets);
    // and the training run's loader uses exactly the split the trainer makes
    const dir = mkdtempSync(join(tmpdir(), "simdnet-tab-"));
    writeFileSync(join(dir, "l.csv"), text);
    return loadTableData(join(dir, "l.csv"), { options: { label: "y" }, prep: {}, force: false, valSplit: 0.25, seed: 9 }).then((d) => {
      expect(d.meta!.normalization).toEqual(a.normalization);
      const all = fitPreprocessing(table, Array.from({ length: table.count }, (_, i) => i), {});
      expect(d.meta!.normalization!.mean).not.toEqual(all.normalization!.mean);
    });
  });
  it("minmax scales the training rows to [0, 1]", () => {
    const meta = fitPreprocessing(t, [0, 1, 2], { normalize: "minmax" });
    expect(Array.from(transformFeatures(meta, t.values, 3) as Float32Array).filter((_, i) => i % 2 === 0)).toEqual([0, 0.5, 1]);
  });
  it("task detection: numeric labels with many non-integer values are regression, with a notice", () => {
    const notices: string[] = [];
    const table = parseTable(linear(50, 1), "l.csv", { label: "y" });
    expect(fitPreprocessing(table, [...Array(50).keys()], { notice: (m) => notices.push(m) }).task).toBe("regression");
    expect(notices[0]).toMatch(/task: regression \(the label is numeric with 50 distinct non-integer values/);
    expect(fitPreprocessing(parseTable("a,label\n1,1\n2,2\n3,1\n", "c.csv"), [0, 1, 2], {}).task).toBe("classification");
  });
  it("image rows: pixel0..pixelN columns keep the uint8 path; a 0–16 range is detected and scaled", () => {
    const rng = new Rng(2);
    const rows = ["label," + Array.from({ length: 64 }, (_, i) => `pixel${i}`).join(",")];
    for (let i = 0; i < 20; i++) rows.push(`${i % 2},` + Array.from({ length: 64 }, () => rng.int(17)).join(","));
    const table = parseTable(rows.join("\n"), "d.csv");
    expect(table.inputShape).toEqual([8, 8, 1]);
    const notices: string[] = [];
    const meta = fitPreprocessing(table, [...Array(20).keys()], { notice: (m) => notices.push(m) });
    expect(meta.inputKind).toBe("u8");
    expect(meta.pixelMax).toBe(16);
    expect(notices.some((m) => /values 0–16 detected/.test(m))).toBe(true);
    const ds = applyPreprocessing(meta, table);
    expect(ds.images[0]).toBe(Math.round((table.values[0] * 255) / 16));
  });
});

describe("simdnet train / evaluate / predict on tables (CLI)", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-tables-"));
  writeFileSync(join(dir, "flowers.csv"), flowers(300, 1));
  writeFileSync(join(dir, "flowers-test.csv"), flowers(90, 2));
  writeFileSync(join(dir, "linear.csv"), linear(400, 1));
  writeFileSync(join(dir, "linear-test.csv"), linear(2000, 2));

  it("classification with string names, default options: high accuracy, names in evaluate and predict", () => {
    const r = simdnet(["train", "--data", "flowers.csv", "--label", "species", "--ignore", "id", "--out", "f.simdnet", "--json"], dir);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split("\n").pop()!);
    expect(summary.task).toBe("classification");
    expect(summary.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(summary.valAccuracy).toBeGreaterThan(0.95);
    const ev = simdnet(["evaluate", "--model", "f.simdnet", "--data", "flowers-test.csv", "--json"], dir);
    expect(ev.code, ev.stderr).toBe(0);
    const report = JSON.parse(ev.stdout);
    expect(report.accuracy).toBeGreaterThan(0.95);
    expect(report.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    const p = simdnet(["predict", "--model", "f.simdnet", "--data", "flowers-test.csv", "--out", "p.csv", "--probs"], dir);
    expect(p.code, p.stderr).toBe(0);
    const lines = readFileSync(join(dir, "p.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toBe("row,label,setosa,versicolor,virginica");
    expect(lines).toHaveLength(91);
    expect(lines[1]).toMatch(/^1,setosa,/);
    const header = decodeModel(readFileSync(join(dir, "f.simdnet")), "f.simdnet").header as unknown as Record<string, unknown>;
    expect(header.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(header.features).toEqual(["petal, length", "width", "const"]);
    expect((header.normalization as { kind: string }).kind).toBe("standard");
  });

  it("regression: a notice, R² near the known 0.930 on fresh data, predictions in the targets' units", () => {
    const r = simdnet(["train", "--data", "linear.csv", "--label", "y", "--out", "l.simdnet", "--json"], dir);
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(JSON.stringify(events)).toMatch(/task: regression/);
    const summary = events.pop();
    expect(summary.task).toBe("regression");
    for (const k of ["valRmse", "valMae", "valR2"]) expect(typeof summary[k]).toBe("number");
    expect(summary.valR2).toBeGreaterThan(0.85);
    const ev = simdnet(["evaluate", "--model", "l.simdnet", "--data", "linear-test.csv", "--json"], dir);
    expect(ev.code, ev.stderr).toBe(0);
    const m = JSON.parse(ev.stdout);
    expect(m.r2).toBeGreaterThan(KNOWN_R2 - 0.03);
    expect(m.r2).toBeLessThan(KNOWN_R2 + 0.02);
    expect(m.rmse).toBeGreaterThan(0.95); // the noise is N(0, 1): nothing can do better than ~1
    expect(m.rmse).toBeLessThan(1.15);
    const p = simdnet(["predict", "--model", "l.simdnet", "--data", "linear-test.csv", "--out", "r.csv"], dir);
    expect(p.code, p.stderr).toBe(0);
    const lines = readFileSync(join(dir, "r.csv"), "utf8").trim().split("\n");
    expect(lines[0]).toBe("row,y");
    const mean = lines.slice(1).reduce((s, l) => s + Number(l.split(",")[1]), 0) / (lines.length - 1);
    expect(Math.abs(mean - 10)).toBeLessThan(0.3); // original units, not standardised
  });

  it("a table run checkpoints and resumes: the data is re-read, the same statistics fitted, the same weights", () => {
    const r = simdnet(["train", "--data", "linear.csv", "--label", "y", "--epochs", "4", "--early-stop", "0", "--checkpoint-dir", "ck", "--out", "c.simdnet", "--json"], dir);
    expect(r.code, r.stderr).toBe(0);
    const full = JSON.parse(r.stdout.trim().split("\n").pop()!);
    const a = decodeModel(readFileSync(join(dir, "c.simdnet")), "c.simdnet");
    expect(a.meta!.task).toBe("regression");
    expect(full.valR2).toBeGreaterThan(0.5);
    const r3 = simdnet(["train", "--resume", join("ck", "checkpoint.simdckpt"), "--out", "c3.simdnet"], dir);
    expect(r3.code, r3.stderr).toBe(0);
    const b = decodeModel(readFileSync(join(dir, "c3.simdnet")), "c3.simdnet");
    expect(b.meta).toEqual(a.meta);
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
  });

  it("8×8 images in 0–16 grey levels: the pixel path, a CNN on their shape, evaluate, the shape and names stored", () => {
    const rng = new Rng(8);
    const rows = ["label," + Array.from({ length: 64 }, (_, i) => `pixel${i}`).join(",")];
    for (let n = 0; n < 300; n++) {
      const bar = n % 2 === 1, c = 1 + rng.int(6);
      const px: number[] = [];
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) px.push(Math.min(16, rng.int(4) + ((bar ? x === c : Math.abs(x - c) + Math.abs(y - 3.5) < 2) ? 12 : 0)));
      rows.push(`${bar ? "bar" : "dot"},${px.join(",")}`);
    }
    writeFileSync(join(dir, "img8.csv"), rows.join("\n") + "\n");
    const r = simdnet(["train", "--data", "img8.csv", "--layers", "conv 8 3, maxpool 2", "--epochs", "15", "--out", "i8.simdnet"], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/values 0–16 detected/);
    expect(r.stdout + r.stderr).toMatch(/8×8×1 → conv 8 3/);
    const ev = simdnet(["evaluate", "--model", "i8.simdnet", "--data", "img8.csv", "--json"], dir);
    expect(ev.code, ev.stderr).toBe(0);
    expect(JSON.parse(ev.stdout).accuracy).toBeGreaterThan(0.9);
    const file = decodeModel(readFileSync(join(dir, "i8.simdnet")), "i8.simdnet");
    expect(file.spec.inputShape).toEqual([8, 8, 1]);
    expect(file.meta).toMatchObject({ inputKind: "u8", pixelMax: 16, classNames: ["bar", "dot"] });
  });

  it("errors: a missing cell names file, line and column; a class only in the test file is named", () => {
    writeFileSync(join(dir, "holes.csv"), "a,b,label\n1,2,x\n3,,y\n");
    const r = simdnet(["train", "--data", "holes.csv", "--out", "h.simdnet"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/holes\.csv, line 3, field column 2 \(b\): empty cell/);
    writeFileSync(join(dir, "odd.csv"), flowers(9, 3).replace(/virginica\n$/, "tulip\n"));
    const ev = simdnet(["evaluate", "--model", "f.simdnet", "--data", "odd.csv"], dir);
    expect(ev.code).toBe(2);
    expect(ev.stderr).toMatch(/odd\.csv, line 10, field species: class "tulip" is not one the model was trained on/);
  });
});

describe("table options: bad values are named errors (exit 2, no stack)", () => {
  const dir = mkdtempSync(join(tmpdir(), "simdnet-tabopt-"));
  writeFileSync(join(dir, "t.csv"), flowers(30, 5));
  const cases: [string[], RegExp][] = [
    [["--normalize", "zscore"], /field --normalize: expected standard, minmax or none, got "zscore"/],
    [["--task", "ranking"], /field --task: expected classification, regression or auto/],
    [["--missing", "zero"], /field --missing: expected error, mean or drop/],
    [["--input-shape", "3x3"], /field --input-shape: expected HxWxC/],
    [["--pixel-max", "-1"], /field --pixel-max: expected a positive number/],
    [["--label", "nope"], /t\.csv, line 1, field header: no column "nope" for the label/],
    [["--label", "species", "--features", "width,nope"], /no feature column "nope" \(--features\)/],
    [["--label", "species", "--layers", "conv 4 3"], /field --layers: convolution and pooling layers need image rows/],
    [["--label", "width", "--ignore", "species", "--task", "regression", "--monitor", "val_accuracy", "--early-stop", "3"], /field --monitor: regression has no accuracy/],
    [["--label", "species", "--report", "r.html"], /field --report: the HTML report is for image data/],
  ];
  it.each(cases)("%j", (args, pattern) => {
    const r = simdnet(["train", "--data", "t.csv", "--epochs", "1", ...args], dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("library: loadCsv, Model.create({ data }), fit, save and reload", () => {
  it("predictions from a saved and reloaded model equal the in-memory ones (classification and regression)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "simdnet-lib-"));
    writeFileSync(join(dir, "f.csv"), flowers(150, 4));
    writeFileSync(join(dir, "l.csv"), linear(300, 5));
    for (const [file, label] of [["f.csv", "species"], ["l.csv", "y"]]) {
      const data = await loadCsv(join(dir, file), { label, ignore: file === "f.csv" ? ["id"] : undefined });
      const model = Model.create({ data, hidden: [16] });
      await model.fit(data, { epochs: 30, batchSize: 16, optimizer: "adam", lr: 0.01, validation: 0.2 });
      const r = model.evaluate(data);
      if (label === "y") expect(r.regression!.r2).toBeGreaterThan(0.85);
      else expect(r.accuracy).toBeGreaterThan(0.95);
      saveModel(model, join(dir, "m.simdnet"));
      const back = loadModel(join(dir, "m.simdnet"));
      const a = model.predictTable(data);
      const b = back.predictTable(data);
      expect(b).toEqual(a);
      const raw = data.values.subarray(0, 5 * data.inputSize);
      expect(back.predict(raw)).toEqual(model.predict(raw));
      if ("labels" in a) expect(back.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    }
  });
  it("Model.create for a given input width (float features)", () => {
    const t = toTableSet(parseTable("a,b,label\n1,2,x\n3,4,y\n", "t.csv"));
    expect(t.classNames).toEqual(["x", "y"]);
    const m = Model.create({ inputSize: 2, classes: 2, inputKind: "f32", hidden: [3] });
    expect(m.predict(new Float32Array([0.5, -1])).length).toBe(2);
  });
});
