// A hand-built ReviewResult: two new migrations after a replayed history, findings of every
// severity from several sources, a failed migration, notes and attached sources.
import { fingerprint } from '../../src/finding.js';
import type { Finding, ReviewResult } from '../../src/types.js';

export const ADD_NOTE = 'db/migrations/20240102_add_note.sql';
export const BAD = 'db/migrations/20240103_bad.sql';

export const ADD_NOTE_SQL = [
  '-- add a note to orders',
  'ALTER TABLE orders',
  "  ADD COLUMN note text NOT NULL DEFAULT 'n/a';",
  '',
  'CREATE INDEX orders_note_idx ON orders (note);',
  '',
  'UPDATE orders',
  '   SET note = upper(note)',
  ' WHERE id > 0',
  '   AND note IS NOT NULL',
  '   AND note <> \'\'',
  '   AND created_at > now() - interval \'1 day\'',
  '   AND status = \'open\'',
  '   AND total > 0',
  '   AND id < 1000000;',
].join('\n');

export const BAD_SQL = ['ALTER TABLE nope ADD COLUMN x int;', ''].join('\n');

export function finding(partial: Partial<Finding> & Pick<Finding, 'rule' | 'file' | 'line'>): Finding {
  return {
    severity: 'warning',
    source: 'lint',
    endLine: partial.line,
    message: `${partial.rule} message`,
    fingerprint: fingerprint(partial.rule, partial.file, `statement at ${partial.line}`),
    ...partial,
  };
}

export function sampleFindings(): Finding[] {
  return [
    finding({
      rule: 'require-concurrent-index-creation',
      severity: 'error',
      source: 'trace',
      file: ADD_NOTE,
      line: 5,
      message: 'CREATE INDEX locks orders against writes (ShareLock) while the index builds.',
      evidence: 'ShareLock on public.orders\nseq scans: public.orders 1 (0 rows)',
      fix: {
        title: 'Build the index concurrently, outside a transaction',
        sql: 'CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);',
        replacesStatement: true,
      },
    }),
    finding({
      rule: 'adding-not-nullable-field',
      severity: 'warning',
      source: 'lint',
      file: ADD_NOTE,
      line: 2,
      endLine: 3,
      message: 'Adding a NOT NULL column takes an AccessExclusiveLock on orders.',
      fix: {
        title: 'Add the column nullable, backfill, then add a NOT NULL constraint',
        steps: ['Add the column without NOT NULL', 'Backfill in batches', 'Validate a CHECK constraint'],
      },
    }),
    finding({
      rule: 'agent/batch-backfill',
      severity: 'info',
      source: 'agent',
      file: ADD_NOTE,
      line: 7,
      endLine: 15,
      confidence: 0.8,
      message: 'This UPDATE touches every open order in one transaction.',
      evidence: 'Rows estimated: 120000',
    }),
    finding({
      rule: 'apply-error',
      severity: 'error',
      source: 'apply',
      file: BAD,
      line: 1,
      message: 'relation "nope" does not exist (42P01)',
    }),
  ];
}

export function sampleResult(overrides: Partial<ReviewResult> = {}): ReviewResult {
  return {
    version: 1,
    conclusion: 'failure',
    migrations: [
      { file: 'db/migrations/20240101_init.sql', status: 'applied', statements: 4, durationMs: 20 },
      { file: ADD_NOTE, status: 'applied', statements: 3, durationMs: 14.4 },
      {
        file: BAD,
        status: 'failed',
        statements: 1,
        durationMs: 2,
        error: { message: 'relation "nope" does not exist', line: 1, sqlstate: '42P01' },
      },
    ],
    findings: sampleFindings(),
    notes: ['The agent review used a cached answer.'],
    stats: {
      migrationsTotal: 3,
      migrationsNew: 2,
      statements: 4,
      durationMs: 1234,
      stages: { parse: 5, sandbox: 900 },
      engine: { name: 'pglite', version: '18.6' },
      agent: { inputTokens: 12345, outputTokens: 678, cached: true, toolCalls: 2 },
    },
    sources: { [ADD_NOTE]: ADD_NOTE_SQL, [BAD]: BAD_SQL },
    ...overrides,
  };
}

export function cleanResult(): ReviewResult {
  return sampleResult({
    conclusion: 'success',
    findings: [],
    notes: [],
    migrations: [{ file: ADD_NOTE, status: 'applied', statements: 3, durationMs: 14 }],
    stats: { migrationsTotal: 1, migrationsNew: 1, statements: 3, durationMs: 500, stages: {} },
  });
}
