// Warnings of the s24a corpus run (docs/corpus.md) that were wrong, twice or misleading, each on a
// fixture reduced from the real migration, reviewed end to end with a real PGlite sandbox.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import type { ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const deps = { env: {} };
const IN_TRANSACTION = 'assume-in-transaction: true\nexplain:\n  enabled: false\nrehearsal:\n  retry: false\n  lock-time: false\n';
const AUTOCOMMIT = 'assume-in-transaction: false\nexplain:\n  enabled: false\nrehearsal:\n  retry: false\n  lock-time: false\n';

async function reviewOf(history: string, change: string, config: string): Promise<ReviewResult> {
  const path = 'db/migrations/0002_change.sql';
  return review(
    { head: memoryTree({ 'db/migrations/0001_history.sql': history, [path]: change }), changed: [path] },
    { config: parseConfig(config, 't.yml') },
    deps,
  );
}

const rulesOf = (result: ReviewResult) => result.findings.map((f) => [f.rule, f.line, f.severity]);

describe('partial-index-on-foreign-key: a replacement built later in the same transaction', () => {
  // formbricks 20260706000001_add_feedback_source_directory_workspace_fk (Prisma: one transaction): the
  // index on (feedbackDirectoryId) is dropped and one on (feedbackDirectoryId, workspaceId) built after it.
  const history = [
    'CREATE TABLE "FeedbackDirectory" (id text PRIMARY KEY);',
    'CREATE TABLE "FeedbackSource" (id text PRIMARY KEY, "feedbackDirectoryId" text NOT NULL REFERENCES "FeedbackDirectory" (id), "workspaceId" text NOT NULL);',
    'CREATE INDEX "FeedbackSource_feedbackDirectoryId_idx" ON "FeedbackSource" ("feedbackDirectoryId");',
    '',
  ].join('\n');
  const change = [
    '-- DropIndex',
    'DROP INDEX "FeedbackSource_feedbackDirectoryId_idx";',
    '',
    '-- CreateIndex',
    'CREATE INDEX "FeedbackSource_feedbackDirectoryId_workspaceId_idx" ON "FeedbackSource" ("feedbackDirectoryId", "workspaceId");',
    '',
  ].join('\n');
  let inTransaction: ReviewResult;
  let autocommit: ReviewResult;
  beforeAll(async () => {
    inTransaction = await reviewOf(history, change, IN_TRANSACTION);
    autocommit = await reviewOf(history, change, AUTOCOMMIT);
  });

  it('in one transaction no session sees the key without an index: no finding', () => {
    expect(inTransaction.migrations.find((m) => m.file.endsWith('0002_change.sql'))?.status).toBe('applied');
    expect(inTransaction.findings.filter((f) => f.rule === 'partial-index-on-foreign-key')).toEqual([]);
  });

  it('in autocommit the key is unindexed between the two statements: still said', () => {
    expect(autocommit.findings.filter((f) => f.rule === 'partial-index-on-foreign-key').map((f) => f.line)).toEqual([2]);
  });
});

describe('concurrent-index-if-not-exists and the retry rehearsal that watches it happen are one finding', () => {
  // crates-io 2026-07-30-140000-0000_add_users_username_index (diesel, run_in_transaction = false).
  let result: ReviewResult;
  beforeAll(async () => {
    result = await reviewOf(
      'CREATE TABLE users (id bigint PRIMARY KEY, username text NOT NULL);\n',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS index_users_canon_username\nON users (lower(username))\n',
      'assume-in-transaction: false\nexplain:\n  enabled: false\nrehearsal:\n  lock-time: false\n',
    );
  });

  it('the rule speaks for the hazard, the rehearsal is its evidence', () => {
    const onIndex = result.findings.filter((f) => f.line === 1 && f.severity !== 'info');
    expect(onIndex.map((f) => f.rule)).toEqual(['concurrent-index-if-not-exists']);
    expect(onIndex[0]!.evidence).toContain('retry-invalid-index');
  });
});

describe('lock-held-across-statements: a window whose later statements add nothing is a note', () => {
  let comment: ReviewResult;
  let sameTable: ReviewResult;
  let ownScan: ReviewResult;
  let indexBuild: ReviewResult;
  beforeAll(async () => {
    // supabase/auth 20250925093508_add_last_webauthn_challenge_data: ADD COLUMN, then a COMMENT on it.
    comment = await reviewOf(
      'CREATE SCHEMA auth;\nCREATE TABLE auth.mfa_factors (id uuid PRIMARY KEY, friendly_name text);\n',
      'ALTER TABLE auth.mfa_factors\nADD COLUMN IF NOT EXISTS last_webauthn_challenge_data JSONB;\n\n' +
        "COMMENT ON COLUMN auth.mfa_factors.last_webauthn_challenge_data IS 'Stores the latest WebAuthn challenge data';\n",
      IN_TRANSACTION,
    );
    // svix 20250905195339_messageattempt_updates: a foreign key dropped (both tables locked), then catalog-only
    // changes of the table already locked.
    sameTable = await reviewOf(
      'CREATE TABLE messagedestination (id text PRIMARY KEY);\n' +
        'CREATE TABLE messageattempt (id text PRIMARY KEY, msg_dest_id text NOT NULL CONSTRAINT fk_messageattempt_msg_dest_id_messagedestination REFERENCES messagedestination (id));\n',
      'ALTER TABLE messageattempt DROP CONSTRAINT fk_messageattempt_msg_dest_id_messagedestination;\n' +
        'ALTER TABLE messageattempt ALTER COLUMN msg_dest_id DROP NOT NULL;\n\n' +
        'ALTER TABLE messageattempt ADD COLUMN IF NOT EXISTS attempt_number SMALLINT NOT NULL DEFAULT -1;\n\n' +
        'ALTER TABLE messageattempt ADD COLUMN IF NOT EXISTS next_attempt timestamptz NULL;\n',
      IN_TRANSACTION,
    );
    // supabase/auth 20251104100000_add_nonce_to_oauth_authorizations: the later CHECK scans the table under
    // the ACCESS EXCLUSIVE lock it takes itself.
    ownScan = await reviewOf(
      'CREATE SCHEMA auth;\nCREATE TABLE auth.oauth_authorizations (id uuid PRIMARY KEY, state text);\n' +
        'INSERT INTO auth.oauth_authorizations SELECT gen_random_uuid(), g::text FROM generate_series(1, 50) g;\n',
      'alter table auth.oauth_authorizations\n    add column if not exists nonce text null;\n\n' +
        'alter table auth.oauth_authorizations\n    add constraint oauth_authorizations_nonce_length check (char_length(nonce) <= 255);\n',
      IN_TRANSACTION,
    );
    // docs-rs 20260211013415_builds-error-kind: the index build reads the table while reads are blocked too.
    indexBuild = await reviewOf(
      'CREATE TABLE builds (id bigint PRIMARY KEY, status text);\n',
      'ALTER TABLE builds ADD COLUMN error_kind TEXT;\nCREATE INDEX builds_error_kind_idx ON builds USING btree (error_kind);\n',
      IN_TRANSACTION,
    );
  });

  const windows = (result: ReviewResult) =>
    result.findings.filter((f) => f.rule === 'lock-held-across-statements' || f.evidence?.includes('(lock-held-across-statements)'));

  it('a COMMENT after the ADD COLUMN: the timeout advice stays, the window is its evidence', () => {
    expect(rulesOf(comment)).toEqual([['require-timeout-settings', 1, 'warning']]);
    expect(comment.findings[0]!.evidence).toContain('lock-held-across-statements');
    expect(comment.findings[0]!.message).not.toContain('lasts until COMMIT');
    expect(comment.findings[0]!.evidence).toContain('none scans or rewrites a table. Observed in the sandbox: the lock is held only moments longer');
  });

  it('catalog-only changes of the table already locked: no warning about the window, nor statement-after-access-exclusive-lock', () => {
    const serious = sameTable.findings.filter((f) => f.severity !== 'info').map((f) => f.rule);
    expect(serious).not.toContain('lock-held-across-statements');
    expect(serious).not.toContain('statement-after-access-exclusive-lock');
    expect(windows(sameTable)).toHaveLength(1);
  });

  it('a later CHECK that scans under its own ACCESS EXCLUSIVE lock: its finding is the one that speaks', () => {
    expect(ownScan.findings.filter((f) => f.rule === 'lock-held-across-statements' && f.severity !== 'info')).toEqual([]);
    expect(ownScan.findings.filter((f) => f.line === 4).map((f) => f.rule)).toEqual(['constraint-missing-not-valid']);
    expect(windows(ownScan)[0]!.evidence).toContain('1 statement (line 4) scans or rewrites auth.oauth_authorizations under the ACCESS EXCLUSIVE lock it takes itself');
  });

  it('an index build under the ACCESS EXCLUSIVE lock (reads blocked too) is still a warning', () => {
    const held = indexBuild.findings.find((f) => f.rule === 'lock-held-across-statements');
    expect(held?.severity).toBe('warning');
    expect(held?.message).toContain('1 of them rewrites or scans a table');
  });
});

describe('prefer-bigint-over-int: a column that references a 32-bit key', () => {
  // crates-io 2026-06-26-110013-0000_create_cache_tags_backfills: crate_id INTEGER REFERENCES crates(id),
  // where crates.id is integer; docs-rs 20260508232425_build-logs has the same build_id → builds.id.
  let result: ReviewResult;
  beforeAll(async () => {
    result = await reviewOf(
      'CREATE TABLE crates (id serial PRIMARY KEY, name text NOT NULL);\nCREATE TABLE teams (id bigint PRIMARY KEY);\n',
      'CREATE TABLE IF NOT EXISTS cache_tags_backfills (\n    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n' +
        '    crate_id INTEGER REFERENCES crates(id) ON DELETE SET NULL,\n    team_id INTEGER REFERENCES teams(id),\n    crate_name TEXT NOT NULL\n);\n',
      IN_TRANSACTION,
    );
  });

  it('is not flagged: its values are the referenced key\'s, whose limit it already shares; one referencing a bigint key is', () => {
    const flagged = result.findings.filter((f) => f.rule === 'prefer-bigint-over-int');
    expect(flagged.map((f) => f.message.split(' ')[0])).toEqual(['team_id']);
  });
});

describe('lock-held-across-statements: a later ALTER that rebuilds an index of the locked table under its own lock', () => {
  // svix 20221129215059_correct_collation: two collation changes of message, each rebuilding message's index.
  let result: ReviewResult;
  beforeAll(async () => {
    result = await reviewOf(
      'CREATE TABLE message (id text PRIMARY KEY, uid varchar, event_type varchar);\n' +
        'CREATE UNIQUE INDEX ix_message_uid ON message (uid);\nCREATE INDEX ix_message_event_type ON message (event_type);\n',
      'ALTER TABLE message ALTER event_type TYPE VARCHAR COLLATE "C";\nALTER TABLE message ALTER uid TYPE VARCHAR COLLATE "C";\n',
      IN_TRANSACTION,
    );
  });

  it('is a note: the rebuild is the later statement\'s own', () => {
    // Before: the window's sentence was folded into line 1's full-table-scan, as if line 2's rebuild were its doing.
    const first = result.findings.find((f) => f.line === 1 && f.severity !== 'info')!;
    expect(first.message).not.toContain('lasts until COMMIT while 1 more statement runs');
    expect(first.evidence).toContain('under the ACCESS EXCLUSIVE lock it takes itself');
    expect(result.findings.filter((f) => f.rule === 'lock-held-across-statements' && f.severity !== 'info')).toEqual([]);
  });
});
