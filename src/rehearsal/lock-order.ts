// The order the lock-time rehearsal times its statements in. Its budget can end before the last one, so
// the statements whose estimate matters most go first and what the budget cuts is the least important:
// the strongest lock (ACCESS EXCLUSIVE stops reads too), then a rewrite before a scan or an index build
// (it writes every row again), then the biggest table in production, then the order of the files.
import type { LockMode } from '../types.js';
import { LOCK_MODES } from '../trace/locks.js';

export interface LockRank {
  mode: LockMode;
  /** Whether the statement rewrites the table it is timed on. */
  rewrites: boolean;
  /** The production row count of the table it is timed on. */
  productionRows: number;
  /** Its place in the review: files in order, statements in order within each. */
  file: number;
  at: number;
}

const STRENGTH = new Map(LOCK_MODES.map((mode, i) => [mode, i]));

export function byImportance(a: LockRank, b: LockRank): number {
  return (
    STRENGTH.get(b.mode)! - STRENGTH.get(a.mode)! ||
    Number(b.rewrites) - Number(a.rewrites) ||
    b.productionRows - a.productionRows ||
    a.file - b.file ||
    a.at - b.at
  );
}

/** The same items, most important first (a new array). */
export function mostImportantFirst<T>(items: readonly T[], rank: (item: T) => LockRank): T[] {
  return [...items].sort((a, b) => byImportance(rank(a), rank(b)));
}

/** Back to the review's own order (files in order, statements in order): how findings and notes are said. */
export function inReviewOrder<T>(items: readonly T[], rank: (item: T) => LockRank): T[] {
  return [...items].sort((a, b) => rank(a).file - rank(b).file || rank(a).at - rank(b).at);
}

export interface TimingBudget {
  /** The clock the budget is counted on (performance.now() in a review). */
  now(): number;
  /** When the budget ends, on that clock. */
  ends: number;
  /** Whether the budget has been reached (the rehearsal's signal, aborted by its timer or the review's stop). */
  reached(): boolean;
}

export interface Timed<T, R> {
  item: T;
  /** Undefined when the budget was reached before the item's turn. */
  result?: R;
}

/**
 * Times the items most important first, each given an equal share of what is left of the budget for
 * those still to time (as a deadline on the budget's clock); the answer is in the review's order.
 */
export async function timeInOrder<T, R>(
  items: readonly T[],
  rank: (item: T) => LockRank,
  budget: TimingBudget,
  measure: (item: T, deadline: number) => Promise<R>,
): Promise<Timed<T, R>[]> {
  const results = new Map<T, R>();
  const ordered = mostImportantFirst(items, rank);
  for (const [n, item] of ordered.entries()) {
    if (budget.reached()) break;
    const share = (budget.ends - budget.now()) / (ordered.length - n);
    results.set(item, await measure(item, budget.now() + share));
  }
  return inReviewOrder(items, rank).map((item) => (results.has(item) ? { item, result: results.get(item)! } : { item }));
}
