// The fitting math on given samples: deterministic, whatever the machine's speed. The timing check
// itself (real statements, 10× the largest size) is in the bench: `npm run bench:rehearsal`.
import { describe, expect, it } from 'vitest';
import { estimateAt, fitGrowth, formatRange, predict, type Sample } from '../../src/rehearsal/fit.js';

const linear = (fixed: number, perRow: number) => (rows: number) => fixed + perRow * rows;
const nLogN = (fixed: number, per: number) => (rows: number) => fixed + per * rows * Math.log2(rows);
const samplesOf = (f: (rows: number) => number, sizes: number[], noise: number[] = []): Sample[] =>
  sizes.map((rows, i) => ({ rows, ms: f(rows) * (1 + (noise[i] ?? 0)) }));

describe('fitGrowth', () => {
  it('recovers a linear cost with a fixed part exactly', () => {
    const fit = fitGrowth(samplesOf(linear(12, 0.004), [20_000, 40_000, 80_000]), 'linear');
    expect(fit.fixedMs).toBeCloseTo(12, 6);
    expect(fit.perUnitMs).toBeCloseTo(0.004, 9);
    expect(fit.residual).toBeCloseTo(0, 9);
  });

  it('recovers an n log n cost exactly', () => {
    const fit = fitGrowth(samplesOf(nLogN(5, 0.0002), [10_000, 20_000, 40_000]), 'n-log-n');
    expect(fit.fixedMs).toBeCloseTo(5, 6);
    expect(fit.perUnitMs).toBeCloseTo(0.0002, 10);
  });

  it('refits through the origin when noise makes the fixed part negative', () => {
    const fit = fitGrowth([{ rows: 1000, ms: 9 }, { rows: 2000, ms: 21 }, { rows: 4000, ms: 41 }], 'linear');
    expect(fit.fixedMs).toBe(0);
    expect(fit.perUnitMs).toBeGreaterThan(0);
    expect(predict(fit, 4000)).toBeCloseTo(41, 0);
  });

  it('keeps a constant when the time does not grow', () => {
    const fit = fitGrowth([{ rows: 1000, ms: 5 }, { rows: 2000, ms: 5 }, { rows: 4000, ms: 4 }], 'linear');
    expect(fit).toMatchObject({ perUnitMs: 0 });
    expect(predict(fit, 1e9)).toBeCloseTo(14 / 3, 6);
  });
});

describe('estimateAt: 10× past the largest measured size', () => {
  // A table rewrite (linear) and an index build (n log n), each sampled at three sizes with ±15% noise
  // (a loaded machine), estimated at 10× the largest size: within 2× of the true time, and the stated
  // range holds it.
  const cases = [
    { name: 'a table rewrite', truth: linear(30, 0.008), growth: 'linear' as const },
    { name: 'an index build', truth: nLogN(10, 0.00035), growth: 'n-log-n' as const },
  ];
  for (const { name, truth, growth } of cases) {
    for (const noise of [[0, 0, 0], [0.15, -0.15, 0.15], [-0.15, 0.15, -0.15], [0.15, 0.15, -0.15]]) {
      it(`${name}, noise ${noise.join('/')}`, () => {
        const sizes = [20_000, 40_000, 80_000];
        const estimate = estimateAt(samplesOf(truth, sizes, noise), 800_000, growth);
        const actual = truth(800_000);
        expect(estimate.ms / actual).toBeGreaterThan(0.5);
        expect(estimate.ms / actual).toBeLessThan(2);
        expect(estimate.lowMs).toBeLessThanOrEqual(actual);
        expect(estimate.highMs).toBeGreaterThanOrEqual(actual);
      });
    }
  }

  // Samples and times at 10x measured by `npm run bench:rehearsal` (PGlite 0.5.16, the 2-core development
  // machine at load ~20, after files grew in place): the method on this machine's real growth, fixed here.
  const measured = [
    { name: 'an index build', growth: 'n-log-n' as const, samples: [[50_000, 59.3], [100_000, 98.1], [200_000, 250.6]], at10x: 3292 },
    { name: 'an index build (2)', growth: 'n-log-n' as const, samples: [[50_000, 48.1], [100_000, 98.0], [200_000, 218.7]], at10x: 3552 },
    { name: 'a table rewrite', growth: 'linear' as const, samples: [[50_000, 79.0], [100_000, 247.7], [200_000, 465.6]], at10x: 6232 },
    { name: 'a table rewrite (2)', growth: 'linear' as const, samples: [[50_000, 76.4], [100_000, 328.3], [200_000, 508.4]], at10x: 6365 },
  ];
  for (const { name, growth, samples, at10x } of measured) {
    it(`${name} measured in PGlite: within 2x of its time at 2M rows`, () => {
      const estimate = estimateAt(samples.map(([rows, ms]) => ({ rows: rows!, ms: ms! })), 2_000_000, growth);
      expect(estimate.ms / at10x).toBeGreaterThan(0.5);
      expect(estimate.ms / at10x).toBeLessThan(2);
    });
  }

  it('spans both models: a linear estimate is low against n log n, the range says so', () => {
    const samples = samplesOf(linear(0, 0.01), [20_000, 40_000, 80_000]);
    const estimate = estimateAt(samples, 41_000_000, 'linear');
    expect(estimate.ms).toBeCloseTo(410_000, -2);
    expect(estimate.otherMs).toBeGreaterThan(estimate.ms);
    expect(estimate.highMs).toBeGreaterThan(estimate.otherMs);
    expect(estimate.lowMs).toBeLessThan(estimate.ms);
  });
});

describe('formatRange', () => {
  it('says a range in one unit with few digits', () => {
    expect(formatRange(180_000, 360_000)).toBe('≈ 3–6 min');
    expect(formatRange(41_000, 93_000)).toBe('≈ 41–93 s');
    expect(formatRange(1_500, 3_000)).toBe('≈ 1.5–3 s');
    expect(formatRange(120, 250)).toBe('≈ 120–250 ms');
    expect(formatRange(3.3e6, 9e6)).toBe('≈ 0.92–2.5 h');
    expect(formatRange(0.4, 0.4)).toBe('≈ 0.4 ms');
  });
});
