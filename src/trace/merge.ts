// Static rules suspect, the trace observes. When both describe the same hazard on the same statement,
// one finding remains: the lint rule's id (teams know squawk's names), message, severity and fix, with
// the observed facts as evidence. When the statement was observed and the suspected hazard did not
// happen, the lint finding drops to 'info' and says what was observed.
import type { Finding } from '../types.js';

export interface MergeRule {
  /** The static (squawk) rule id. */
  lint: string;
  /** Trace findings that observe the same hazard: merged into the lint finding. */
  confirmedBy: readonly string[];
  /**
   * Set when observation can clear the suspicion: the statement was observed (one of `refutedBy` on it)
   * and no confirming finding exists. Says what was seen instead.
   */
  refuted?: { by: readonly string[]; observed: string };
  /** 'file' when the lint rule speaks for the whole file (its line is only where it points). */
  scope?: 'statement' | 'file';
}

const LOCK_ONLY = ['lock-access-exclusive', 'lock-blocks-writes'] as const;

/**
 * | lint rule                                    | same hazard in the trace                     | observation clears it when…                                  |
 * |----------------------------------------------|----------------------------------------------|--------------------------------------------------------------|
 * | require-concurrent-index-creation            | full-table-scan, lock-blocks-writes           | —                                                            |
 * | require-concurrent-index-deletion            | lock-access-exclusive                        | —                                                            |
 * | ban-concurrent-index-creation-in-transaction | —                                            | —                                                            |
 * | adding-not-nullable-field                    | full-table-scan, table-rewrite               | only a lock, no scan (a validated CHECK proves NOT NULL)     |
 * | adding-field-with-default                    | table-rewrite                                | only a lock, no rewrite (default stored in the catalog)      |
 * | adding-foreign-key-constraint                | full-table-scan, lock-blocks-writes           | —                                                            |
 * | constraint-missing-not-valid                 | full-table-scan                              | only a lock, no scan                                         |
 * | changing-column-type                         | table-rewrite, full-table-scan               | only a lock, no rewrite (binary-coercible change)            |
 * | renaming-column, renaming-table              | lock-access-exclusive                        | —                                                            |
 * | ban-drop-column, ban-drop-table              | lock-access-exclusive                        | —                                                            |
 * | disallowed-unique-constraint                 | full-table-scan, lock-access-exclusive       | —                                                            |
 * | require-timeout-settings (whole file)        | missing-lock-timeout                         | a blocking lock observed with lock_timeout set               |
 * | prefer-* rules                               | —                                            | —                                                            |
 */
export const MERGE_TABLE: readonly MergeRule[] = [
  { lint: 'require-concurrent-index-creation', confirmedBy: ['full-table-scan', 'lock-blocks-writes'] },
  { lint: 'require-concurrent-index-deletion', confirmedBy: ['lock-access-exclusive'] },
  {
    lint: 'adding-not-nullable-field',
    confirmedBy: ['full-table-scan', 'table-rewrite'],
    refuted: { by: LOCK_ONLY, observed: 'no scan of the table (a validated CHECK … IS NOT NULL already proves it), so the lock is brief' },
  },
  {
    lint: 'adding-field-with-default',
    confirmedBy: ['table-rewrite'],
    refuted: { by: LOCK_ONLY, observed: 'no rewrite (the default is evaluated once and stored in the catalog), so the lock is brief' },
  },
  { lint: 'adding-foreign-key-constraint', confirmedBy: ['full-table-scan', 'lock-blocks-writes'] },
  {
    lint: 'constraint-missing-not-valid',
    confirmedBy: ['full-table-scan'],
    refuted: { by: LOCK_ONLY, observed: 'no scan of the table, so the lock is brief' },
  },
  {
    lint: 'changing-column-type',
    confirmedBy: ['table-rewrite', 'full-table-scan'],
    refuted: { by: LOCK_ONLY, observed: 'no rewrite and no scan (a binary-coercible change), so the lock is brief' },
  },
  { lint: 'renaming-column', confirmedBy: ['lock-access-exclusive'] },
  { lint: 'renaming-table', confirmedBy: ['lock-access-exclusive'] },
  { lint: 'ban-drop-column', confirmedBy: ['lock-access-exclusive'] },
  { lint: 'ban-drop-table', confirmedBy: ['lock-access-exclusive'] },
  { lint: 'disallowed-unique-constraint', confirmedBy: ['full-table-scan', 'lock-access-exclusive'] },
  {
    lint: 'require-timeout-settings',
    confirmedBy: ['missing-lock-timeout'],
    scope: 'file',
    refuted: { by: [...LOCK_ONLY, 'table-rewrite', 'full-table-scan'], observed: 'blocking locks were taken with a lock_timeout in effect' },
  },
];

const BY_LINT = new Map(MERGE_TABLE.map((rule) => [rule.lint, rule]));

function sameStatement(a: Finding, b: Finding): boolean {
  return a.file === b.file && a.line <= b.endLine && b.line <= a.endLine;
}

function joinEvidence(...parts: (string | undefined)[]): string | undefined {
  const kept = parts.filter((p): p is string => Boolean(p && p.trim()));
  return kept.length ? kept.join('\n') : undefined;
}

export function mergeFindings(staticFindings: Finding[], traceFindings: Finding[]): Finding[] {
  const consumed = new Set<Finding>();
  const out: Finding[] = [];
  for (const lint of staticFindings) {
    const rule = BY_LINT.get(lint.rule);
    if (!rule) {
      out.push(lint);
      continue;
    }
    const near = traceFindings.filter((t) => (rule.scope === 'file' ? t.file === lint.file : sameStatement(lint, t)));
    const confirming = near.filter((t) => rule.confirmedBy.includes(t.rule));
    if (confirming.length) {
      confirming.forEach((t) => consumed.add(t));
      out.push({
        ...lint,
        evidence: joinEvidence(lint.evidence, ...confirming.map((t) => `observed in the sandbox (${t.rule}): ${t.message}\n${t.evidence ?? ''}`.trim())),
        ...(lint.fix || !confirming[0]!.fix ? {} : { fix: confirming[0]!.fix }),
      });
      continue;
    }
    const refuting = rule.refuted ? near.filter((t) => rule.refuted!.by.includes(t.rule)) : [];
    if (rule.refuted && refuting.length) {
      // A file-wide rule is only cleared when no trace finding of the file confirms it (checked above).
      if (rule.scope !== 'file') refuting.forEach((t) => consumed.add(t));
      out.push({
        ...lint,
        severity: 'info',
        message: `${lint.message} Observed in the sandbox: ${rule.refuted.observed}.`,
        evidence: joinEvidence(lint.evidence, ...refuting.map((t) => `observed in the sandbox: ${t.evidence ?? t.message}`)),
      });
      continue;
    }
    out.push(lint);
  }
  for (const t of traceFindings) if (!consumed.has(t)) out.push(t);
  return out;
}

