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

  // ---- convolution (direct loops: the oracle, not a fast path) ----
  convForward(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number): void {
    convForwardRef(this.f, this.f, x, 1, a, z, w, b, B, H, W, C, F, K, S, padT, padL, OH, OW, act);
  }
  convForwardU8(a: number, z: number, x: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number): void {
    convForwardRef(this.f, new Uint8Array(this.buf, x * this.bpe, B * H * W * C), 0, 1 / 255, a, z, w, b, B, H, W, C, F, K, S, padT, padL, OH, OW, act);
  }
  convBackwardFilter(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number): void {
    convFilterRef(this.f, this.f, x, 1, dw, db, dz, B, H, W, C, F, K, S, padT, padL, OH, OW);
  }
  convBackwardFilterU8(dw: number, db: number, dz: number, x: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number): void {
    convFilterRef(this.f, new Uint8Array(this.buf, x * this.bpe, B * H * W * C), 0, 1 / 255, dw, db, dz, B, H, W, C, F, K, S, padT, padL, OH, OW);
  }
  convBackwardData(dx: number, dz: number, w: number, zPrev: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, actPrev: number): void {
    const f = this.f;
    f.fill(0, dx, dx + B * H * W * C);
    for (let n = 0; n < B; n++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          const g = dz + ((n * OH + oy) * OW + ox) * F;
          for (let ky = 0; ky < K; ky++) {
            const iy = oy * S - padT + ky;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < K; kx++) {
              const ix = ox * S - padL + kx;
              if (ix < 0 || ix >= W) continue;
              const d = dx + ((n * H + iy) * W + ix) * C;
              const wk = w + (ky * K + kx) * C * F;
              for (let c = 0; c < C; c++) {
                let s = 0;
                for (let o = 0; o < F; o++) s += f[g + o] * f[wk + c * F + o];
                f[d + c] += s;
              }
            }
          }
        }
    if (actPrev !== 0) for (let i = 0, n = B * H * W * C; i < n; i++) f[dx + i] *= actGrad(f[zPrev + i], actPrev);
  }

  // ---- pooling ----
  maxPoolForward(y: number, argmax: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    const f = this.f;
    const idx = this.ints(argmax, B * OH * OW * C);
    for (let n = 0; n < B; n++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++)
          for (let c = 0; c < C; c++) {
            let best = -Infinity;
            let at = 0;
            for (let py = 0; py < PH; py++)
              for (let px = 0; px < PW; px++) {
                const h = oy * SH + py;
                const ww = ox * SW + px;
                const v = f[x + ((n * H + h) * W + ww) * C + c];
                if (v > best) {
                  best = v;
                  at = h * W + ww;
                }
              }
            const o = ((n * OH + oy) * OW + ox) * C + c;
            f[y + o] = best;
            idx[o] = at;
          }
  }
  maxPoolBackward(dx: number, dy: number, argmax: number, B: number, H: number, W: number, C: number, OH: number, OW: number): void {
    const f = this.f;
    const idx = this.ints(argmax, B * OH * OW * C);
    f.fill(0, dx, dx + B * H * W * C);
    for (let n = 0; n < B; n++)
      for (let o = 0; o < OH * OW; o++)
        for (let c = 0; c < C; c++) {
          const i = (n * OH * OW + o) * C + c;
          f[dx + (n * H * W + idx[i]) * C + c] += f[dy + i];
        }
  }
  avgPoolForward(y: number, x: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    const f = this.f;
    const inv = 1 / (PH * PW);
    for (let n = 0; n < B; n++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++)
          for (let c = 0; c < C; c++) {
            let s = 0;
            for (let py = 0; py < PH; py++) for (let px = 0; px < PW; px++) s += f[x + ((n * H + oy * SH + py) * W + ox * SW + px) * C + c];
            f[y + ((n * OH + oy) * OW + ox) * C + c] = s * inv;
          }
  }
  avgPoolBackward(dx: number, dy: number, B: number, H: number, W: number, C: number, PH: number, PW: number, SH: number, SW: number, OH: number, OW: number): void {
    const f = this.f;
    const inv = 1 / (PH * PW);
    f.fill(0, dx, dx + B * H * W * C);
    for (let n = 0; n < B; n++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++)
          for (let c = 0; c < C; c++) {
            const g = f[dy + ((n * OH + oy) * OW + ox) * C + c] * inv;
            for (let py = 0; py < PH; py++) for (let px = 0; px < PW; px++) f[dx + ((n * H + oy * SH + py) * W + ox * SW + px) * C + c] += g;
          }
  }

  // ---- batch normalisation ----
  batchNormForward(a: number, z: number, x: number, gamma: number, beta: number, mean: number, invStd: number, runMean: number, runVar: number, N: number, C: number, training: number, momentum: number, eps: number, act: number): void {
    const f = this.f;
    for (let c = 0; c < C; c++) {
      let mu: number;
      let inv: number;
      if (training) {
        let s = 0;
        for (let i = 0; i < N; i++) s += f[x + i * C + c];
        mu = s / N;
        let q = 0;
        for (let i = 0; i < N; i++) {
          const d = f[x + i * C + c] - mu;
          q += d * d;
        }
        const v = q / N;
        inv = 1 / Math.sqrt(v + eps);
        f[mean + c] = mu;
        f[invStd + c] = inv;
        f[runMean + c] = (1 - momentum) * f[runMean + c] + momentum * mu;
        f[runVar + c] = (1 - momentum) * f[runVar + c] + momentum * (N > 1 ? q / (N - 1) : v);
      } else {
        mu = f[runMean + c];
        inv = 1 / Math.sqrt(f[runVar + c] + eps);
      }
      const g = f[gamma + c];
      const bt = f[beta + c];
      for (let i = 0; i < N; i++) {
        const o = i * C + c;
        const zz = g * (f[x + o] - mu) * inv + bt;
        f[z + o] = zz;
        f[a + o] = actForward(zz, act);
      }
    }
  }
  batchNormBackward(dx: number, dgamma: number, dbeta: number, dz: number, x: number, gamma: number, mean: number, invStd: number, N: number, C: number): void {
    const f = this.f;
    for (let c = 0; c < C; c++) {
      const mu = f[mean + c];
      const inv = f[invStd + c];
      let sg = 0;
      let sgx = 0;
      for (let i = 0; i < N; i++) {
        const g = f[dz + i * C + c];
        sg += g;
        sgx += g * (f[x + i * C + c] - mu) * inv;
      }
      f[dgamma + c] += sgx;
      f[dbeta + c] += sg;
      if (dx === NONE) continue;
      const k = f[gamma + c] * inv;
      for (let i = 0; i < N; i++) {
        const o = i * C + c;
        const xh = (f[x + o] - mu) * inv;
        f[dx + o] = k * (f[dz + o] - sg / N - (xh * sgx) / N);
      }
    }
  }

  activationBackward(dz: number, z: number, n: number, act: number): void {
    const f = this.f;
    for (let i = 0; i < n; i++) f[dz + i] *= actGrad(f[z + i], act);
  }
  castU8(dst: number, src: number, n: number, scale: number): void {
    const u = new Uint8Array(this.buf, src * this.bpe, n);
    for (let i = 0; i < n; i++) this.f[dst + i] = u[i] * scale;
  }

  mseLoss(dout: number, out: number, target: number, B: number, D: number, gradScale: number): number {
    const f = this.f;
    let total = 0;
    for (let i = 0; i < B * D; i++) {
      const d = f[out + i] - f[target + i];
      total += d * d;
      if (dout !== NONE) f[dout + i] = ((2 * d) / D) * gradScale;
    }
    return total / D;
  }
}

// z = conv(x, w) + b, a = act(z): x (B, H, W, C) at xs[x..] times scale, w (K, K, C, F), z, a (B, OH, OW, F)
function convForwardRef(f: Float32Array | Float64Array, xs: Vec, x: number, scale: number, a: number, z: number, w: number, b: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number, act: number): void {
  for (let n = 0; n < B; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const zo = z + ((n * OH + oy) * OW + ox) * F;
        for (let o = 0; o < F; o++) f[zo + o] = f[b + o];
        for (let ky = 0; ky < K; ky++) {
          const iy = oy * S - padT + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < K; kx++) {
            const ix = ox * S - padL + kx;
            if (ix < 0 || ix >= W) continue;
            const xi = x + ((n * H + iy) * W + ix) * C;
            const wk = w + (ky * K + kx) * C * F;
            for (let c = 0; c < C; c++) {
              const xv = xs[xi + c] * scale;
              for (let o = 0; o < F; o++) f[zo + o] += xv * f[wk + c * F + o];
            }
          }
        }
        const ao = a + ((n * OH + oy) * OW + ox) * F;
        for (let o = 0; o < F; o++) f[ao + o] = actForward(f[zo + o], act);
      }
}

// dw += Σ patch(x·scale)ᵀ·dz, db += Σ dz
function convFilterRef(f: Float32Array | Float64Array, xs: Vec, x: number, scale: number, dw: number, db: number, dz: number, B: number, H: number, W: number, C: number, F: number, K: number, S: number, padT: number, padL: number, OH: number, OW: number): void {
  for (let n = 0; n < B; n++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        const g = dz + ((n * OH + oy) * OW + ox) * F;
        for (let o = 0; o < F; o++) f[db + o] += f[g + o];
        for (let ky = 0; ky < K; ky++) {
          const iy = oy * S - padT + ky;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < K; kx++) {
            const ix = ox * S - padL + kx;
            if (ix < 0 || ix >= W) continue;
            const xi = x + ((n * H + iy) * W + ix) * C;
            const wk = dw + (ky * K + kx) * C * F;
            for (let c = 0; c < C; c++) {
              const xv = xs[xi + c] * scale;
              for (let o = 0; o < F; o++) f[wk + c * F + o] += xv * f[g + o];
            }
          }
        }
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
