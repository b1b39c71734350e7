// The page's worker on a table CSV: datasetsFromFiles recognises it, prepareTableRun fits the
// scaling on the training split and sizes the model for the table; a short run learns it.
import { describe, expect, it } from "vitest";
import { datasetsFromFiles, prepareTableRun } from "../web/data.js";
import { DEFAULT_SETTINGS } from "../web/training.js";
import { WasmBackend } from "../src/backend/wasm.js";
import { fit } from "../src/train/trainer.js";
import { Rng } from "../src/rng.js";
import { decodeModel, encodeModel } from "../src/model/format.js";
import { metaHeaderFields } from "../src/data/meta-header.js";

function csv(n: number): string {
  const rng = new Rng(4);
  const rows = ['"size (cm)",weight,colour'];
  for (let i = 0; i < n; i++) {
    const big = i % 2 === 0;
    rows.push(`${((big ? 30 : 10) + 3 * rng.normal()).toFixed(2)},${((big ? 5e3 : 1e3) + 500 * rng.normal()).toExponential(3)},${big ? "red" : "green"}`);
  }
  return rows.join("\n") + "\n";
}

describe("page: a table CSV", () => {
  it("is loaded as a table (the last column is the label) and trains", async () => {
    const loaded = await datasetsFromFiles([{ name: "fruit.csv", bytes: new TextEncoder().encode(csv(200)) }]);
    expect(loaded.table).toBeDefined();
    expect(loaded.description).toMatch(/200 rows × 2 features from fruit\.csv: 2 classes \(green, red\)/);
    const run = prepareTableRun(new WasmBackend(), loaded.table!, { ...DEFAULT_SETTINGS, hidden: [8], optimizer: "adam", lr: 0.01, epochs: 10, batchSize: 16, valSplit: 0.2 });
    expect(run.spec).toMatchObject({ inputSize: 2, outputSize: 2, inputKind: "f32" });
    expect(run.meta.classNames).toEqual(["green", "red"]);
    const r = await fit(run.net, run.train, run.val, run.options);
    expect(r.history[r.history.length - 1].valAccuracy).toBeGreaterThan(0.95);
    // what the page's Save writes (encodeModel with the data fields of the worker's "done" meta) reads back as the table model
    const back = decodeModel(encodeModel(run.spec, run.net.getParams(), { ...metaHeaderFields(run.meta) }), "page.simdnet");
    expect(back.meta).toEqual(run.meta);
    expect(back.spec).toMatchObject({ inputSize: 2, outputSize: 2, inputKind: "f32" });
  });
  it("Kaggle digit CSVs still load as digits", async () => {
    const head = "label," + Array.from({ length: 784 }, (_, i) => `pixel${i}`).join(",");
    const loaded = await datasetsFromFiles([{ name: "train.csv", bytes: new TextEncoder().encode(head + "\n3," + new Array(784).fill(0).join(",") + "\n") }]);
    expect(loaded.table).toBeUndefined();
    expect(loaded.train!.count).toBe(1);
  });
});
