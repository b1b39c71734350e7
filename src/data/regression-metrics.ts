// Regression metrics in the targets' own units: RMSE, MAE and R² (1 − SSE/SST, SST about the
// mean of the true values), per target and over all targets (R²: the mean of the per-target R²).
export interface TargetMetrics {
  name: string;
  rmse: number;
  mae: number;
  r2: number;
}

export interface RegressionMetrics {
  count: number;
  rmse: number;
  mae: number;
  r2: number;
  targets: TargetMetrics[];
}

/** predicted, truth: (n, T) row-major, original units. */
export function regressionMetrics(predicted: ArrayLike<number>, truth: ArrayLike<number>, names: string[]): RegressionMetrics {
  const T = names.length;
  const n = truth.length / T;
  const targets: TargetMetrics[] = names.map((name, j) => {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += truth[i * T + j];
    mean /= n;
    let sse = 0, sst = 0, sae = 0;
    for (let i = 0; i < n; i++) {
      const d = predicted[i * T + j] - truth[i * T + j];
      sse += d * d;
      sae += Math.abs(d);
      sst += (truth[i * T + j] - mean) ** 2;
    }
    return { name, rmse: Math.sqrt(sse / n), mae: sae / n, r2: sst > 0 ? 1 - sse / sst : sse === 0 ? 1 : 0 };
  });
  const avg = (f: (t: TargetMetrics) => number) => targets.reduce((s, t) => s + f(t), 0) / T;
  return { count: n, rmse: Math.sqrt(avg((t) => t.rmse * t.rmse)), mae: avg((t) => t.mae), r2: avg((t) => t.r2), targets };
}
