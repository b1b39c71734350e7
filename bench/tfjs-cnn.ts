// TF.js 4.22 peers for the reference CNNs (bench/cnn.ts): samples/s on the cpu backend (the only
// one that trains them), and the wasm backend's failure, caught and printed. Same layers, batch 64,
// plain SGD, softmax cross-entropy on logits, one thread, real MNIST scaled to [0, 1].
// The cpu backend is slow (≈ 27 samples/s for T, ≈ 3.5 for K on the machines measured so far), so
// the sample counts are small: a few batches, the faster of model.fit and optimizer.minimize.
import * as tf from "@tensorflow/tfjs";
import { tfjsRate, useTf, type TfResult } from "./training.js";
import { trainSet } from "./common.js";
import type { CnnCase } from "./cnn.js";

export function tfCnnModel(net: CnnCase): tf.Sequential {
  const model = tf.sequential();
  net.layers.forEach((L, i) => {
    const first = i === 0 ? { inputShape: net.input } : {};
    switch (L.type) {
      case "conv2d":
        model.add(tf.layers.conv2d({ filters: L.filters, kernelSize: L.kernelSize, strides: L.strides ?? 1, padding: L.padding ?? "valid", activation: L.activation, kernelInitializer: "heNormal", ...first }));
        break;
      case "maxpool2d":
        model.add(tf.layers.maxPooling2d({ poolSize: L.poolSize, strides: L.strides ?? L.poolSize, ...first }));
        break;
      case "flatten":
        model.add(tf.layers.flatten(first));
        break;
      case "dropout":
        model.add(tf.layers.dropout({ rate: L.rate, ...first }));
        break;
      case "dense":
        model.add(tf.layers.dense({ units: L.units, ...(L.activation ? { activation: L.activation } : {}), kernelInitializer: "heNormal", ...first }));
        break;
    }
  });
  return model;
}

/** n MNIST training images as (n, 28, 28, 1) floats in [0, 1] and one-hot labels. */
function tfImages(n: number, net: CnnCase) {
  const train = trainSet("mnist");
  const xs = new Float32Array(n * 784);
  for (let i = 0; i < xs.length; i++) xs[i] = train.images[i] / 255;
  const ys = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) ys[i * 10 + train.labels![i]] = 1;
  return { x: tf.tensor4d(xs, [n, ...net.input]), y: tf.tensor2d(ys, [n, 10]) };
}

/** TF.js cpu samples/s on `steps` batches (after `warmup` batches of model.fit; the minimize loop reuses that warm model). */
export async function tfjsCnnCpu(net: CnnCase, steps: number, reps: number, warmup = 1): Promise<TfResult> {
  await useTf("cpu");
  const { x, y } = tfImages(steps * net.batch, net);
  const r = await tfjsRate(() => tfCnnModel(net), x, y, net.batch, steps, reps, `tfjs-cpu ${net.name}`, warmup, 0);
  tf.dispose([x, y]);
  return r;
}

/** One training step of the net on TF.js' wasm backend: the error it throws, or null if it trained. */
export async function tfjsCnnWasmError(net: CnnCase): Promise<string | null> {
  await useTf("wasm");
  const { x, y } = tfImages(net.batch, net);
  const model = tfCnnModel(net);
  model.compile({ optimizer: tf.train.sgd(0.01), loss: (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp) });
  try {
    await model.fit(x, y, { batchSize: net.batch, epochs: 1, shuffle: false, verbose: 0 });
    return null;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}
