// A review that will replay its history from nothing opens its sandbox before it parses the files, so
// that PGlite starts while the parse runs; the history stage takes that sandbox. One whose history is
// cached does not (it restores), and one whose parse changes the sandbox it needs (a new file left out
// with its extension) closes the early one and opens the right one. The report is the same either way.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import { createSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { ChangeSet, ReviewResult } from '../../src/types.js';

const history = {
  'db/migrations/0001_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/0002_orders.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts (id));\n',
};
const NEW = 'db/migrations/0003_note.sql';
const config = validateConfig({ explain: { enabled: false }, agent: { enabled: false } }, 'test');

/** Real sandboxes; each records the review's progress events seen before it was asked for, its extensions, and whether it was closed. */
function recording() {
  const events: string[] = [];
  const opened: { before: string[]; extensions: readonly string[]; restore: boolean; closed: boolean }[] = [];
  const factory = async (options: SandboxOptions): Promise<Sandbox> => {
    const entry = { before: [...events], extensions: options.extensions ?? [], restore: options.tarball !== undefined, closed: false };
    opened.push(entry);
    const db = await createSandbox(options);
    const close = db.close.bind(db);
    db.close = () => {
      entry.closed = true;
      return close();
    };
    return db;
  };
  return { factory, opened, onProgress: (e: { stage: string }) => void events.push(e.stage) };
}

function changeOf(sql: string): ChangeSet {
  return { head: memoryTree({ ...history, [NEW]: sql }), changed: [NEW] };
}

function reported(result: ReviewResult): unknown {
  return { findings: result.findings, notes: result.notes, conclusion: result.conclusion, migrations: result.migrations.map((m) => [m.file, m.status, m.statements]) };
}

describe('the sandbox of a review that replays its history', () => {
  it('is opened before the parse on a cold review, and restored after it on a warm one, with the same report', { timeout: 600_000 }, async () => {
    const cache = new SnapshotCache();
    const cold = recording();
    const first = await review(changeOf('ALTER TABLE accounts ADD COLUMN note text;\n'), { config, onProgress: cold.onProgress }, { env: {}, createSandbox: cold.factory, snapshotCache: cache });
    expect(first.migrations.every((m) => m.status === 'applied')).toBe(true);
    expect(cold.opened[0]!.before).not.toContain('parse');
    expect(cold.opened.filter((o) => !o.restore)).toHaveLength(1);
    expect(cold.opened.every((o) => o.closed)).toBe(true);

    const warm = recording();
    const second = await review(changeOf('ALTER TABLE accounts ADD COLUMN note text;\n'), { config, onProgress: warm.onProgress }, { env: {}, createSandbox: warm.factory, snapshotCache: cache });
    expect(warm.opened.every((o) => o.restore)).toBe(true);
    expect(warm.opened[0]!.before).toContain('parse');
    expect(warm.opened.every((o) => o.closed)).toBe(true);
    // The same, but for the note that says where the history came from.
    expect(second.notes).toContain('Restored 2 history migrations from the snapshot cache.');
    expect(reported({ ...second, notes: second.notes.filter((n) => !n.startsWith('Restored ')) })).toEqual(reported(first));
  });

  it('is opened again, after the parse, when the parse leaves out a new file and its extension', { timeout: 600_000 }, async () => {
    const limited = validateConfig({ explain: { enabled: false }, agent: { enabled: false }, limits: { 'max-statements-per-file': 1 } }, 'test');
    const sql = 'CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE INDEX accounts_email_trgm ON accounts USING gin (email gin_trgm_ops);\n';
    const run = recording();
    const result = await review(changeOf(sql), { config: limited, onProgress: run.onProgress }, { env: {}, createSandbox: run.factory });
    const fresh = run.opened.filter((o) => !o.restore);
    // The early one, with the extension the left-out file creates, closed; the review's own, without it.
    expect(fresh).toHaveLength(2);
    expect(fresh[0]!.before).not.toContain('parse');
    expect(fresh[0]!.extensions).toContain('pg_trgm');
    expect(fresh[1]!.extensions).not.toContain('pg_trgm');
    expect(run.opened.every((o) => o.closed)).toBe(true);
    expect(result.migrations.find((m) => m.file === NEW)?.status).toBe('skipped');
  });
});
