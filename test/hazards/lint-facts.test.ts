// Facts in static rules' messages: the lock that matters is named on its table, with the right article.
import { describe, expect, it } from 'vitest';
import { emptyCatalog, lint } from '../rules/helpers.js';

const catalog = emptyCatalog({
  tables: [
    {
      schema: 'public', name: 'FeedbackSource', estimatedRows: 0, columns: [], constraints: [],
      indexes: [{ name: 'FeedbackSource_feedbackDirectoryId_idx', definition: '', unique: false, primary: false, columns: ['feedbackDirectoryId'], valid: true }],
    },
  ],
});

describe('locks are named on the table', () => {
  it('DROP INDEX waits for an ACCESS EXCLUSIVE lock on the index\'s table, and says so', async () => {
    // formbricks 20260706000001…: the lock was named "on FeedbackSource_feedbackDirectoryId_idx".
    const findings = await lint(
      { sql: 'DROP INDEX "FeedbackSource_feedbackDirectoryId_idx";\nCREATE INDEX "x_idx" ON "FeedbackSource" ("workspaceId");', inTransaction: true },
      { catalog },
    );
    const timeout = findings.find((f) => f.rule === 'require-timeout-settings')!;
    expect(timeout.message).toContain('waits for an ACCESS EXCLUSIVE lock on FeedbackSource with no lock_timeout');
    const after = findings.find((f) => f.rule === 'statement-after-access-exclusive-lock')!;
    expect(after.message).toContain('the ACCESS EXCLUSIVE lock on FeedbackSource taken at line 1');
    expect(findings.map((f) => f.message).join('\n')).not.toMatch(/lock on FeedbackSource_feedbackDirectoryId_idx/);
  });

  it('an index the catalog does not know is named as "the table of index …", never as a table', async () => {
    const [timeout] = (await lint({ sql: 'DROP INDEX gone_idx;' })).filter((f) => f.rule === 'require-timeout-settings');
    expect(timeout!.message).toContain('lock on the table of index gone_idx');
  });

  it('ALTER INDEX … RENAME blocks no reads or writes on PostgreSQL 12+: no lock_timeout advice', async () => {
    expect((await lint({ sql: 'ALTER INDEX a_idx RENAME TO b_idx;' })).filter((f) => f.rule === 'require-timeout-settings')).toEqual([]);
  });

  it('says "a SHARE ROW EXCLUSIVE lock" and "an ACCESS EXCLUSIVE lock"', async () => {
    const [fk] = (await lint({ sql: 'ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (c) REFERENCES customers (id);' })).filter((f) => f.rule === 'require-timeout-settings');
    expect(fk!.message).toContain('waits for a SHARE ROW EXCLUSIVE lock on orders');
  });
});
