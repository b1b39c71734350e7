// Child process of tests/atomic.test.ts: rewrites one model file and one checkpoint, atomically,
// as fast as it can, alternating between two versions, until it is killed. With "plain" it uses
// writeFileSync instead (to show the test can tell the difference).
import { writeFileSync } from "node:fs";
import { writeFileAtomic } from "../src/fsutil.js";
import { encodeModel } from "../src/model/format.js";
import { encodeCheckpoint } from "../src/train/checkpoint.js";
import { ATOMIC_SPEC, atomicCheckpoint, atomicParams } from "./atomic-fixture.js";

const [modelPath, checkpointPath, mode] = process.argv.slice(2);
const write = mode === "plain" ? writeFileSync : writeFileAtomic;
const models = [encodeModel(ATOMIC_SPEC, atomicParams(1)), encodeModel(ATOMIC_SPEC, atomicParams(2))];
const checkpoints = [encodeCheckpoint(atomicCheckpoint(1)), encodeCheckpoint(atomicCheckpoint(2))];
process.stdout.write("writing\n");
for (let i = 0; ; i++) {
  write(modelPath, models[i & 1]);
  write(checkpointPath, checkpoints[i & 1]);
}
