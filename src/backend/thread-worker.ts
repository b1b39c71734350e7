// Node entry of a training thread (worker_threads): runs the shared worker loop on workerData.
// A thread that exits for any reason other than the pool's EXIT says so in the control block,
// so the calling thread ends training with an error instead of waiting for it.
import { parentPort, workerData } from "node:worker_threads";
import { reportFailure, workerLoop, type WorkerInit } from "./worker-loop.js";

const init = workerData as WorkerInit;
let finished = false;
process.on("exit", (code) => {
  if (!finished) reportFailure(init.control, init.index, `the thread exited (code ${code})`);
});
parentPort?.postMessage("ready");
workerLoop(init);
finished = true;
