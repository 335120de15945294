import { hash } from 'node:crypto';
import type { Conclusion, Finding, Severity } from './types.js';

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export function severityRank(severity: Severity): number {
  return SEVERITY_RANK[severity];
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold];
}

/** Whitespace, case and comments do not change a statement's identity across pushes. */
export function normalizeStatement(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

// The statement last normalized: the rules that report on one statement fingerprint its text in turn.
let lastStatement: string | undefined;
let lastNormalized = '';

export function fingerprint(rule: string, file: string, statement: string): string {
  if (statement !== lastStatement) {
    lastNormalized = normalizeStatement(statement);
    lastStatement = statement;
  }
  return hash('sha256', `${rule}\0${file}\0${lastNormalized}`).slice(0, 16);
}

// The collator `localeCompare` uses (the default locale's), made once: sorting a lint run's thousands of
// findings compared mostly equal file names, each time through a collator looked up for the call.
let collator: Intl.Collator | undefined;
/** The order reports list files and rules in: the default locale's. */
export const localeOrder = (a: string, b: string): number => (a === b ? 0 : (collator ??= new Intl.Collator()).compare(a, b));

/** Stable order for reports: file, line, severity (worst first), rule. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    localeOrder(a.file, b.file) ||
    a.line - b.line ||
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    localeOrder(a.rule, b.rule)
  );
}

/** Rank of each string in `localeOrder`; strings the collator holds equal share a rank. */
function localeRanks(strings: Iterable<string>): Map<string, number> {
  const sorted = [...new Set(strings)].sort(localeOrder);
  const ranks = new Map<string, number>();
  sorted.forEach((s, i) => ranks.set(s, i > 0 && localeOrder(sorted[i - 1]!, s) === 0 ? ranks.get(sorted[i - 1]!)! : i));
  return ranks;
}

/**
 * `findings` sorted in place by `compareFindings`, in the same order: the collator compares each
 * distinct file name and rule id a few times to rank them, instead of at every one of a large run's
 * tens of thousands of comparisons.
 */
export function sortFindings<T extends Finding>(findings: T[]): T[] {
  if (findings.length < 64) return findings.sort(compareFindings);
  const files = localeRanks(findings.map((f) => f.file));
  const rules = localeRanks(findings.map((f) => f.rule));
  return findings.sort(
    (a, b) =>
      files.get(a.file)! - files.get(b.file)! ||
      a.line - b.line ||
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      rules.get(a.rule)! - rules.get(b.rule)!,
  );
}

/**
 * The conclusion of a set of findings: failure at or above `failOn`, neutral with any warning or error
 * left or any new migration not reviewed (`notReviewed`: no verdict without a review).
 */
export function conclude(findings: readonly Finding[], failOn: Severity | 'none', notReviewed = 0): Conclusion {
  if (failOn !== 'none' && findings.some((f) => atLeast(f.severity, failOn))) return 'failure';
  if (findings.some((f) => f.severity !== 'info') || notReviewed > 0) return 'neutral';
  return 'success';
}
