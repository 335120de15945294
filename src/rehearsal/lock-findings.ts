// The lock-time estimate as a finding: folded by the merge step into the finding about the same
// statement's lock (a sentence and its evidence), or standing alone. It says plainly that the time is
// measured in the sandbox and scaled, at which sizes, and how far the sandbox is from a production server.
import { fingerprint } from '../finding.js';
import type { HazardFinding } from '../hazards/types.js';
import { conflicts } from '../trace/locks.js';
import { aLock, formatNumber } from '../text/grammar.js';
import type { LockMode, Severity } from '../types.js';
import { formatRange, type Estimate, type Sample } from './fit.js';
import type { LockSubject } from './lock-subjects.js';
import type { TableSize } from './sizes.js';

export const LOCK_TIME_RULE = 'lock-time-estimate';

export interface LockTimeInput {
  file: string;
  subject: LockSubject;
  /** The table whose size was varied and scaled. */
  table: string;
  size: TableSize;
  samples: readonly Sample[];
  estimate: Estimate;
  engine: { name: 'pglite' | 'postgres'; version: string };
  failOnSeconds?: number;
}

const PGLITE_DISTANCE =
  'PGlite is PostgreSQL compiled to WebAssembly, one process, all in memory, no disk: a production server reads from disk, ' +
  'shares its CPUs with live traffic and has its own settings (maintenance_work_mem, parallel workers), and may be several times slower or faster. ' +
  'Read it as an order of magnitude, not a promise.';
const SERVER_DISTANCE =
  'The sandbox server is not the production server: its hardware, cache and load differ. Read it as an order of magnitude, not a promise.';

export function lockTimeFinding(input: LockTimeInput): HazardFinding {
  const { subject, table, size, estimate } = input;
  const samples = [...input.samples].sort((a, b) => a.rows - b.rows);
  const range = formatRange(estimate.lowMs, estimate.highMs);
  // A measured time moves with the machine's load: only a range wholly at or past the limit is an error,
  // so that no run fails the check on an estimate another run would not.
  const limitMs = input.failOnSeconds === undefined ? undefined : input.failOnSeconds * 1000;
  const reached = limitMs !== undefined && estimate.lowMs >= limitMs;
  const spanned = limitMs !== undefined && !reached && estimate.highMs >= limitMs;
  const severity: Severity = reached ? 'error' : spanned ? 'warning' : 'info';
  const message =
    `Scaled from the sandbox to production size, this statement holds ${aLock(subject.mode)} on ${table} for ${range} ` +
    `(${compactCount(size.rows)} rows, from ${size.source}): ${whatWaits(subject.mode, table)}.` +
    (reached ? ` That reaches rehearsal.fail-on-lock-seconds (${input.failOnSeconds} s).` : '') +
    (spanned ? ` The range spans rehearsal.fail-on-lock-seconds (${input.failOnSeconds} s): it may reach it.` : '');
  const growth = estimate.growth === 'linear' ? 'linear growth' : 'n log n growth (a sort)';
  const other = estimate.growth === 'linear' ? 'n log n' : 'linear';
  const engine = input.engine.name === 'pglite' ? `the PGlite sandbox (${input.engine.version})` : `the sandbox server (${input.engine.version})`;
  const evidence =
    `Measured in ${engine} at ${samples.map((s) => formatNumber(s.rows)).join(', ')} rows of ${table}: ` +
    `${samples.map((s) => formatMs(s.ms)).join(', ')} (the faster of two runs each, rolled back); ` +
    `fitted ${growth}, ${formatMs(estimate.ms)} at ${formatNumber(size.rows)} rows (${other} gives ${formatMs(estimate.otherMs)}). ` +
    (subject.tables.length > 1 ? `Only ${table} was scaled; the statement also works on ${subject.tables.filter((t) => t !== table).join(', ')}. ` : '') +
    (input.engine.name === 'pglite' ? PGLITE_DISTANCE : SERVER_DISTANCE);
  return {
    rule: LOCK_TIME_RULE,
    severity,
    source: 'trace',
    file: input.file,
    line: subject.statement.line,
    endLine: subject.statement.endLine,
    message,
    evidence,
    hazard: { brief: message, object: table },
    fingerprint: fingerprint(LOCK_TIME_RULE, input.file, subject.statement.text),
  };
}

function whatWaits(mode: LockMode, table: string): string {
  const bare = table.replace(/^public\./, '');
  if (conflicts(mode, 'AccessShareLock')) return `every query on ${bare} waits, reads included`;
  return `INSERT, UPDATE and DELETE on ${bare} wait (reads go on)`;
}

/** "41M", "1.2M", "350k", "950". */
export function compactCount(n: number): string {
  const short = (v: number) => (v >= 10 ? String(Math.round(v)) : String(Math.round(v * 10) / 10).replace(/\.0$/, ''));
  if (n >= 1e9) return `${short(n / 1e9)}B`;
  if (n >= 1e6) return `${short(n / 1e6)}M`;
  if (n >= 1e4) return `${short(n / 1e3)}k`;
  return formatNumber(n);
}

function formatMs(ms: number): string {
  if (ms >= 120_000) return `${Math.round(ms / 6_000) / 10} min`;
  if (ms >= 2_000) return `${Math.round(ms / 100) / 10} s`;
  return `${ms >= 10 ? Math.round(ms) : Math.round(ms * 10) / 10} ms`;
}
