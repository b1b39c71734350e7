#!/usr/bin/env node
// simdnet command line: `simdnet <command> [options]`. A SimdnetError (bad file, bad option)
// prints its message and exits 2 without a stack; anything else is a bug and keeps its stack.
import { SimdnetError } from "../errors.js";
import { trainCommand } from "./train.js";
import { gradcheckCommand } from "./gradcheck.js";
import { predictCommand } from "./predict.js";
import { evaluateCommand } from "./evaluate.js";
import { infoCommand } from "./info.js";
import { exportCommand } from "./export.js";
import { importCommand } from "./import.js";

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  train: trainCommand,
  predict: predictCommand,
  evaluate: evaluateCommand,
  info: infoCommand,
  export: exportCommand,
  import: importCommand,
  gradcheck: gradcheckCommand,
};

const USAGE = `Usage: simdnet <command> [options]

Commands:
  train      train an MLP on MNIST or a Kaggle CSV (simdnet train --help)
  predict    write a Kaggle submission (ImageId,Label) for a CSV or the MNIST test set
  evaluate   accuracy, loss, per-class precision/recall and confusion matrix on labelled data
  info       print a model file's header: layers, params, training config, metrics
  export     write a TensorFlow.js Layers model (model.json + weights.bin) or an ONNX file (--format onnx)
  import     read an ONNX model (PyTorch, Keras, simdnet) as a .simdnet model
  gradcheck  check the gradients of an architecture by finite differences (simdnet gradcheck --help)

Run 'simdnet <command> --help' for the options of a command.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    console.log(USAGE);
    return cmd === undefined ? 1 : 0;
  }
  const run = COMMANDS[cmd];
  if (!run) throw new SimdnetError(`unknown command "${cmd}"\n\n${USAGE}`);
  return run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    if (e instanceof SimdnetError) {
      process.stderr.write(`simdnet: ${e.message}\n`);
      process.exitCode = 2;
    } else {
      throw e;
    }
  },
);
