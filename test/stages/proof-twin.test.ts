// A review with no history and no setup (a lone file) opens the fix proofs' sandbox beside its own
// (proof-twin.ts) when it may open one ahead: the proofs run in it, with the verdicts they reach without
// it, and every sandbox it opened is closed at the end, whether the twin served or not.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import type { ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';
import { closeRecorded } from '../helpers/sandboxes.js';

const config = parseConfig('explain:\n  enabled: false\n', 'test.yml');
const FILE = 'db/migrations/0001_accounts.sql';
const LONE = [
  'CREATE TABLE accounts (',
  '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
  '  email text NOT NULL',
  ');',
  'CREATE INDEX accounts_email_idx ON accounts (email);',
  'ALTER TABLE accounts ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();',
  '',
].join('\n');

interface Opened {
  db: Sandbox;
  /** SQL the review's own sandbox (the first opened) had run when this one was asked for. */
  firstRanBefore: number;
  closed: boolean;
}

/** Real sandboxes, each recorded with when it was asked for and whether it was closed. */
function recording(): { factory: (options: SandboxOptions) => Promise<Sandbox>; opened: Opened[] } {
  const opened: Opened[] = [];
  let firstRan = 0;
  const factory = async (options: SandboxOptions): Promise<Sandbox> => {
    const index = opened.length;
    const entry = { firstRanBefore: firstRan, closed: false } as Opened;
    opened.push(entry);
    const db = await createSandbox(options);
    entry.db = db;
    if (index === 0) {
      for (const method of ['query', 'exec', 'apply'] as const) {
        const original = (db[method] as (...args: unknown[]) => Promise<unknown>).bind(db);
        (db as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          firstRan++;
          return original(...args);
        };
      }
    }
    return closeRecorded(db, entry);
  };
  return { factory, opened };
}

/** Findings and notes as reported: what the twin must not change. */
function reported(result: ReviewResult): unknown {
  return { findings: result.findings, notes: result.notes, conclusion: result.conclusion };
}

describe('the fix proofs sandbox opened beside a lone file review', () => {
  it('is opened with the review sandbox, proves the fix without another start, and gives the same report', { timeout: 600_000 }, async () => {
    const change = () => ({ head: memoryTree({ [FILE]: LONE }), changed: [FILE] });
    const plain = recording();
    const without = await review(change(), { config }, { env: {}, createSandbox: plain.factory });
    const twin = recording();
    const withTwin = await review(change(), { config }, { env: {}, createSandbox: twin.factory, proofSandboxAhead: true });

    const proven = withTwin.findings.find((f) => f.rule === 'prefer-robust-stmts' && f.fix?.proof);
    expect(proven?.fix).toMatchObject({ verified: true, proof: { verified: true, reason: 'verified' } });
    expect(reported(withTwin)).toEqual(reported(without));
    // Two sandboxes, the second asked for before the review's own ran anything; no third start.
    expect(twin.opened).toHaveLength(2);
    expect(twin.opened[1]!.firstRanBefore).toBe(0);
    expect(twin.opened.every((o) => o.closed)).toBe(true);
    expect(plain.opened.every((o) => o.closed)).toBe(true);
  });

  it('is closed unused, and the proofs get a sandbox opened at the fix point, when stubs make it another state', { timeout: 600_000 }, async () => {
    // "customers" is neither created here nor anywhere before: a stub is inferred, which changes the
    // sandbox before the fix point.
    const sql = 'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));\nCREATE INDEX orders_customer_idx ON orders (customer_id);\n';
    const change = () => ({ head: memoryTree({ [FILE]: sql }), changed: [FILE] });
    const plain = recording();
    const without = await review(change(), { config }, { env: {}, createSandbox: plain.factory });
    const twin = recording();
    const withTwin = await review(change(), { config }, { env: {}, createSandbox: twin.factory, proofSandboxAhead: true });

    expect(withTwin.notes.join('\n')).toMatch(/customers/);
    expect(reported(withTwin)).toEqual(reported(without));
    // The review's, the twin (closed unused), and the proofs' opened ahead at the fix point.
    expect(twin.opened.length).toBe(plain.opened.length + 2);
    expect(twin.opened.every((o) => o.closed)).toBe(true);
  });
});
