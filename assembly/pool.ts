// Max and average pooling over NHWC activations, no padding.
//   x, dx: (B, H, W, C) f32;  y, dy: (B, OH, OW, C) f32;  argmax: (B, OH, OW, C) int32
// Output pixel (oy, ox) pools input rows oy·SH .. oy·SH + PH − 1 and columns ox·SW .. ox·SW + PW − 1;
// the caller's OH, OW keep every window inside the image ((OH − 1)·SH + PH ≤ H, likewise W).
// Channels are the contiguous axis: every kernel runs f32x4 along C with a scalar tail, so C = 1
// (a 28×28×1 image) takes the scalar path. One output pixel's window is PH rows of PW·C contiguous
// floats, so the window loop stays in L1 whatever C is.
// Global average pooling is avg pooling with PH = H, PW = W, OH = OW = 1.

// y = max over each window; argmax (unless 0) = the in-plane index h·W + w of the FIRST maximum in
// row-major window order (a later equal value does not replace it: the comparison is strict).
export function max_pool_forward(y: usize, argmax: usize, x: usize, B: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32, SH: i32, SW: i32, OH: i32, OW: i32): void {
  const cs = <usize>C * 4; // bytes per pixel
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * <usize>H * <usize>W * cs;
    for (let oy = 0; oy < OH; oy++) {
      const h0 = oy * SH;
      for (let ox = 0; ox < OW; ox++) {
        const w0 = ox * SW;
        const o = ((<usize>b * <usize>OH + <usize>oy) * <usize>OW + <usize>ox) * cs; // byte offset in y / argmax
        const corner = xb + (<usize>h0 * <usize>W + <usize>w0) * cs;
        const i0 = h0 * W + w0;
        let c = 0;
        if (PH == 2 && PW == 2) {
          // the common 2×2 window unrolled, same order: (0,0), (0,1), (1,0), (1,1)
          const down = <usize>W * cs;
          const j1 = i32x4.splat(i0 + 1), j2 = i32x4.splat(i0 + W), j3 = i32x4.splat(i0 + W + 1);
          for (; c + 4 <= C; c += 4) {
            const p = corner + <usize>c * 4;
            let best = v128.load(p);
            let idx = i32x4.splat(i0);
            let v = v128.load(p + cs);
            let m = f32x4.gt(v, best);
            best = v128.bitselect(v, best, m);
            idx = v128.bitselect(j1, idx, m);
            v = v128.load(p + down);
            m = f32x4.gt(v, best);
            best = v128.bitselect(v, best, m);
            idx = v128.bitselect(j2, idx, m);
            v = v128.load(p + down + cs);
            m = f32x4.gt(v, best);
            best = v128.bitselect(v, best, m);
            idx = v128.bitselect(j3, idx, m);
            v128.store(y + o + <usize>c * 4, best);
            if (argmax) v128.store(argmax + o + <usize>c * 4, idx);
          }
        }
        for (; c + 4 <= C; c += 4) {
          const cb = <usize>c * 4;
          let best = v128.load(corner + cb);
          let idx = i32x4.splat(i0);
          for (let ky = 0; ky < PH; ky++) {
            const row = corner + <usize>ky * <usize>W * cs + cb;
            for (let kx = ky == 0 ? 1 : 0; kx < PW; kx++) {
              const v = v128.load(row + <usize>kx * cs);
              const m = f32x4.gt(v, best);
              best = v128.bitselect(v, best, m);
              idx = v128.bitselect(i32x4.splat(i0 + ky * W + kx), idx, m);
            }
          }
          v128.store(y + o + cb, best);
          if (argmax) v128.store(argmax + o + cb, idx);
        }
        for (; c < C; c++) {
          const cb = <usize>c * 4;
          let best = load<f32>(corner + cb);
          let idx = i0;
          for (let ky = 0; ky < PH; ky++) {
            const row = corner + <usize>ky * <usize>W * cs + cb;
            for (let kx = ky == 0 ? 1 : 0; kx < PW; kx++) {
              const v = load<f32>(row + <usize>kx * cs);
              if (v > best) {
                best = v;
                idx = i0 + ky * W + kx;
              }
            }
          }
          store<f32>(y + o + cb, best);
          if (argmax) store<i32>(argmax + o + cb, idx);
        }
      }
    }
  }
}

// OVERWRITES dx: zero, then dx[b, argmax, c] += dy[b, oy, ox, c] in output order. Adding (not storing)
// is what makes overlapping windows (3/2) right: one input cell can be the maximum of several
// windows. The window geometry is not needed: argmax already names the cell. The scatter is scalar
// (four lanes go to four different cells); it is one load-add-store per output element.
export function max_pool_backward(dx: usize, dy: usize, argmax: usize, B: i32, H: i32, W: i32, C: i32, OH: i32, OW: i32): void {
  const plane = <usize>H * <usize>W * <usize>C; // floats per image
  memory.fill(dx, 0, <usize>B * plane * 4);
  const outs = <usize>OH * <usize>OW;
  for (let b = 0; b < B; b++) {
    const dxb = dx + <usize>b * plane * 4;
    const base = <usize>b * outs * <usize>C * 4;
    for (let p: usize = 0; p < outs; p++) {
      const o = base + p * <usize>C * 4;
      for (let c = 0; c < C; c++) {
        const cb = <usize>c * 4;
        const t = dxb + (<usize>load<i32>(argmax + o + cb) * <usize>C) * 4 + cb;
        store<f32>(t, load<f32>(t) + load<f32>(dy + o + cb));
      }
    }
  }
}

// y = (sum over each window) / (PH·PW), summed in f32 in row-major window order.
export function avg_pool_forward(y: usize, x: usize, B: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32, SH: i32, SW: i32, OH: i32, OW: i32): void {
  const cs = <usize>C * 4;
  const count = <f32>(PH * PW);
  const vcount = f32x4.splat(count);
  for (let b = 0; b < B; b++) {
    const xb = x + <usize>b * <usize>H * <usize>W * cs;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const o = ((<usize>b * <usize>OH + <usize>oy) * <usize>OW + <usize>ox) * cs;
        const corner = xb + (<usize>(oy * SH) * <usize>W + <usize>(ox * SW)) * cs;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const cb = <usize>c * 4;
          let s = f32x4.splat(0);
          for (let ky = 0; ky < PH; ky++) {
            const row = corner + <usize>ky * <usize>W * cs + cb;
            for (let kx = 0; kx < PW; kx++) s = f32x4.add(s, v128.load(row + <usize>kx * cs));
          }
          v128.store(y + o + cb, f32x4.div(s, vcount));
        }
        for (; c < C; c++) {
          const cb = <usize>c * 4;
          let s: f32 = 0;
          for (let ky = 0; ky < PH; ky++) {
            const row = corner + <usize>ky * <usize>W * cs + cb;
            for (let kx = 0; kx < PW; kx++) s += load<f32>(row + <usize>kx * cs);
          }
          store<f32>(y + o + cb, s / count);
        }
      }
    }
  }
}

// OVERWRITES dx: zero, then every window adds dy / (PH·PW) to each of its cells, in output order
// (overlapping windows add up; cells no window covers stay 0).
export function avg_pool_backward(dx: usize, dy: usize, B: i32, H: i32, W: i32, C: i32, PH: i32, PW: i32, SH: i32, SW: i32, OH: i32, OW: i32): void {
  const cs = <usize>C * 4;
  memory.fill(dx, 0, <usize>B * <usize>H * <usize>W * cs);
  const count = <f32>(PH * PW);
  const vcount = f32x4.splat(count);
  for (let b = 0; b < B; b++) {
    const dxb = dx + <usize>b * <usize>H * <usize>W * cs;
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        const o = ((<usize>b * <usize>OH + <usize>oy) * <usize>OW + <usize>ox) * cs;
        const corner = dxb + (<usize>(oy * SH) * <usize>W + <usize>(ox * SW)) * cs;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          const cb = <usize>c * 4;
          const g = f32x4.div(v128.load(dy + o + cb), vcount);
          for (let ky = 0; ky < PH; ky++) {
            const row = corner + <usize>ky * <usize>W * cs + cb;
            for (let kx = 0; kx < PW; kx++) {
              const p = row + <usize>kx * cs;
              v128.store(p, f32x4.add(v128.load(p), g));
            }
          }
        }
        for (; c < C; c++) {
          const cb = <usize>c * 4;
          const g = load<f32>(dy + o + cb) / count;
          for (let ky = 0; ky < PH; ky++) {
            const row = corner + <usize>ky * <usize>W * cs + cb;
            for (let kx = 0; kx < PW; kx++) {
              const p = row + <usize>kx * cs;
              store<f32>(p, load<f32>(p) + g);
            }
          }
        }
      }
    }
  }
}
