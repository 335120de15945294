// The defects the corpus showed (docs/corpus.md, results/baseline-main/ANALYSIS.md), each on a small
// fixture that mirrors the real statements, reviewed end to end with a real PGlite sandbox.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { headerMarkdown } from '../../src/report/markdown-parts.js';
import { review } from '../../src/review.js';
import type { Finding, ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const deps = { env: {} };
const NO_EXPLAIN = 'explain:\n  enabled: false\n';
const SMALL_EXPLAIN = 'explain:\n  default-rows: 2000\n';

async function reviewOf(history: string, change: string, config = '', path = 'db/migrations/0002_change.sql'): Promise<ReviewResult> {
  return review(
    { head: memoryTree({ 'db/migrations/0001_history.sql': history, [path]: change }), changed: [path] },
    { config: parseConfig(config, 't.yml') },
    deps,
  );
}

const serious = (result: ReviewResult) => result.findings.filter((f) => f.severity !== 'info');
const rulesOf = (findings: Finding[]) => findings.map((f) => [f.rule, f.line, f.severity]);

describe('a hazard is reported once', () => {
  let window: ReviewResult;
  let timestamps: ReviewResult;
  let required: ReviewResult;
  let fkDrop: ReviewResult;
  beforeAll(async () => {
    // docs-rs 20260211013415_builds-error-kind: ALTER TABLE, then CREATE INDEX, in one sqlx transaction.
    window = await reviewOf(
      'CREATE TABLE builds (id bigint PRIMARY KEY, status text);\n',
      'ALTER TABLE builds ADD COLUMN error_kind text;\nCREATE INDEX builds_error_kind_idx ON builds (error_kind);\n',
      `assume-in-transaction: true\n${NO_EXPLAIN}`,
    );
    // marquez V73__alter_all_timestamps_to_timestamptz: the same change to many columns of many tables.
    timestamps = await reviewOf(
      'CREATE TABLE namespaces (id bigint PRIMARY KEY, created_at timestamp, updated_at timestamp);\nCREATE TABLE sources (id bigint PRIMARY KEY, created_at timestamp);\n',
      [
        "ALTER TABLE namespaces ALTER COLUMN created_at TYPE timestamptz USING created_at AT TIME ZONE 'UTC';",
        '',
        "ALTER TABLE namespaces ALTER COLUMN updated_at TYPE timestamptz USING updated_at AT TIME ZONE 'UTC';",
        '',
        "ALTER TABLE sources ALTER COLUMN created_at TYPE timestamptz USING created_at AT TIME ZONE 'UTC';",
        '',
      ].join('\n'),
      `assume-in-transaction: true\n${NO_EXPLAIN}`,
    );
    // A NOT NULL column without a default on a table with rows: the rule predicts the failure the apply sees.
    required = await reviewOf('CREATE TABLE orders (id bigint PRIMARY KEY, total int);\n', 'ALTER TABLE orders ADD COLUMN customer_id bigint NOT NULL;\n', NO_EXPLAIN);
    // svix 20250905195339_messageattempt_updates: DROP CONSTRAINT of a foreign key locks both tables (an index
    // build after it, so that the window is more than moments: test/hazards/corpus-s24a.test.ts has the rest).
    fkDrop = await reviewOf(
      'CREATE TABLE endpoint (id bigint PRIMARY KEY);\nCREATE TABLE attempt (id bigint PRIMARY KEY, endp_id bigint CONSTRAINT attempt_endp_fk REFERENCES endpoint (id));\n',
      'ALTER TABLE attempt DROP CONSTRAINT attempt_endp_fk;\nCREATE INDEX attempt_endp_idx ON attempt (endp_id);\n',
      `assume-in-transaction: true\n${NO_EXPLAIN}`,
    );
  });

  it('one lock window: the window finding holds statement-after-access-exclusive-lock and the timeout advice', () => {
    // Before: lock-held-across-statements + require-timeout-settings on line 1, require-concurrent-index-creation
    // + statement-after-access-exclusive-lock on line 2.
    expect(rulesOf(serious(window))).toEqual([
      ['lock-held-across-statements', 1, 'warning'],
      ['require-concurrent-index-creation', 2, 'error'],
    ]);
    const [held] = serious(window);
    expect(held!.message).toContain('The ACCESS EXCLUSIVE lock on public.builds taken here lasts until COMMIT, and 1 more statement runs while it is held (line 2)');
    expect(held!.message).toContain('No lock_timeout is set before it');
    expect(held!.evidence).toContain('statement-after-access-exclusive-lock');
  });

  it('N similar statements of one migration are one finding listing the lines, with the lock window and timeout in it', () => {
    expect(rulesOf(serious(timestamps))).toEqual([['changing-column-type', 1, 'error']]);
    const [one] = serious(timestamps);
    expect(one!.occurrences!.map((o) => o.line)).toEqual([1, 3, 5]);
    expect(one!.message).toContain('The same finding applies to 2 more statements of this migration (lines 3 and 5).');
    expect(one!.message).toContain('lasts until COMMIT while 2 more statements run (lines 3 and 5)');
    expect(timestamps.findings.filter((f) => f.severity === 'info')).toEqual([]);
  });

  it('an apply error a rule predicted is that rule\'s finding, observed', () => {
    expect(rulesOf(required.findings)).toEqual([['adding-required-field', 1, 'error']]);
    expect(required.findings[0]!.message).toContain('This fails on a non-empty table: observed in the sandbox (column "customer_id" of relation "orders" contains null values, SQLSTATE 23502');
    expect(required.conclusion).toBe('failure');
  });

  it('a statement that locks two tables is one lock window naming both', () => {
    const held = fkDrop.findings.filter((f) => f.rule === 'lock-held-across-statements');
    expect(held).toHaveLength(1);
    expect(held[0]!.message).toMatch(/^The (ACCESS EXCLUSIVE locks on public\.attempt and public\.endpoint|locks on public\.attempt \([A-Z ]+\) and public\.endpoint \([A-Z ]+\)) taken here last until COMMIT/);
  });

  it('fingerprints are unique in every review', () => {
    for (const result of [window, timestamps, required, fkDrop]) {
      const ids = result.findings.flatMap((f) => f.occurrences?.map((o) => o.fingerprint) ?? [f.fingerprint]);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('an edited statement whose hazard remains keeps its fingerprint', async () => {
    const edited = await reviewOf(
      'CREATE TABLE orders (id bigint PRIMARY KEY, total int);\n',
      '-- the customer\nalter table orders\n  add column customer_id int8 not null;\n',
      NO_EXPLAIN,
    );
    expect(edited.findings.map((f) => f.fingerprint)).toEqual(required.findings.map((f) => f.fingerprint));
  });
});

describe('every stated fact is checked', () => {
  let lockUpgrade: ReviewResult;
  let fkIndexes: ReviewResult;
  let dedupe: ReviewResult;
  beforeAll(async () => {
    // A CREATE INDEX (SHARE) whose lock becomes ACCESS EXCLUSIVE later in the transaction, with two
    // statements on one line (the corpus showed "lines 6, 10, 10, 12").
    lockUpgrade = await reviewOf(
      'CREATE TABLE jobs (id bigint PRIMARY KEY, name text);\nCREATE TABLE other (id int);\n',
      'CREATE INDEX jobs_name_idx ON jobs (name);\nUPDATE other SET id = 1; UPDATE other SET id = 2;\nALTER TABLE jobs ADD COLUMN current_run uuid;\n',
      `assume-in-transaction: true\n${NO_EXPLAIN}`,
    );
    // crates-io create_cache_tags_backfills (a UNIQUE index created later in the file) and formbricks
    // add_feedback_source_directory_workspace_fk (an index on the key created in the same file).
    fkIndexes = await reviewOf(
      'CREATE TABLE crates (id bigint PRIMARY KEY);\nCREATE TABLE sources (id bigint PRIMARY KEY, dir_id bigint);\nCREATE TABLE dirs (id bigint PRIMARY KEY);\n',
      [
        'CREATE TABLE backfills (id bigint PRIMARY KEY, crate_id bigint NOT NULL REFERENCES crates (id));',
        'CREATE UNIQUE INDEX idx_backfills_crate_id ON backfills (crate_id);',
        'CREATE INDEX sources_dir_idx ON sources (dir_id, id);',
        'ALTER TABLE sources ADD CONSTRAINT sources_dir_fk FOREIGN KEY (dir_id) REFERENCES dirs (id) NOT VALID;',
        'CREATE TABLE plain (id bigint PRIMARY KEY, crate_id bigint REFERENCES crates (id));',
        '',
      ].join('\n'),
      SMALL_EXPLAIN,
    );
    // measure 20260718161933_alter_team_membership_table: a dedupe DELETE reads every row, deletes a few.
    dedupe = await reviewOf(
      'CREATE TABLE team_membership (id bigint PRIMARY KEY, team_id int NOT NULL, user_id int NOT NULL);\n',
      'DELETE FROM team_membership a USING team_membership dup WHERE a.team_id = dup.team_id AND a.user_id = dup.user_id AND a.id < dup.id;\nUPDATE team_membership SET team_id = team_id + 0 WHERE id > 0;\n',
      SMALL_EXPLAIN,
    );
  });

  it('lock-held-across-statements names the mode taken at its line and where it grows, and lists lines once', () => {
    const held = lockUpgrade.findings.find((f) => f.message.includes('lasts until COMMIT'))!;
    expect(held.line).toBe(1);
    expect(held.message).toContain('The SHARE lock on public.jobs taken here lasts until COMMIT');
    expect(held.message).toContain('3 more statements run (lines 2 and 3); the lock becomes ACCESS EXCLUSIVE at line 3');
    expect(held.message).not.toMatch(/ACCESS EXCLUSIVE lock on public\.jobs taken here/);
  });

  it('"has no index" is checked against the catalog after the change: unique indexes and indexes of the same file count', () => {
    expect(fkIndexes.findings.filter((f) => f.rule === 'fk-path-seq-scan')).toEqual([]);
    const unindexed = fkIndexes.findings.filter((f) => f.rule === 'foreign-key-without-index');
    expect(unindexed.map((f) => f.line)).toEqual([5]);
    expect(unindexed[0]!.message).toContain('public.plain (crate_id)');
    // The EXPLAIN of the same key is its evidence, not a second finding.
    expect(unindexed[0]!.evidence).toContain('fk-path-seq-scan');
  });

  it('a DELETE\'s row count is the rows it deletes (the plan\'s top), never a scan node\'s rows', () => {
    // The dedupe DELETE reads every row (its scan node) and deletes the duplicates (the join above it):
    // not a whole-table backfill. The UPDATE that changes every row is one, with the rows it changes.
    const backfills = dedupe.findings.filter((f) => f.rule === 'backfill-in-one-statement');
    expect(backfills.map((f) => f.line)).toEqual([2]);
    expect(backfills[0]!.message).toMatch(/^This statement updates about ([\d,]+) of the \1 rows \(planner estimate on synthetic data\) of public\.team_membership/);
    expect(backfills[0]!.evidence).toMatch(/^Update on public\.team_membership: estimated rows \d+/);
  });

  it('the summary counts the pull request\'s statements, not the history\'s', () => {
    expect(dedupe.stats.newStatements).toBe(2);
    expect(dedupe.stats.statements).toBe(3);
    expect(headerMarkdown(dedupe)).toContain('1 new migration · 2 statements');
  });
});

describe("diesel-guard's safety-assured blocks", () => {
  // crates.io 2026-06-17-105325_versions_tar_sha256_not_null: production has a validated CHECK the
  // history never made (a manual step), so SET NOT NULL skips its scan there; the sandbox scans.
  it('report what the sandbox saw inside the block as info, and keep the rest as it was', async () => {
    const result = await reviewOf(
      'CREATE TABLE versions (id bigint PRIMARY KEY, tar_sha256 bytea);\n',
      [
        '-- safety-assured:start',
        '-- a validated CHECK (tar_sha256 IS NOT NULL) exists in production',
        'ALTER TABLE versions ALTER COLUMN tar_sha256 SET NOT NULL;',
        '-- safety-assured:end',
        'ALTER TABLE versions ALTER COLUMN id SET DATA TYPE numeric;',
        '',
      ].join('\n'),
      `assume-in-transaction: true\n${NO_EXPLAIN}`,
    );
    const inBlock = result.findings.filter((f) => f.line === 3);
    expect(inBlock.map((f) => f.rule)).toContain('adding-not-nullable-field');
    for (const finding of inBlock) {
      expect(finding.severity).toBe('info');
      expect(finding.message).toMatch(/ \(Reported as info, not (error|warning): the statement is in a `-- safety-assured` block, lines 1-4, where the team states it checked it against production\.\)$/);
    }
    expect(serious(result).filter((f) => f.line === 5).map((f) => f.rule)).toContain('changing-column-type');
  });
});
