// Which findings describe the same hazard. Static rules suspect, the trace observes, EXPLAIN measures and
// the apply fails: when several stages see one hazard, the rule named `keep` speaks for it (teams know
// squawk's names) and the others become its evidence.
//
// | keep (statement scope)              | the same hazard observed as                 | observation clears it when…                         | apply errors it predicts (SQLSTATE)  |
// |-------------------------------------|---------------------------------------------|-----------------------------------------------------|--------------------------------------|
// | require-concurrent-index-creation   | full-table-scan, lock-blocks-writes         | —                                                   | 23505 (a unique index on duplicates) |
// | require-concurrent-index-deletion   | lock-access-exclusive                       | —                                                   | —                                    |
// | adding-not-nullable-field           | full-table-scan, table-rewrite              | only a lock, no scan (a validated CHECK proves it)  | 23502                                |
// | adding-required-field               | full-table-scan, table-rewrite              | —                                                   | 23502                                |
// | adding-field-with-default           | table-rewrite                               | only a lock, no rewrite (default in the catalog)    | —                                    |
// | adding-foreign-key-constraint       | full-table-scan, lock-blocks-writes         | —                                                   | 23503                                |
// | constraint-missing-not-valid        | full-table-scan                             | only a lock, no scan                                | 23514, 23503                         |
// | changing-column-type                | table-rewrite, full-table-scan              | only a lock, no rewrite (binary-coercible change)   | 22P02, 22003, 22001, 22007, 22008, 42804 |
// | renaming-column, renaming-table     | lock-access-exclusive                       | —                                                   | —                                    |
// | ban-drop-column, ban-drop-table     | lock-access-exclusive                       | —                                                   | —                                    |
// | disallowed-unique-constraint        | full-table-scan, lock-access-exclusive      | —                                                   | 23505                                |
// | foreign-key-without-index           | fk-path-seq-scan (EXPLAIN of the FK check)  | —                                                   | —                                    |
// | prefer-robust-stmts                 | retry-fails (the retry rehearsal)           | —                                                   | —                                    |
// | concurrent-index-if-not-exists      | retry-invalid-index (the retry rehearsal)   | —                                                   | —                                    |
// | adding-serial-primary-key-field     | full-table-scan, lock-access-exclusive      | —                                                   | 23502, 23505                         |
// | backfill-in-one-statement (EXPLAIN) | unbounded-data-change (the static rule)     | —                                                   | —                                    |
//
// File scope: require-timeout-settings (or, without it, the trace's missing-lock-timeout) is one finding
// per file; the trace's missing-lock-timeout confirms it, blocking locks taken with a lock_timeout in
// effect clear it.
// Lock windows: lock-held-across-statements speaks for statement-after-access-exclusive-lock on any
// statement of its window.
// Folding: a lock window, the file's lock_timeout advice, and the lock time estimated at production size,
// that sit on a statement which already has an error or warning become a sentence of that finding (the
// same lock, one comment).

import { ruleById } from '../rules/index.js';

export interface StatementRelation {
  keep: string;
  /** Findings of other stages that observe the same hazard on the same statement. */
  confirmedBy: readonly string[];
  /** The statement was observed (one of `by` on it) and no confirming finding exists: what was seen instead. */
  refuted?: { by: readonly string[]; observed: string };
  /** SQLSTATEs of apply errors that the rule predicts: the failure merges into the rule's finding. */
  predicts?: readonly string[];
}

const LOCK_ONLY = ['lock-access-exclusive', 'lock-blocks-writes'] as const;

export const STATEMENT_RELATIONS: readonly StatementRelation[] = [
  { keep: 'require-concurrent-index-creation', confirmedBy: ['full-table-scan', 'lock-blocks-writes'], predicts: ['23505'] },
  { keep: 'require-concurrent-index-deletion', confirmedBy: ['lock-access-exclusive'] },
  {
    keep: 'adding-not-nullable-field',
    confirmedBy: ['full-table-scan', 'table-rewrite'],
    refuted: { by: LOCK_ONLY, observed: 'no scan of the table (a validated CHECK … IS NOT NULL already proves it), so the lock is brief' },
    predicts: ['23502'],
  },
  { keep: 'adding-required-field', confirmedBy: ['full-table-scan', 'table-rewrite'], predicts: ['23502'] },
  {
    keep: 'adding-field-with-default',
    confirmedBy: ['table-rewrite'],
    refuted: { by: LOCK_ONLY, observed: 'no rewrite (the default is evaluated once and stored in the catalog), so the lock is brief' },
  },
  { keep: 'adding-foreign-key-constraint', confirmedBy: ['full-table-scan', 'lock-blocks-writes'], predicts: ['23503'] },
  {
    keep: 'constraint-missing-not-valid',
    confirmedBy: ['full-table-scan'],
    refuted: { by: LOCK_ONLY, observed: 'no scan of the table, so the lock is brief' },
    predicts: ['23514', '23503'],
  },
  {
    keep: 'changing-column-type',
    confirmedBy: ['table-rewrite', 'full-table-scan'],
    refuted: { by: LOCK_ONLY, observed: 'no rewrite and no scan (a binary-coercible change), so the lock is brief' },
    predicts: ['22P02', '22003', '22001', '22007', '22008', '42804'],
  },
  { keep: 'renaming-column', confirmedBy: ['lock-access-exclusive'] },
  { keep: 'renaming-table', confirmedBy: ['lock-access-exclusive'] },
  { keep: 'ban-drop-column', confirmedBy: ['lock-access-exclusive'] },
  { keep: 'ban-drop-table', confirmedBy: ['lock-access-exclusive'] },
  { keep: 'disallowed-unique-constraint', confirmedBy: ['full-table-scan', 'lock-access-exclusive'], predicts: ['23505'] },
  { keep: 'foreign-key-without-index', confirmedBy: ['fk-path-seq-scan'] },
  { keep: 'prefer-robust-stmts', confirmedBy: ['retry-fails'] },
  // The rehearsal watched the retry keep the INVALID index the rule predicts for IF NOT EXISTS: one hazard.
  { keep: 'concurrent-index-if-not-exists', confirmedBy: ['retry-invalid-index'] },
  { keep: 'adding-serial-primary-key-field', confirmedBy: ['full-table-scan', 'lock-access-exclusive'], predicts: ['23502', '23505'] },
  // EXPLAIN measured the whole-table change and writes the batched rewrite: it speaks for the hazard, and the
  // static suspicion (which also stands alone when the statement could not be planned) becomes its evidence.
  { keep: 'backfill-in-one-statement', confirmedBy: ['unbounded-data-change'] },
];

/** File-level advice to set lock_timeout: the static rule, and the trace's observation of the same. */
export const TIMEOUT_ADVICE = { lint: 'require-timeout-settings', trace: 'missing-lock-timeout' } as const;

/** Trace findings that show blocking locks: with lock_timeout set, they clear the timeout advice. */
export const BLOCKING_OBSERVED = [...LOCK_ONLY, 'table-rewrite', 'full-table-scan'] as const;
export const LOCK_ONLY_RULES: readonly string[] = LOCK_ONLY;

/** The rehearsal's estimate of a lock's time at production size (src/rehearsal/lock-findings.ts). */
export const LOCK_TIME_ESTIMATE = 'lock-time-estimate';

export const LOCK_WINDOW = { keep: 'lock-held-across-statements', absorbs: ['statement-after-access-exclusive-lock'] } as const;

/** What the timeout advice says when it becomes a sentence of another finding on its statement. */
export const TIMEOUT_BRIEF =
  'No lock_timeout is set before it: while it waits for its lock behind a long-running query, every later query on the table queues behind it.';
export const TIMEOUT_STEP = "Set lock_timeout before this statement (SET lock_timeout = '5s';) and retry the migration when it times out.";

/**
 * Findings about a statement's lock, which a lock window or the lock_timeout advice on the same statement
 * can become a sentence of: what the trace saw, lock and rewrite rules, and the rules whose hazard the
 * trace confirms by a lock (a DROP COLUMN, a RENAME). Not a schema-design remark that shares the line.
 */
export function describesLock(finding: { rule: string; source: string }): boolean {
  if (finding.source === 'trace') return true;
  if (finding.source !== 'lint') return false;
  if (STATEMENT_RELATIONS.some((r) => r.keep === finding.rule)) return true;
  const category = ruleById(finding.rule)?.meta.category;
  return category === 'locking' || category === 'rewrite';
}
