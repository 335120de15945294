// Measuring helpers: wall time, medians of repeated runs, and a peak-RSS sampler. No assertions:
// the machines are shared, so the bench reports numbers and never judges them.

export const MB = 1024 * 1024;

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { ms: performance.now() - t0, value };
}

export interface Repeated {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  allMs: number[];
}

export async function repeat(runs: number, work: () => Promise<unknown> | unknown): Promise<Repeated> {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) all.push((await timed(work)).ms);
  return summarize(all);
}

export function summarize(all: number[]): Repeated {
  return { runs: all.length, medianMs: median(all), minMs: Math.min(...all), maxMs: Math.max(...all), allMs: all.map(round1) };
}

export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * Peak RSS of this process, sampled every 50 ms (the sandbox worker is a thread of this process, so
 * its WASM heap counts). A 50 ms sampler can miss a short spike, so the OS high-water mark
 * (resourceUsage().maxRSS, whole-process lifetime) is reported beside it.
 */
export class RssSampler {
  private peak = 0;
  private startRss = 0;
  private timer: NodeJS.Timeout | undefined;
  private samples = 0;

  start(): this {
    this.startRss = process.memoryUsage.rss();
    this.peak = this.startRss;
    this.timer = setInterval(() => this.sample(), 50);
    this.timer.unref();
    return this;
  }

  stop(): { startMb: number; peakMb: number; samples: number; processMaxRssMb: number } {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    return {
      startMb: Math.round(this.startRss / MB),
      peakMb: Math.round(this.peak / MB),
      samples: this.samples,
      processMaxRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
    };
  }

  private sample(): void {
    this.samples++;
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }
}
