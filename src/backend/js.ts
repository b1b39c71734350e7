// The pure-TypeScript backend: naive loops over the same arena layout. It is the JS baseline
// of the benchmarks and the oracle of the tests (in float64 for gradient checks).
import { NONE, dropoutParams, hash32, type Backend } from "./types.js";
import { actForward, actGrad } from "./activations.js";

export type Precision = "f32" | "f64";

export class JsBackend implements Backend {
  readonly name = "js" as const;
  readonly variant: string;
  private readonly bpe: number;
  private buf = new ArrayBuffer(0);
  private f: Float32Array | Float64Array = new Float32Array(0);

  constructor(readonly precision: Precision = "f32") {
    this.bpe = precision === "f64" ? 8 : 4;
    this.variant = `js-${precision}`;
  }

  allocate(slots: number): void {
    if (slots * this.bpe <= this.buf.byteLength) return;
    const next = new ArrayBuffer(slots * this.bpe);
    new Uint8Array(next).set(new Uint8Array(this.buf));
    this.buf = next;
    this.f = this.precision === "f64" ? new Float64Array(next) : new Float32Array(next);
  }

  floats() {
    return this.f;
  }
  bytes(slot: number, length: number) {
    return new Uint8Array(this.buf, slot * this.bpe, length);
  }
  ints(slot: number, length: number) {
    return new Int32Array(this.buf, slot * this.bpe, length);
  }

  denseForward(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number): void {
    forward(this.f, this.f, x, 1, a, z, w, b, B, IN, OUT, act);
  }

  denseForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, IN: number, OUT: number, act: number): void {
    forward(this.f, new Uint8Array(this.buf, x * this.bpe, B * IN), 0, 1 / 255, a, z, w, b, B, IN, OUT, act);
  }

  denseBackward(dzPrev: number, dw: number, db: number, dz: number, x: number, zPrev: number, w: number, B: number, IN: number, OUT: number, actPrev: number, _scratch?: number): void {
    const f = this.f;
    backwardParams(f, f, x, 1, dw, db, dz, B, IN, OUT);
    if (dzPrev === NONE) return;
    for (let i = 0; i < B; i++) {
      for (let k = 0; k < IN; k++) {
        let s = 0;
        const dzRow = dz + i * OUT;
        const wRow = w + k * OUT;
        for (let j = 0; j < OUT; j++) s += f[dzRow + j] * f[wRow + j];
        const o = i * IN + k;
        f[dzPrev + o] = s * actGrad(f[zPrev + o], actPrev);
      }
    }
  }

  denseBackwardU8(dw: number, db: number, dz: number, x: number, B: number, IN: number, OUT: number, _scratch?: number): void {
    backwardParams(this.f, new Uint8Array(this.buf, x * this.bpe, B * IN), 0, 1 / 255, dw, db, dz, B, IN, OUT);
  }

  softmaxXent(dlogits: number, probs: number, logits: number, labels: number, B: number, C: number, gradScale: number): number {
    const f = this.f;
    const y = this.ints(labels, B);
    let total = 0;
    for (let i = 0; i < B; i++) {
      const row = logits + i * C;
      let mx = f[row];
      for (let j = 1; j < C; j++) mx = Math.max(mx, f[row + j]);
      let sum = 0;
      for (let j = 0; j < C; j++) sum += Math.exp(f[row + j] - mx);
      total += Math.log(sum) - (f[row + y[i]] - mx);
      for (let j = 0; j < C; j++) {
        const p = Math.exp(f[row + j] - mx) / sum;
        if (probs !== NONE) f[probs + i * C + j] = p;
        if (dlogits !== NONE) f[dlogits + i * C + j] = (j === y[i] ? p - 1 : p) * gradScale;
      }
    }
    return total;
  }

  countCorrect(logits: number, labels: number, B: number, C: number): number {
    const f = this.f;
    const y = this.ints(labels, B);
    let n = 0;
    for (let i = 0; i < B; i++) {
      let best = 0;
      for (let j = 1; j < C; j++) if (f[logits + i * C + j] > f[logits + i * C + best]) best = j;
      if (best === y[i]) n++;
    }
    return n;
  }

  sgdStep(p: number, g: number, n: number, lr: number): void {
    const f = this.f;
    for (let i = 0; i < n; i++) f[p + i] -= lr * f[g + i];
  }

  sgdMomentumStep(p: number, g: number, v: number, n: number, lr: number, momentum: number, nesterov: boolean, weightDecay: number): void {
    const f = this.f;
    for (let i = 0; i < n; i++) {
      const d = f[g + i] + weightDecay * f[p + i];
      const vv = momentum * f[v + i] + d;
      f[v + i] = vv;
      f[p + i] -= lr * (nesterov ? d + momentum * vv : vv);
    }
  }

  adamStep(p: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, weightDecay: number, decoupled: boolean): void {
    const f = this.f;
    for (let i = 0; i < n; i++) {
      const d = f[g + i] + (decoupled ? 0 : weightDecay) * f[p + i];
      const mm = beta1 * f[m + i] + (1 - beta1) * d;
      const vv = beta2 * f[v + i] + (1 - beta2) * d * d;
      f[m + i] = mm;
      f[v + i] = vv;
      f[p + i] = f[p + i] * (decoupled ? 1 - lr * weightDecay : 1) - ((lr / bc1) * mm) / (Math.sqrt(vv / bc2) + eps);
    }
  }

  sumSquares(x: number, n: number): number {
    let s = 0;
    for (let i = 0; i < n; i++) s += this.f[x + i] * this.f[x + i];
    return s;
  }

  scale(x: number, n: number, s: number): void {
    for (let i = 0; i < n; i++) this.f[x + i] *= s;
  }

  dropoutForward(a: number, mask: number, n: number, p: number, seed: number): void {
    const { threshold, keepScale } = dropoutParams(p);
    const f = this.f;
    for (let i = 0; i < n; i++) {
      const m = hash32((seed + Math.imul(i, 0x9e3779b9)) >>> 0) < threshold ? 0 : keepScale;
      f[mask + i] = m;
      f[a + i] *= m;
    }
  }

  dropoutBackward(g: number, mask: number, n: number): void {
    const f = this.f;
    for (let i = 0; i < n; i++) f[g + i] *= f[mask + i];
  }

  zero(p: number, n: number): void {
    this.f.fill(0, p, p + n);
  }
}

type Vec = Float32Array | Float64Array | Uint8Array;

// z = x·w + b, a = act(z): i-k-j order so the inner loop runs along contiguous rows of w and z.
function forward(f: Float32Array | Float64Array, xs: Vec, x: number, scale: number, a: number, z: number, w: number, b: number, B: number, IN: number, OUT: number, act: number): void {
  for (let i = 0; i < B; i++) {
    const zRow = z + i * OUT;
    for (let j = 0; j < OUT; j++) f[zRow + j] = f[b + j];
    for (let k = 0; k < IN; k++) {
      const xv = xs[x + i * IN + k] * scale;
      const wRow = w + k * OUT;
      for (let j = 0; j < OUT; j++) f[zRow + j] += xv * f[wRow + j];
    }
    for (let j = 0; j < OUT; j++) f[a + i * OUT + j] = actForward(f[zRow + j], act);
  }
}

// dw += scale·xᵀ·dz, db += Σ_rows dz
function backwardParams(f: Float32Array | Float64Array, xs: Vec, x: number, scale: number, dw: number, db: number, dz: number, B: number, IN: number, OUT: number): void {
  for (let i = 0; i < B; i++) {
    const dzRow = dz + i * OUT;
    for (let k = 0; k < IN; k++) {
      const xv = xs[x + i * IN + k] * scale;
      const dwRow = dw + k * OUT;
      for (let j = 0; j < OUT; j++) f[dwRow + j] += xv * f[dzRow + j];
    }
    for (let j = 0; j < OUT; j++) f[db + j] += f[dzRow + j];
  }
}
