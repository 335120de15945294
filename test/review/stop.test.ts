// The review's deadline, its cancellation and its sandbox-time budget stop the statement running now;
// the migrations they keep from being applied are `review-incomplete` errors, never a pass, and the
// statement that was interrupted is not reported as the migration's own error.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import type { ReviewResult } from '../../src/types.js';

const HISTORY = 'db/migrations/0001_tables.sql';
const SLOW = 'db/migrations/0002_slow.sql';
const LATER = 'db/migrations/0003_later.sql';
const files = {
  [HISTORY]: 'CREATE TABLE accounts (id bigint PRIMARY KEY);\n',
  [SLOW]: 'CREATE TABLE fine (id int);\nSELECT pg_sleep(1e6);\nCREATE TABLE after_sleep (id int);\n',
  [LATER]: 'DROP TABLE accounts;\n',
};
const change = { head: memoryTree(files), changed: [SLOW, LATER] };

function config(limits: Record<string, number> = {}) {
  // The statement deadline is far away: only the stop under test can end the sleep.
  return validateConfig({ limits, sandbox: { 'statement-timeout-seconds': 3600 }, explain: { enabled: false }, agent: { enabled: false } }, 'test');
}

/** Where the stop lands depends on the machine (a deadline may pass while the sandbox starts); what it means does not. */
function expectNotReviewed(result: ReviewResult, reason: RegExp): void {
  expect(result.conclusion).toBe('failure');
  expect(result.findings.filter((f) => f.rule === 'apply-error')).toEqual([]);
  const incomplete = result.findings.filter((f) => f.rule === 'review-incomplete');
  expect(incomplete.map((f) => f.file)).toEqual([SLOW, LATER]);
  for (const finding of incomplete) {
    expect(finding.severity).toBe('error');
    expect(finding.message).toMatch(reason);
  }
  const statuses = Object.fromEntries(result.migrations.map((m) => [m.file, m.status]));
  expect(statuses).toMatchObject({ [SLOW]: 'not-run', [LATER]: 'not-run' });
}

describe('stopping a review', () => {
  // The abort comes as the apply of the sleeping file begins: before this change the review only
  // looked at the signal between files, so it slept until the test's own timeout.
  it('stops the statement in flight when the caller cancels, and reports the change as not reviewed', async () => {
    const controller = new AbortController();
    const result = await review(change, {
      config: config(),
      signal: controller.signal,
      onProgress: (event) => {
        if (event.stage === 'apply' && event.message.includes(SLOW)) controller.abort(new Error('superseded by a newer push'));
      },
    });
    expectNotReviewed(result, /the review was cancelled \(superseded by a newer push\)/);
    expect(result.migrations.find((m) => m.file === HISTORY)?.status).toBe('applied');
    expect(result.notes.join('\n')).toMatch(/The review stopped/);
  }, 120_000);

  it('stops the statement in flight when the pull request runs out of sandbox time', async () => {
    const result = await review(change, { config: config({ 'sandbox-seconds': 2 }) });
    expectNotReviewed(result, /limits\.sandbox-seconds = 2 s\) ran out/);
  }, 120_000);

  it('stops the statement in flight at the review deadline', async () => {
    const result = await review(change, { config: config({ 'review-timeout-seconds': 3 }) });
    expectNotReviewed(result, /limits\.review-timeout-seconds = 3 s\) ran out|review deadline/);
  }, 120_000);

  it('cannot be silenced from the migration itself', async () => {
    const silenced = memoryTree({ ...files, [SLOW]: `-- pgpro-ignore-file review-incomplete\n${files[SLOW]}` });
    const result = await review({ head: silenced, changed: [SLOW, LATER] }, { config: config({ 'sandbox-seconds': 2 }) });
    expect(result.conclusion).toBe('failure');
    expect(result.findings.filter((f) => f.rule === 'review-incomplete').map((f) => f.file)).toEqual([SLOW, LATER]);
  }, 120_000);
});
