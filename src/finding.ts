import { createHash } from 'node:crypto';
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
  return createHash('sha256')
    .update(`${rule}\0${file}\0${lastNormalized}`)
    .digest('hex')
    .slice(0, 16);
}

// The collator `localeCompare` uses (the default locale's), made once: sorting a lint run's thousands of
// findings compared mostly equal file names, each time through a collator looked up for the call.
let collator: Intl.Collator | undefined;
const localeOrder = (a: string, b: string): number => (a === b ? 0 : (collator ??= new Intl.Collator()).compare(a, b));

/** Stable order for reports: file, line, severity (worst first), rule. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    localeOrder(a.file, b.file) ||
    a.line - b.line ||
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    localeOrder(a.rule, b.rule)
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
