// A small line chart on a canvas: a few series over training steps, redrawn whole on each update
// (a few hundred points: cheap). No chart library needed.

export interface Series {
  label: string;
  color: string;
  points: [number, number][];
  /** Draw dots (per-epoch validation points) instead of only a line. */
  dots?: boolean;
}

export class LineChart {
  readonly series: Series[];
  private maxX = 1;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly title: string,
    series: Omit<Series, "points">[],
    /** [bottom, top, tick step] for the largest y so far. */
    private readonly yRange: (max: number) => [number, number, number],
    private readonly format: (y: number) => string,
  ) {
    this.series = series.map((s) => ({ ...s, points: [] }));
    this.draw();
  }

  reset(maxX: number): void {
    for (const s of this.series) s.points = [];
    this.maxX = Math.max(1, maxX);
    this.draw();
  }

  add(seriesIndex: number, x: number, y: number): void {
    if (!Number.isFinite(y)) return;
    this.series[seriesIndex].points.push([x, y]);
    this.maxX = Math.max(this.maxX, x);
    this.canvas.dataset.points = String(this.series.reduce((n, s) => n + s.points.length, 0));
    this.draw();
  }

  draw(): void {
    const c = this.canvas;
    const dpr = globalThis.devicePixelRatio || 1;
    const W = c.clientWidth || c.width, H = c.clientHeight || c.height;
    if (c.width !== Math.round(W * dpr)) c.width = Math.round(W * dpr);
    if (c.height !== Math.round(H * dpr)) c.height = Math.round(H * dpr);
    const g = c.getContext("2d")!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, W, H);
    const pad = { l: 44, r: 10, t: 22, b: 20 };
    const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;
    let maxY = 0;
    for (const s of this.series) for (const [, y] of s.points) maxY = Math.max(maxY, y);
    const [y0, y1, tick] = this.yRange(maxY);
    const X = (x: number) => pad.l + (x / this.maxX) * pw;
    const Y = (y: number) => pad.t + (1 - (Math.min(Math.max(y, y0), y1) - y0) / (y1 - y0)) * ph;

    g.font = "11px system-ui, sans-serif";
    g.fillStyle = "#667";
    g.strokeStyle = "#e3e5ea";
    g.lineWidth = 1;
    for (let y = y0; y <= y1 + 1e-9; y += tick) {
      g.beginPath();
      g.moveTo(pad.l, Y(y) + 0.5);
      g.lineTo(pad.l + pw, Y(y) + 0.5);
      g.stroke();
      g.textAlign = "right";
      g.fillText(this.format(y), pad.l - 6, Y(y) + 4);
    }
    g.textAlign = "left";
    g.fillStyle = "#223";
    g.font = "600 12px system-ui, sans-serif";
    g.fillText(this.title, pad.l, 14);
    let lx = pad.l + g.measureText(this.title).width + 14;
    g.font = "11px system-ui, sans-serif";
    for (const s of this.series) {
      g.fillStyle = s.color;
      g.fillRect(lx, 7, 10, 3);
      g.fillStyle = "#556";
      g.fillText(s.label, lx + 14, 13);
      lx += 14 + g.measureText(s.label).width + 12;
    }
    g.textAlign = "right";
    g.fillStyle = "#889";
    g.fillText("step", pad.l + pw, H - 5);

    for (const s of this.series) {
      if (s.points.length === 0) continue;
      g.strokeStyle = g.fillStyle = s.color;
      g.lineWidth = 1.8;
      g.beginPath();
      s.points.forEach(([x, y], i) => (i ? g.lineTo(X(x), Y(y)) : g.moveTo(X(x), Y(y))));
      g.stroke();
      if (s.dots)
        for (const [x, y] of s.points) {
          g.beginPath();
          g.arc(X(x), Y(y), 3, 0, 2 * Math.PI);
          g.fill();
        }
    }
  }
}
