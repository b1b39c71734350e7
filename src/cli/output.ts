// What the trainer says: a live progress line on a TTY, plain lines when piped, JSON lines with --json.
import type { BatchInfo, EpochStats } from "../train/trainer.js";

export interface Reporter {
  info(message: string): void;
  batch(info: BatchInfo, epochs: number): void;
  epoch(stats: EpochStats, epochs: number): void;
  event(name: string, fields: Record<string, unknown>): void;
  warn(message: string): void;
}

const pct = (v: number | null) => (v === null || Number.isNaN(v) ? "   -  " : `${(100 * v).toFixed(2)}%`); // NaN: a regression has no accuracy
const num = (v: number | null, d = 4) => (v === null ? "-" : v.toFixed(d));

/** Seconds as m:ss (h:mm:ss past an hour). */
export function clock(seconds: number): string {
  const t = Math.max(0, Math.round(seconds));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const ss = String(t % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export function formatEpoch(s: EpochStats, epochs: number): string {
  const w = String(epochs).length;
  return (
    `epoch ${String(s.epoch).padStart(w)}/${epochs}  loss ${num(s.trainLoss)}  acc ${pct(Number.isNaN(s.valAccuracy) ? NaN : s.trainAccuracy)}` +
    `  val_loss ${num(s.valLoss)}  val_acc ${pct(s.valAccuracy)}  ${Math.round(s.samplesPerSec).toLocaleString("en-US")} samples/s  ${s.seconds.toFixed(2)}s`
  );
}

export class TextReporter implements Reporter {
  private lastDraw = 0;
  private live = false;
  constructor(private readonly out: NodeJS.WriteStream = process.stdout, private readonly err: NodeJS.WriteStream = process.stderr) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }
  private clearLive(): void {
    if (this.live) {
      this.out.write("\r\x1b[2K");
      this.live = false;
    }
  }
  info(message: string): void {
    this.clearLive();
    this.out.write(message + "\n");
  }
  warn(message: string): void {
    this.clearLive();
    this.err.write(message + "\n");
  }
  batch(b: BatchInfo, epochs: number): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && b.batch !== b.batches) return;
    this.lastDraw = now;
    const frac = b.samplesDone / b.samplesTotal;
    // ETAs from this epoch's training speed (evaluation time not included)
    const epochLeft = b.samplesPerSec > 0 ? (b.samplesTotal - b.samplesDone) / b.samplesPerSec : 0;
    const runLeft = epochLeft + (b.samplesPerSec > 0 ? (Math.max(0, epochs - b.epoch) * b.samplesTotal) / b.samplesPerSec : 0);
    const w = String(b.batches).length;
    const head = `epoch ${b.epoch}/${epochs} `;
    const tail =
      ` ${(100 * frac).toFixed(0).padStart(3)}%  batch ${String(b.batch).padStart(w)}/${b.batches}  loss ${b.runningLoss.toFixed(4)}  acc ${(100 * b.runningAccuracy).toFixed(2)}%  ` +
      `${Math.round(b.samplesPerSec).toLocaleString("en-US")} samples/s  ETA ${clock(epochLeft)}${epochs > b.epoch ? ` (run ${clock(runLeft)})` : ""}`;
    // a line wider than the terminal wraps, and \r then redraws only its last row: the bar gives
    // way first (down to 8 cells), then the line is cut
    const cols = this.out.columns || 0;
    const width = cols ? Math.max(8, Math.min(24, cols - 1 - head.length - tail.length)) : 24;
    const fill = Math.round(frac * width);
    const line = head + "█".repeat(fill) + "░".repeat(width - fill) + tail;
    this.out.write(`\r\x1b[2K${cols && line.length >= cols ? line.slice(0, cols - 1) : line}`);
    this.live = true;
  }
  epoch(s: EpochStats, epochs: number): void {
    this.info(formatEpoch(s, epochs));
  }
  event(_name: string, _fields: Record<string, unknown>): void {
    /* text mode prints its own lines */
  }
}

/** One JSON object per line on stdout; warnings become {"event":"warning"} lines too. */
export class JsonReporter implements Reporter {
  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}
  private line(obj: Record<string, unknown>): void {
    this.out.write(JSON.stringify(obj) + "\n");
  }
  info(message: string): void {
    this.line({ event: "info", message });
  }
  warn(message: string): void {
    this.line({ event: "warning", message });
  }
  batch(): void {
    /* per-batch lines would drown the consumer; epochs carry the figures */
  }
  epoch(s: EpochStats): void {
    this.line({ event: "epoch", ...s });
  }
  event(name: string, fields: Record<string, unknown>): void {
    this.line({ event: name, ...fields });
  }
}
