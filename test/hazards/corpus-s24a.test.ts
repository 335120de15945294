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
