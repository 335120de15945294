// How a statement's time grows with its table: measured at two or three sizes, fitted as
// t = fixed + perUnit · f(n) with f linear (a rewrite, a scan) or n·log n (a sort: an index build),
// and extrapolated to the production size. The other model and the fit's residuals give the range,
// so the estimate says how unsure it is.

export type Growth = 'linear' | 'n-log-n';

export interface Sample {
  rows: number;
  ms: number;
}

export interface Fit {
  growth: Growth;
  fixedMs: number;
  perUnitMs: number;
  /** Largest relative distance of a sample from the fitted curve. */
  residual: number;
}

export interface Estimate {
  /** The primary model's prediction. */
  ms: number;
  lowMs: number;
  highMs: number;
  growth: Growth;
  /** What the other model predicts (the range includes it). */
  otherMs: number;
}

/** The least relative spread a range states: timing in a shared sandbox is not more precise. */
const MIN_SPREAD = 0.25;

function unit(growth: Growth, rows: number): number {
  const n = Math.max(1, rows);
  return growth === 'linear' ? n : n * Math.log2(Math.max(2, n));
}

/**
 * Least squares of t = a + b·f(n) with a, b ≥ 0. A negative intercept (noise on a small fixed cost)
 * refits through the origin; a negative slope (no growth measurable) keeps the mean as a fixed cost.
 */
export function fitGrowth(samples: readonly Sample[], growth: Growth): Fit {
  if (samples.length === 0) throw new Error('fitGrowth needs at least one sample');
  const xs = samples.map((s) => unit(growth, s.rows));
  const ys = samples.map((s) => s.ms);
  const n = samples.length;
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const mx = mean(xs);
  const my = mean(ys);
  const sxx = xs.reduce((acc, x) => acc + (x - mx) ** 2, 0);
  const sxy = xs.reduce((acc, x, i) => acc + (x - mx) * (ys[i]! - my), 0);
  let perUnitMs = n > 1 && sxx > 0 ? sxy / sxx : 0;
  let fixedMs = my - perUnitMs * mx;
  if (perUnitMs <= 0) {
    perUnitMs = 0;
    fixedMs = my;
  } else if (fixedMs < 0) {
    fixedMs = 0;
    perUnitMs = xs.reduce((acc, x, i) => acc + x * ys[i]!, 0) / xs.reduce((acc, x) => acc + x * x, 0);
  }
  const fit = { growth, fixedMs, perUnitMs, residual: 0 };
  fit.residual = Math.max(...samples.map((s) => Math.abs(predict(fit, s.rows) - s.ms) / Math.max(s.ms, 1e-9)));
  return fit;
}

export function predict(fit: Pick<Fit, 'growth' | 'fixedMs' | 'perUnitMs'>, rows: number): number {
  return fit.fixedMs + fit.perUnitMs * unit(fit.growth, rows);
}

/**
 * The estimate at `rows`: the primary model's value, within a range that holds the other model and the
 * lines through each pair of neighbouring samples. How far those disagree is how far the measurements
 * disagree, which is what extrapolating far past them can honestly claim; never tighter than ±25%.
 */
export function estimateAt(samples: readonly Sample[], rows: number, growth: Growth): Estimate {
  const primary = fitGrowth(samples, growth);
  const other = fitGrowth(samples, growth === 'linear' ? 'n-log-n' : 'linear');
  const ms = predict(primary, rows);
  const otherMs = predict(other, rows);
  const sorted = [...samples].sort((a, b) => a.rows - b.rows);
  const pairs = sorted.slice(1).map((s, i) => predict(fitGrowth([sorted[i]!, s], growth), rows));
  const candidates = [ms, otherMs, ...pairs, powerLaw(sorted, rows)].filter((v): v is number => v !== undefined && Number.isFinite(v) && v > 0);
  return {
    ms,
    otherMs,
    growth,
    lowMs: Math.min(...candidates) / (1 + MIN_SPREAD),
    highMs: Math.max(...candidates) * (1 + MIN_SPREAD),
  };
}

/**
 * t = c·n^k fitted in log-log space: when the samples already grow faster than n log n (the per-row cost
 * rising as the table outgrows a cache or a buffer ring), this is the model that says so. Only widens
 * the range; undefined when the samples do not grow.
 */
function powerLaw(samples: readonly Sample[], rows: number): number | undefined {
  const points = samples.filter((s) => s.rows > 0 && s.ms > 0).map((s) => [Math.log(s.rows), Math.log(s.ms)] as const);
  if (points.length < 2) return undefined;
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  const k = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx;
  if (k <= 0) return undefined;
  return Math.exp(my + k * (Math.log(rows) - mx));
}

/** "≈ 3–6 min", "≈ 40–90 s", "≈ 120–250 ms": two significant figures at most, one unit. */
export function formatRange(lowMs: number, highMs: number): string {
  const unitOf = (ms: number): [number, string] =>
    ms >= 2 * 3_600_000 ? [3_600_000, 'h'] : ms >= 2 * 60_000 ? [60_000, 'min'] : ms >= 2_000 ? [1_000, 's'] : [1, 'ms'];
  const [scale, name] = unitOf(highMs);
  const round = (value: number) => {
    const v = value / scale;
    if (v >= 10) return String(Math.round(v));
    if (v >= 1) return String(Math.round(v * 10) / 10).replace(/\.0$/, '');
    return String(Math.round(v * 100) / 100);
  };
  const low = round(lowMs);
  const high = round(highMs);
  return low === high ? `≈ ${low} ${name}` : `≈ ${low}–${high} ${name}`;
}
