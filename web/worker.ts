// The training worker: holds the data set, trains with the same code as the CLI (src/train/trainer.ts
// on the wasm kernels; an MLP or any layer stack, batch-norm running statistics travelling with the
// weights), and streams progress, weights and per-epoch stats to the page, which stays
// responsive. fit() yields to the event loop every ~100 ms, so a "stop" message gets through.
import { WasmBackend } from "../src/backend/wasm.js";
import { allOf, type Dataset } from "../src/data/dataset.js";
import { Network } from "../src/model/network.js";
import { fit } from "../src/train/trainer.js";
import { datasetsFromFiles, prepareTableRun, type LoadedData } from "./data.js";
import type { DataMeta } from "../src/data/table.js";
import type { FromWorker, ToWorker } from "./protocol.js";
import { prepareRun, type TrainSettings } from "./training.js";

const PROGRESS_POINTS_PER_EPOCH = 25;
const PARAMS_EVERY_MS = 400;

let data: LoadedData | null = null;
let stopRequested = false;
let training = false;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, { transfer });
}

self.onmessage = async (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  try {
    if (msg.type === "load-data") {
      const files = await Promise.all(msg.files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })));
      data = await datasetsFromFiles(files);
      post({ type: "data", description: data.description, trainCount: data.train?.count ?? data.table?.count ?? null, testCount: data.test?.count ?? null });
    } else if (msg.type === "train") {
      if (training) throw new Error("already training");
      const table = data?.table;
      if (table) return await train({ count: table.count } as Dataset, null, msg.settings, (be, _d, s) => prepareTableRun(be, table, s));
      if (!data?.train) throw new Error("no training data loaded: pick the MNIST train-* files or a Kaggle train.csv first");
      await train(data.train, data.test, msg.settings);
    } else if (msg.type === "stop") {
      stopRequested = true;
    } else if (msg.type === "evaluate") {
      if (!data) throw new Error("no data loaded: pick MNIST files or a Kaggle CSV first");
      if (data.table) throw new Error("Test on a table is not in the page yet: the training run reports its validation figures (simdnet evaluate scores a saved table model)");
      const set = (data.test ?? data.train)!;
      const r = evaluate(msg.spec, msg.params, msg.state, set);
      post({ type: "evaluated", ...r, set: data.test ? "test set" : "training file" });
    }
  } catch (err) {
    post({ type: "error", message: (err as Error).message });
  }
};

function evaluate(spec: Network["spec"], params: Float32Array, state: Float32Array, set: Dataset) {
  if (spec.inputSize !== set.inputSize) throw new Error(`the model takes ${spec.inputSize} pixels but the data has ${set.inputSize}`);
  const net = new Network(spec, new WasmBackend(), 256);
  net.setParams(params);
  net.setState(state);
  return net.evaluate(allOf(set));
}

async function train(trainData: Dataset, testData: Dataset | null, settings: TrainSettings, prepare = prepareRun): Promise<void> {
  training = true;
  stopRequested = false;
  try {
    const run = prepare(new WasmBackend(), trainData, settings);
    const { net, spec } = run;
    const stepsPerEpoch = Math.ceil(run.train.indices.length / run.options.batchSize);
    const every = Math.max(1, Math.round(stepsPerEpoch / PROGRESS_POINTS_PER_EPOCH));
    post({ type: "started", spec, trainCount: run.train.indices.length, valCount: run.val?.indices.length ?? 0, stepsPerEpoch });
    let step = 0, winLoss = 0, winCorrect = 0, winSamples = 0, lastParams = performance.now();
    let doneBefore = 0, correctBefore = 0; // cumulative within the epoch, up to the previous batch
    const sendParams = () => {
      if (prepare !== prepareRun) return; // a table model: the pad cannot use it, it arrives with "done"
      const params = net.getParams();
      const state = net.getState();
      post({ type: "params", spec, params, state }, [params.buffer, state.buffer]);
      lastParams = performance.now();
    };
    const result = await fit(net, run.train, run.val, {
      ...run.options,
      onBatchEnd: (b) => {
        step++;
        if (b.batch === 1) doneBefore = correctBefore = 0;
        const correct = Math.round(b.runningAccuracy * b.samplesDone);
        winLoss += b.loss * (b.samplesDone - doneBefore);
        winCorrect += correct - correctBefore;
        winSamples += b.samplesDone - doneBefore;
        doneBefore = b.samplesDone;
        correctBefore = correct;
        if (step % every === 0 || b.batch === b.batches) {
          post({ type: "progress", progress: { step, epoch: b.epoch, epochs: settings.epochs, loss: winLoss / winSamples, accuracy: winCorrect / winSamples, samplesPerSec: b.samplesPerSec } });
          winLoss = winCorrect = winSamples = 0;
        }
        if (performance.now() - lastParams > PARAMS_EVERY_MS) sendParams();
      },
      onEpochEnd: (stats) => {
        post({ type: "epoch", stats, step });
        sendParams();
      },
      shouldStop: () => stopRequested,
    });
    const test = testData ? net.evaluate(allOf(testData)) : null;
    const params = net.getParams();
    const state = net.getState();
    post({ type: "done", spec, params, state, history: result.history, stoppedEarly: result.stoppedEarly, seconds: result.seconds, test, meta: (run as { meta?: DataMeta }).meta }, [params.buffer, state.buffer]);
  } finally {
    training = false;
  }
}
