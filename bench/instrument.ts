// Where a sandbox run spends its time: wraps the engine methods the runner calls on one sandbox
// instance (the runner calls them through `this.engine`, so wrapping the instance sees every call).
import type { Sandbox, SandboxOptions } from '../src/sandbox/index.js';
import { median, round1 } from './measure.js';

type Category = 'statement' | 'traceCapture' | 'traceTypeNames' | 'bookkeeping' | 'healthCheck' | 'otherQuery' | 'script';

export interface Breakdown {
  /** Milliseconds and calls per category; `unaccounted` is JS in the runner and the diffing. */
  ms: Record<string, number>;
  calls: Record<string, number>;
  /** Trace capture query time early vs late: it reads the whole catalog, which grows with the history. */
  captureMedianMs?: { first50: number; last50: number; captures: number; byDecile: number[] };
}

export function instrument(sandbox: Sandbox): { report(totalMs?: number): Breakdown; captureSql(): string | undefined } {
  const target = sandbox as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const ms: Record<string, number> = {};
  const calls: Record<string, number> = {};
  const captures: number[] = [];
  let captureText: string | undefined;
  const add = (category: Category, elapsed: number) => {
    ms[category] = (ms[category] ?? 0) + elapsed;
    calls[category] = (calls[category] ?? 0) + 1;
  };
  const wrap = (method: string, categorize: (args: unknown[]) => Category) => {
    const original = target[method];
    if (typeof original !== 'function') return;
    target[method] = async (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return await original.apply(sandbox, args);
      } finally {
        const elapsed = performance.now() - t0;
        const category = categorize(args);
        add(category, elapsed);
        if (category === 'traceCapture') captures.push(elapsed);
      }
    };
  };
  wrap('query', ([sql]) => {
    const text = String(sql);
    if (/^\s*with rels as/.test(text)) {
      captureText ??= text;
      return 'traceCapture';
    }
    if (text.includes('format_type(v.typeid')) return 'traceTypeNames';
    return 'otherQuery';
  });
  wrap('runStatement', () => 'statement');
  wrap('runScript', () => 'script');
  wrap('execWithin', () => 'bookkeeping');
  wrap('healthCheck', () => 'healthCheck');
  return {
    captureSql: () => captureText,
    report(totalMs) {
      const accounted = Object.values(ms).reduce((a, b) => a + b, 0);
      const rounded = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, round1(v)]));
      return {
        ms: totalMs === undefined ? rounded : { ...rounded, unaccounted: round1(totalMs - accounted) },
        calls,
        ...(captures.length > 0
          ? {
              captureMedianMs: {
                first50: round1(median(captures.slice(0, 50))),
                last50: round1(median(captures.slice(-50))),
                captures: captures.length,
                byDecile: deciles(captures).map((d) => round1(median(d))),
              },
            }
          : {}),
      };
    },
  };
}

function deciles<T>(values: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < 10; i++) out.push(values.slice(Math.floor((i * values.length) / 10), Math.floor(((i + 1) * values.length) / 10)));
  return out;
}

/** Total time in whole sandbox operations (replay, snapshot…), kept apart from the per-call categories. */
export function timeMethods(sandbox: Sandbox, methods: readonly string[]): Record<string, number> {
  const target = sandbox as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const ms: Record<string, number> = {};
  for (const method of methods) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    target[method] = async (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return await original.apply(sandbox, args);
      } finally {
        ms[method] = round1((ms[method] ?? 0) + performance.now() - t0);
      }
    };
  }
  return ms;
}

/** A sandbox factory for review() that records, per sandbox it opens, the start time and a breakdown. */
export function instrumentedFactory(open: (options: SandboxOptions) => Promise<Sandbox>) {
  const opened: { startMs: number; tarballBytes?: number; methods: Record<string, number>; probe: ReturnType<typeof instrument> }[] = [];
  const factory = async (options: SandboxOptions): Promise<Sandbox> => {
    const t0 = performance.now();
    const sandbox = await open(options);
    const startMs = round1(performance.now() - t0);
    const methods = timeMethods(sandbox, ['replay', 'apply', 'snapshot', 'catalog']);
    opened.push({ startMs, ...(options.tarball ? { tarballBytes: options.tarball.byteLength } : {}), methods, probe: instrument(sandbox) });
    return sandbox;
  };
  return {
    factory,
    /** One entry per sandbox opened, in order; the breakdown covers every call during its life. */
    report: () =>
      opened.map((o) => ({
        startMs: o.startMs,
        ...(o.tarballBytes !== undefined ? { tarballBytes: o.tarballBytes } : {}),
        methodsMs: o.methods,
        breakdown: o.probe.report(),
      })),
  };
}
