// A review on a history opens the fix proofs' sandbox ahead (at the fix point, beside its own apply)
// only when something will take it: a fix to prove or a rehearsal. Opened for nothing it only took a
// core and memory from the review. Either way the report is the one a review without it gives.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import type { ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';
import { closeRecorded } from '../helpers/sandboxes.js';

const config = parseConfig('explain:\n  enabled: false\n', 'test.yml');
const HISTORY = 'db/migrations/0001_accounts.sql';
const NEW = 'db/migrations/0002_change.sql';
const ACCOUNTS = 'CREATE TABLE accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);\n';

/** Real sandboxes, counted, each closed at the end or not. */
function counting(): { factory: (options: SandboxOptions) => Promise<Sandbox>; opened: { closed: boolean }[] } {
  const opened: { closed: boolean }[] = [];
  const factory = async (options: SandboxOptions): Promise<Sandbox> => {
    const entry = { closed: false };
    opened.push(entry);
    return closeRecorded(await createSandbox(options), entry);
  };
  return { factory, opened };
}

function reported(result: ReviewResult): unknown {
  return { findings: result.findings, notes: result.notes, conclusion: result.conclusion, migrations: result.migrations.map((m) => m.status) };
}

async function bothWays(sql: string): Promise<{ without: ReviewResult; ahead: ReviewResult; plainOpened: number; aheadOpened: { closed: boolean }[] }> {
  const change = () => ({ head: memoryTree({ [HISTORY]: ACCOUNTS, [NEW]: sql }), changed: [NEW] });
  const plain = counting();
  const without = await review(change(), { config }, { env: {}, createSandbox: plain.factory });
  const withAhead = counting();
  const ahead = await review(change(), { config }, { env: {}, createSandbox: withAhead.factory, proofSandboxAhead: true });
  return { without, ahead, plainOpened: plain.opened.length, aheadOpened: withAhead.opened };
}

describe('the fix proofs sandbox opened ahead on a history', () => {
  it('is opened for a change with a fix to prove, which it proves, with the same report', { timeout: 600_000 }, async () => {
    const { without, ahead, plainOpened, aheadOpened } = await bothWays('CREATE INDEX accounts_email_idx ON accounts (email);\n');
    const proven = ahead.findings.find((f) => f.fix?.proof);
    expect(proven?.fix?.sql).toBeDefined();
    expect(reported(ahead)).toEqual(reported(without));
    // The review's own and the one opened ahead, which the proofs took: no start for the proofs after.
    expect(plainOpened).toBe(1);
    expect(aheadOpened).toHaveLength(2);
    expect(aheadOpened.every((o) => o.closed)).toBe(true);
  });

  it('is not opened when the merge per hazard leaves no fix SQL (a rename), with the same report', { timeout: 600_000 }, async () => {
    const { without, ahead, aheadOpened } = await bothWays('ALTER TABLE accounts RENAME COLUMN email TO address;\n');
    expect(ahead.findings.some((f) => f.rule === 'renaming-column')).toBe(true);
    expect(ahead.findings.some((f) => f.fix?.sql)).toBe(false);
    expect(reported(ahead)).toEqual(reported(without));
    expect(aheadOpened).toHaveLength(1);
  });

  it('is not opened for a change with nothing to prove, with the same report', { timeout: 600_000 }, async () => {
    const { without, ahead, aheadOpened } = await bothWays("COMMENT ON TABLE accounts IS 'people';\n");
    expect(ahead.findings.some((f) => f.fix?.sql)).toBe(false);
    expect(reported(ahead)).toEqual(reported(without));
    expect(aheadOpened).toHaveLength(1);
    expect(aheadOpened.every((o) => o.closed)).toBe(true);
  });
});
