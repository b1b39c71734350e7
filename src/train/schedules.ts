// Learning-rate schedules, evaluated per step from (epoch, fraction of the epoch done), so a
// resumed run gets the same rates. Names follow PyTorch's lr_scheduler / Keras callbacks.
import { SimdnetError } from "../errors.js";

export const SCHEDULE_NAMES = ["constant", "step", "exponential", "cosine", "plateau"] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export interface ScheduleConfig {
  name: ScheduleName;
  /** Base learning rate. */
  lr: number;
  /** Total epochs (cosine decays to minLr at the end). */
  epochs: number;
  /** Linear warm-up from ~0 to lr over this many epochs (may be fractional). */
  warmupEpochs: number;
  /** step: multiply by gamma every stepSize epochs; exponential: by gamma every epoch; plateau: by gamma when stuck. */
  gamma: number;
  stepSize: number;
  /** cosine: final rate; plateau: floor. */
  minLr: number;
  /** plateau: epochs without validation-loss improvement before decaying. */
  patience: number;
}

export class LrSchedule {
  private plateauScale = 1;
  private best = Infinity;
  private bad = 0;

  constructor(readonly c: ScheduleConfig) {
    if (!(SCHEDULE_NAMES as readonly string[]).includes(c.name))
      throw new SimdnetError(`unknown schedule "${c.name}"; expected one of ${SCHEDULE_NAMES.join(", ")}`, { field: "--schedule" });
  }

  /** The rate for a step at `progress` epochs from the start (epoch 1 begins at 0). */
  lrAt(progress: number): number {
    const c = this.c;
    let lr: number;
    switch (c.name) {
      case "step":
        lr = c.lr * Math.pow(c.gamma, Math.floor(progress / c.stepSize));
        break;
      case "exponential":
        lr = c.lr * Math.pow(c.gamma, Math.floor(progress));
        break;
      case "cosine": {
        const span = Math.max(c.epochs - c.warmupEpochs, 1e-9);
        const t = Math.min(Math.max((progress - c.warmupEpochs) / span, 0), 1);
        lr = c.minLr + 0.5 * (c.lr - c.minLr) * (1 + cosPi(t));
        break;
      }
      case "plateau":
        lr = Math.max(c.lr * this.plateauScale, c.minLr);
        break;
      default:
        lr = c.lr;
    }
    if (c.warmupEpochs > 0 && progress < c.warmupEpochs) lr *= (progress + 1e-3) / c.warmupEpochs;
    return lr;
  }

  /** Feeds the epoch's validation loss (reduce-on-plateau only). */
  epochEnd(valLoss: number | null): void {
    if (this.c.name !== "plateau" || valLoss === null) return;
    if (valLoss < this.best - 1e-4) {
      this.best = valLoss;
      this.bad = 0;
    } else if (++this.bad > this.c.patience) {
      this.plateauScale *= this.c.gamma;
      this.bad = 0;
    }
  }

  /** State for checkpoints (plateau only has any). */
  state(): { plateauScale: number; best: number; bad: number } {
    return { plateauScale: this.plateauScale, best: this.best, bad: this.bad };
  }
  restore(s: { plateauScale: number; best: number; bad: number }): void {
    this.plateauScale = s.plateauScale;
    this.best = s.best;
    this.bad = s.bad;
  }
}

export function constantSchedule(lr: number): LrSchedule {
  return new LrSchedule({ name: "constant", lr, epochs: 1, warmupEpochs: 0, gamma: 1, stepSize: 1, minLr: 0, patience: 0 });
}

/**
 * cos(π·t) for t in [0, 1] from + and × alone (Taylor series, Horner form), so every JavaScript
 * engine gets the same bits: Math.cos may differ by an ulp between engines, and a browser run
 * must replay a Node run exactly.
 */
export function cosPi(t: number): number {
  const x = Math.PI * t;
  const x2 = x * x;
  let sum = 1;
  for (let k = 15; k >= 1; k--) sum = 1 - (x2 / ((2 * k - 1) * (2 * k))) * sum;
  return sum;
}
