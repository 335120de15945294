// The lint cache: a file is linted again only when it, a file before it, the config or pgpro changed.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { FileLintCache } from '../../src/lint/cache-file.js';
import { lintStatic, type LintCache, type LintedFile } from '../../src/lint/index.js';
import type { MigrationFile } from '../../src/types.js';

function files(...sqls: string[]): MigrationFile[] {
  return sqls.map((sql, i) => ({
    path: `db/${i + 1}.sql`,
    convention: 'plain',
    version: String(i + 1),
    name: String(i + 1),
    kind: 'versioned',
    sql,
    lineOffset: 0,
    inTransaction: false,
    transactionReason: 'test',
  }));
}

class MemoryCache implements LintCache {
  readonly entries = new Map<string, LintedFile>();
  get(key: string) {
    return this.entries.get(key);
  }
  set(key: string, value: LintedFile) {
    this.entries.set(key, value);
  }
}

const HISTORY = 'CREATE TABLE t (id bigint PRIMARY KEY, note varchar(10));\n';
const CHANGE = 'ALTER TABLE t ALTER COLUMN note TYPE varchar(20);\nCREATE INDEX t_note ON t (note);\n';

describe('lintStatic with a cache', () => {
  it('answers a known file from the cache, and lints again when a file before it changes', async () => {
    const cache = new MemoryCache();
    const config = defaultConfig();
    const first = await lintStatic({ migrations: files(HISTORY, CHANGE), config, cache });
    expect(cache.entries.size).toBe(2);
    // Mark the cached answer: a second run that returns the mark did not lint again.
    for (const entry of cache.entries.values()) for (const f of entry.findings) f.message = `cached: ${f.message}`;
    const second = await lintStatic({ migrations: files(HISTORY, CHANGE), config, cache });
    expect(second.findings.length).toBe(first.findings.length);
    expect(second.findings.every((f) => f.message.startsWith('cached: '))).toBe(true);

    // The history narrows the column: the change now widens nothing known, so it is linted afresh.
    const third = await lintStatic({ migrations: files(HISTORY.replace('varchar(10)', 'varchar(30)'), CHANGE), config, cache });
    const change = third.findings.filter((f) => f.file === 'db/2.sql');
    expect(change.some((f) => f.message.startsWith('cached: '))).toBe(false);
    expect(change.map((f) => f.rule)).toContain('changing-column-type');
    expect(first.findings.filter((f) => f.file === 'db/2.sql').map((f) => f.rule)).not.toContain('changing-column-type');

    // Another config is another key.
    const strict = await lintStatic({ migrations: files(HISTORY, CHANGE), config: { ...config, 'fail-on': 'warning' }, cache });
    expect(strict.findings.some((f) => f.message.startsWith('cached: '))).toBe(false);
  });
});

describe('FileLintCache', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('keeps entries per project root across runs, writes only when something was added, and reads a broken file as empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgpro-lint-cache-'));
    dirs.push(dir);
    const entry: LintedFile = { findings: [], statements: 3 };
    const a = await FileLintCache.open(dir, '/repo/a');
    a.set('k1', entry);
    await a.save();
    const [file] = await readdir(dir);
    expect((await FileLintCache.open(dir, '/repo/a')).get('k1')).toEqual(entry);
    expect((await FileLintCache.open(dir, '/repo/b')).get('k1')).toBeUndefined();

    const unchanged = await FileLintCache.open(dir, '/repo/a');
    unchanged.get('k1');
    await unchanged.save();
    expect(await readdir(dir)).toEqual([file]);

    await writeFile(join(dir, file!), '{ not json');
    expect((await FileLintCache.open(dir, '/repo/a')).get('k1')).toBeUndefined();
  });
});
