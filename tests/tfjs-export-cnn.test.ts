// TF.js export of CNN stacks: Conv2D (HWIO), pooling, batch norm (running statistics), dropout,
// flatten, global average pooling and every activation, loaded with real tf.loadLayersModel and
// compared with simdnet on 1000 MNIST test images (identical argmax, probabilities within 1e-5).
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { toTfjsLayers } from "../src/export/tfjs.js";
import { parseLayers } from "../src/layers/parse.js";
import { Model } from "../src/model/model.js";
import { decodeModel } from "../src/model/format.js";
import type { Dataset } from "../src/data/dataset.js";
import { loadMnist } from "../src/node.js";
import { resolve } from "node:path";

const N_TEST = 1000;
const BACKEND = (process.env.SIMDNET_TEST_BACKEND as "js" | "wasm" | undefined) ?? "wasm";

function head(d: Dataset, n: number): Dataset {
  return { ...d, images: d.images.subarray(0, n * d.inputSize), labels: d.labels?.subarray(0, n) ?? null, count: n };
}

describe("TensorFlow.js export of CNNs", () => {
  let train: Dataset;
  let test: Dataset;
  beforeAll(async () => {
    await tf.setBackend("cpu");
    // the MNIST sample shipped with simdnet: real digits, present on every checkout
    const d = loadMnist(resolve(import.meta.dirname, "../data/mnist-sample"));
    train = head(d.train, 3000);
    test = head(d.test, N_TEST);
  });

  // [stack, accuracy it must pass after one epoch on 3000 digits: trained, not noise (a global-average-pooled net learns slowest)]
  const stacks: [string, number][] = [
    ["conv 8 5 act=relu, maxpool 2, conv 16 5 act=relu, maxpool 2", 0.5],
    ["conv 8 3 padding=same act=none, batchnorm act=leaky-relu, avgpool 2, conv 12 3 stride=2 padding=same act=tanh, dropout 0.2, dense 24 act=sigmoid", 0.5],
    ["conv 6 3 act=gelu, maxpool 3 stride=2, conv 10 3 act=gelu, gap", 0.15],
    ["conv 4 4 stride=2, flatten, dense 32 act=none, batchnorm act=relu, dropout 0.3", 0.5],
  ];
  it.each(stacks)(`"%s": tf.loadLayersModel predicts what simdnet predicts on ${N_TEST} test images`, async (layers, minAccuracy) => {
    const model = Model.create({ input: [28, 28, 1], layers: parseLayers(layers), seed: 3, backend: BACKEND });
    await model.fit(train, { epochs: 1, batchSize: 32, lr: 0.05 });
    expect(model.evaluate(test).accuracy).toBeGreaterThan(minAccuracy);
    const { spec, params, state } = decodeModel(model.toBytes()); // what `simdnet export` reads
    const { modelJson, weights } = toTfjsLayers(spec, params, state);
    const tfModel = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology as unknown as tf.io.ModelArtifacts["modelTopology"],
        weightSpecs: modelJson.weightsManifest[0].weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
      }),
    );
    const x = tf.tensor4d(Float32Array.from(test.images, (v) => v / 255), [test.count, 28, 28, 1]);
    const y = tfModel.predict(x) as tf.Tensor;
    const theirs = (await y.data()) as Float32Array;
    const theirClasses = (await y.argMax(1).data()) as Int32Array;
    tf.dispose([x, y]);
    tfModel.dispose();
    const ours = model.predict(test.images, test.count);
    expect(theirs.length).toBe(ours.length);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(Array.from(theirClasses)).toEqual(Array.from(model.predictClasses(test.images, test.count)));
    const kinds = new Set((modelJson.modelTopology.config.layers as { class_name: string }[]).map((l) => l.class_name));
    expect(kinds.has("Conv2D")).toBe(true);
  });
});
