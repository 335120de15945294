// Which dangerous locks each statement took or kept holding, per table, across a file. A lock lasts
// until the end of its transaction, so every statement after the one that took it runs under it.
import type { LockMode, ParsedStatement, StatementObservation, StatementOutcome } from '../types.js';
import { isDangerous, strongest } from './locks.js';

export interface ObservedStep {
  outcome: StatementOutcome;
  observation: StatementObservation;
  statement?: ParsedStatement;
  /** Locks on pre-existing relations that this statement took (absent or weaker before it). */
  acquired: StatementObservation['locks'];
}

export interface TimelineEntry {
  step: ObservedStep;
  mode: LockMode;
  state: 'taken' | 'held';
}

export interface TableTimeline {
  table: string;
  entries: TimelineEntry[];
}

const RANK = new Map<LockMode, number>(
  (['AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'] as const).map((m, i) => [m, i]),
);

/**
 * Observed statements in file order, each with what it acquired. The observation carries `acquired`
 * when it came from observeStatement; otherwise it is derived from the previous statement's locks.
 */
export function observedSteps(statements: ParsedStatement[], outcomes: StatementOutcome[]): ObservedStep[] {
  const byIndex = new Map(statements.map((s) => [s.index, s]));
  const steps: ObservedStep[] = [];
  let previous: StatementObservation | undefined;
  for (const outcome of [...outcomes].sort((a, b) => a.index - b.index)) {
    const observation = outcome.observation;
    if (outcome.status !== 'ok' || !observation) continue;
    const given = (observation as { acquired?: StatementObservation['locks'] }).acquired;
    const acquired = given ?? derivedAcquired(previous, observation);
    steps.push({ outcome, observation, statement: byIndex.get(outcome.index), acquired });
    previous = observation;
  }
  return steps;
}

function derivedAcquired(previous: StatementObservation | undefined, current: StatementObservation): StatementObservation['locks'] {
  if (!previous) return current.locks;
  return current.locks.filter((lock) => {
    const before = previous.locks.filter((l) => l.relation === lock.relation).map((l) => RANK.get(l.mode)!);
    return before.length === 0 || RANK.get(lock.mode)! > Math.max(...before);
  });
}

/** The strongest dangerous mode per table in a list of locks. */
export function dangerousByTable(locks: StatementObservation['locks']): Map<string, LockMode> {
  const out = new Map<string, LockMode>();
  for (const lock of locks) {
    if (lock.kind !== 'table' || !isDangerous(lock.mode)) continue;
    out.set(lock.relation, strongest([lock.mode, ...(out.has(lock.relation) ? [out.get(lock.relation)!] : [])])!);
  }
  return out;
}

/** Per table, the statements that ran while this backend held a dangerous lock on it. */
export function lockTimelines(steps: ObservedStep[]): TableTimeline[] {
  const timelines = new Map<string, TimelineEntry[]>();
  for (const step of steps) {
    const taken = dangerousByTable(step.acquired);
    for (const [table, mode] of dangerousByTable(step.observation.locks)) {
      const entries = timelines.get(table) ?? [];
      entries.push({ step, mode, state: taken.has(table) ? 'taken' : 'held' });
      timelines.set(table, entries);
    }
  }
  return [...timelines].map(([table, entries]) => ({ table, entries }));
}

function snippet(text: string | undefined, max = 56): string {
  const flat = (text ?? '').replace(/--[^\n]*/g, ' ').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Compact text of one table's timeline, one statement per line, for a finding's evidence. */
export function renderTimeline(timeline: TableTimeline): string {
  const lines = [`lock timeline for ${timeline.table}:`];
  const width = Math.max(...timeline.entries.map((e) => String(e.step.outcome.line).length));
  for (const entry of timeline.entries) {
    const { observation } = entry.step;
    const extra: string[] = [];
    if (observation.rewrites.length) extra.push(`rewrites ${observation.rewrites.join(', ')}`);
    for (const scan of observation.scans) extra.push(`seq scan ${scan.relation} (${scan.rowsRead} rows)`);
    lines.push(
      `  line ${String(entry.step.outcome.line).padStart(width)}  ${entry.mode} ${entry.state.padEnd(5)}  ${snippet(entry.step.statement?.text)}` +
        (extra.length ? `  [${extra.join('; ')}]` : ''),
    );
  }
  lines.push('  released at COMMIT');
  return lines.join('\n');
}
