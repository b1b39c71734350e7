import { CNNS, convShapes, simdnetCnnSamplesPerSec, cnnBackends, logCnn } from "./cnn.js";
import { tfjsCnnCpu, tfjsCnnWasmError } from "./tfjs-cnn.js";
for (const n of CNNS) console.log(n.name, n.params, n.flopsPerSample, JSON.stringify(convShapes(n)));
for (const n of CNNS) {
  logCnn(n.name + " wasm", simdnetCnnSamplesPerSec(cnnBackends().wasm(), n, 5, 2));
  console.log(n.name, "tfjs wasm:", await tfjsCnnWasmError(n));
}
console.log(await tfjsCnnCpu(CNNS[0], 2, 1));
