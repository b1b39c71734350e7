// A training thread of the page (started by the training worker when the page is cross-origin
// isolated): runs the shared worker loop of src/backend/worker-loop.ts on the module, shared
// memory and control block it is sent.
import { workerLoop, type WorkerInit } from "../src/backend/worker-loop.js";

self.onmessage = (e: MessageEvent<WorkerInit>) => {
  self.postMessage("ready");
  workerLoop(e.data);
};
