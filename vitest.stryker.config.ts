// The test set Stryker runs for each mutant (npm run mutate): the in-process suite. Left out are
// tests whose work happens in child processes or a browser (a mutant is only active in the test
// process, so they cannot kill one and only cost time) and the multi-minute real-MNIST runs.
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

export default mergeConfig(
  base,
  defineConfig({
    test: {
      // report.test.ts: the browser half skips (report parts still run). The real-MNIST training
      // runs skip too (seconds per mutant, and schedules/trainer mutants are covered by all of them);
      // the kernel plants and the normal suite keep them honest.
      env: { SIMDNET_CHROMIUM: "/nonexistent/chromium", SIMDNET_MNIST_DIR: "" },
      exclude: [
        "tests/browser.test.ts", // chromium
        "tests/pack.test.ts", // npm pack + a child process
        "tests/mnist-e2e.test.ts", // minutes of training on real MNIST
        "tests/perf-kernels.test.ts", // timing
        "tests/tfjs-export.test.ts", // TensorFlow.js; export runs in a child process
        "tests/tfjs-export-cnn.test.ts", // TensorFlow.js
        "tests/cli-train.test.ts", // child processes
        "tests/cli-robust.test.ts", // child processes (and timing-sensitive under instrumentation)
        "tests/cli-commands.test.ts", // child processes
        "tests/download.test.ts", // child processes and a local HTTP mirror
        "tests/atomic.test.ts", // child processes killed mid-write
        "node_modules/**",
      ],
    },
  }),
);
