// The live progress line of `simdnet train` on a terminal (a fake TTY stream), and its absence when piped.
import { describe, expect, it } from "vitest";
import { clock, TextReporter } from "../src/cli/output.js";
import type { BatchInfo } from "../src/train/trainer.js";

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const stream = { isTTY, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, chunks };
}

const info = (over: Partial<BatchInfo>): BatchInfo => ({
  epoch: 2,
  batch: 422,
  batches: 844,
  samplesDone: 27_000,
  samplesTotal: 54_000,
  loss: 0.2,
  runningLoss: 0.1234,
  runningAccuracy: 0.9612,
  samplesPerSec: 27_000,
  size: 64,
  correct: 60,
  lr: 0.1,
  ...over,
});

describe("train progress display", () => {
  it("clock formats m:ss and h:mm:ss", () => {
    expect(clock(0)).toBe("0:00");
    expect(clock(61.4)).toBe("1:01");
    expect(clock(3725)).toBe("1:02:05");
  });

  it("on a TTY: one rewritten line with the bar, batch, loss, samples/s, the epoch's and the run's ETA", () => {
    const { stream, chunks } = sink(true);
    new TextReporter(stream, stream).batch(info({}), 5);
    expect(chunks).toHaveLength(1);
    const line = chunks[0];
    expect(line.startsWith("\r\x1b[2K")).toBe(true); // redraws in place
    expect(line).not.toContain("\n");
    expect(line).toContain("epoch 2/5 " + "█".repeat(12) + "░".repeat(12) + "  50%");
    expect(line).toContain("batch 422/844");
    expect(line).toContain("loss 0.1234");
    expect(line).toContain("acc 96.12%");
    expect(line).toContain("27,000 samples/s");
    // 27000 samples left at 27000/s: 1 s for this epoch; 3 more epochs of 54000: 6 s → 7 s for the run
    expect(line).toContain("ETA 0:01 (run 0:07)");
  });

  it("the last epoch shows no run ETA; an epoch line clears the live line first", () => {
    const { stream, chunks } = sink(true);
    const r = new TextReporter(stream, stream);
    r.batch(info({ epoch: 5 }), 5);
    expect(chunks[0]).toMatch(/ETA 0:01$/);
    r.info("done");
    expect(chunks.slice(1)).toEqual(["\r\x1b[2K", "done\n"]);
  });

  it("never wider than the terminal (a wrapped line could not be redrawn in place)", () => {
    const { stream, chunks } = sink(true);
    const r = new TextReporter(stream, stream);
    (stream as { columns?: number }).columns = 110; // the bar shrinks, everything else stays
    r.batch(info({}), 5);
    const narrow = chunks[0].replace("\r\x1b[2K", "");
    expect(narrow.length).toBe(109);
    expect(narrow).toMatch(/epoch 2\/5 █+░+  50% .* ETA 0:01 \(run 0:07\)$/);
    expect((narrow.match(/[█░]/g) ?? []).length).toBeLessThan(24);
    (stream as { columns?: number }).columns = 60; // too narrow even with an 8-cell bar: cut
    r.batch(info({ batch: 844, samplesDone: 54_000 }), 5);
    const cut = chunks[1].replace("\r\x1b[2K", "");
    expect(cut.length).toBe(59);
    expect(cut).toContain("epoch 2/5 ████████ 100%");
  });

  it("piped (not a TTY): no progress output at all", () => {
    const { stream, chunks } = sink(false);
    new TextReporter(stream, stream).batch(info({}), 5);
    expect(chunks).toEqual([]);
  });
});
