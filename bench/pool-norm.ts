// Pooling and batch-norm kernels alone, at the Keras convnet's shapes: `npx tsx bench/pool-norm.ts [--quick]`.
import { cpus } from "node:os";
import { cnnKernelBench } from "./kernels.js";
import { json, log } from "./common.js";

log(`pool / batch-norm kernels: ${cpus()[0]?.model ?? "unknown CPU"}, node ${process.version}`);
const figures = cnnKernelBench();
if (json) process.stdout.write(JSON.stringify({ cnnKernels: figures }) + "\n");
