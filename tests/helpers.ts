import { Network } from "../src/model/network.js";
import type { Backend } from "../src/backend/types.js";
import type { ModelSpec } from "../src/model/spec.js";
import { Rng } from "../src/rng.js";

/** L∞ relative difference: max|a−b| / max|b|. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m === 0 ? d : d / m;
}

/** A network on `backend` with seeded params (random biases too), pixels and labels loaded. */
export function loadedNetwork(spec: ModelSpec, backend: Backend, B: number, seed: number, zeroFraction = 0): Network {
  const net = new Network(spec, backend, B);
  net.init(seed, "he");
  const rng = new Rng(seed + 100);
  const p = net.getParams();
  for (const L of net.layout.layers) for (let j = 0; j < L.outSize; j++) p[L.b - net.layout.params + j] = 0.1 * rng.normal();
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
