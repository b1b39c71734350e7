import { expect, it } from "vitest";
import { SimdnetError, type ErrorPlace } from "../src/errors.js";
import { Network } from "../src/model/network.js";
import type { Backend } from "../src/backend/types.js";
import type { ModelSpec } from "../src/model/spec.js";
import { Rng } from "../src/rng.js";
import { hasMnistFiles } from "../src/data/files.js";

/**
 * Element-wise relative difference with an absolute floor: max_i |a_i − b_i| / max(|b_i|, floor).
 * Every entry is held to its own size (a bug in a small entry is not hidden by a large one); the
 * floor keeps entries that are zero up to rounding from dominating.
 */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-5): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(d <= worst)) worst = d; // NaN wins
  }
  return worst;
}

/** A network on `backend` with seeded params (random biases too), pixels and labels loaded. */
export function loadedNetwork(spec: ModelSpec, backend: Backend, B: number, seed: number, zeroFraction = 0, dropout = 0): Network {
  const net = new Network(spec, backend, B, 0, dropout);
  net.init(seed, "he");
  const rng = new Rng(seed + 100);
  const p = net.getParams();
  for (const L of net.layout.layers) for (let j = 0; j < L.bSize; j++) p[L.b - net.layout.params + j] = 0.1 * rng.normal(); // layers without a bias have bSize 0
  net.setParams(p);
  // zeroFraction > 0: digit-like inputs, mostly exact zeros, with whole zero columns (a border)
  const D = spec.inputSize;
  const border = zeroFraction > 0 ? Math.floor(D / 5) : 0;
  net.loadPixels(new Uint8Array(B * D).map((_, i) => (i % D < border || rng.next() < zeroFraction ? 0 : 1 + rng.int(255))), B);
  net.backend.ints(net.layout.labels, B).set(Array.from({ length: B }, () => rng.int(spec.outputSize)));
  return net;
}

export function region(net: Network, at: number, n: number): Float64Array {
  return Float64Array.from(net.backend.floats().subarray(at, at + n));
}

/**
 * The real-MNIST folder for tests that need it ($SIMDNET_MNIST_DIR with the four IDX files), or
 * undefined, and then the caller skips its real-data tests (or does what `instead` says). Never a
 * silent fallback: in CI (env CI set) a missing data set registers a failing test naming
 * SIMDNET_MNIST_DIR; outside CI one line says what is missing and what happens instead.
 */
export function realMnistDir(suite: string, has: (dir: string) => boolean = hasMnistFiles, instead = "skipping it"): string | undefined {
  const dir = process.env.SIMDNET_MNIST_DIR;
  if (dir && has(dir)) return dir;
  const why = dir ? `SIMDNET_MNIST_DIR=${dir} does not hold the MNIST files` : "SIMDNET_MNIST_DIR is not set";
  if (inCI())
    it(`${suite}: real MNIST is available (required in CI)`, () => {
      throw new Error(`${suite}: real MNIST is required in CI, but ${why}`);
    });
  else console.log(`${suite}: ${why}, ${instead}; point SIMDNET_MNIST_DIR at the MNIST folder for real MNIST`);
  return undefined;
}

export function inCI(): boolean {
  const ci = process.env.CI;
  return Boolean(ci) && ci !== "false" && ci !== "0";
}

/** The SimdnetError that f throws (fails the test if it throws nothing or something else). */
export function thrown(f: () => unknown): SimdnetError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SimdnetError);
    return e as SimdnetError;
  }
  throw new Error("expected a SimdnetError");
}

/** f throws a SimdnetError at `place` (each given field must match) whose message matches `message`. */
export function rejects(f: () => unknown, place: ErrorPlace, message: RegExp): SimdnetError {
  const e = thrown(f);
  for (const k of Object.keys(place) as (keyof ErrorPlace)[]) expect(e[k], `${k} of: ${e.message}`).toBe(place[k]);
  expect(e.message).toMatch(message);
  return e;
}
