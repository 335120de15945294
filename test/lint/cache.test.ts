// The lint cache: a file is linted again only when it, a file before it, the config or pgpro changed.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { FileLintCache } from '../../src/lint/cache-file.js';
import { lintStatic, type LintCache, type LintedFile } from '../../src/lint/index.js';
import type { StaticCatalogData } from '../../src/lint/static-catalog.js';
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

class CatalogMemoryCache extends MemoryCache {
  readonly catalogs = new Map<string, StaticCatalogData>();
  readonly digests = new Map<string, string>();
  getCatalog(key: string) {
    return this.catalogs.get(key);
  }
  setCatalog(key: string, json: string) {
    this.catalogs.set(key, JSON.parse(json) as StaticCatalogData);
  }
  sameCatalogAs(key: string) {
    const digest = this.digests.get(key);
    return [...this.digests].find(([, d]) => d === digest)?.[0];
  }
  setCatalogDigest(key: string, digest: string) {
    this.digests.set(key, digest);
  }
}

describe('lintStatic with a cache that keeps catalogs', () => {
  it('lints an edited last file on the catalog kept for it, as replaying the history would', async () => {
    const cache = new CatalogMemoryCache();
    const config = defaultConfig();
    const history = [HISTORY, 'ALTER TABLE t ADD COLUMN extra text;\n'];
    await lintStatic({ migrations: files(...history, CHANGE), config, cache });
    expect(cache.catalogs.size).toBe(1);

    const edited = files(...history, `${CHANGE}-- edited\n`);
    const resumed = await lintStatic({ migrations: edited, config, cache });
    expect(resumed.findings).toEqual((await lintStatic({ migrations: edited, config })).findings);

    // The run did start from the kept catalog: one that says the column is wider changes the verdict.
    const [kept] = cache.catalogs.values();
    kept!.tables[0]!.columns.find((c) => c.name === 'note')!.type = 'character varying(30)';
    const fromKept = await lintStatic({ migrations: files(...history, `${CHANGE}-- again\n`), config, cache });
    expect(fromKept.findings.filter((f) => f.file === 'db/3.sql').map((f) => f.rule)).toContain('changing-column-type');
    expect(resumed.findings.filter((f) => f.file === 'db/3.sql').map((f) => f.rule)).not.toContain('changing-column-type');
  });
});

describe('lintStatic with several migration folders', () => {
  it('keeps the catalog the newest file of each folder is linted on, so an edit there replays nothing', async () => {
    const cache = new CatalogMemoryCache();
    const config = defaultConfig();
    // Two folders in apply order (a monorepo's services); b's newest file comes last.
    const folders = (aChange: string): MigrationFile[] =>
      files(HISTORY, aChange, 'CREATE TABLE u (id bigint PRIMARY KEY);\n', 'ALTER TABLE u ADD COLUMN v text;\n').map((m, i) => ({
        ...m,
        path: i < 2 ? `a/${i + 1}.sql` : `b/${i + 1}/up.sql`,
      }));
    await lintStatic({ migrations: folders(CHANGE), config, cache });
    // Before a/2.sql (a's newest) and before b/4/up.sql (b's newest, two folders of their own below b).
    expect(cache.catalogs.size).toBe(2);

    const edited = folders(`${CHANGE}-- edited\n`);
    const resumed = await lintStatic({ migrations: edited, config, cache });
    expect(resumed.findings).toEqual((await lintStatic({ migrations: edited, config })).findings);
    // It started from the catalog kept before a/2.sql: a marked one changes the verdict.
    const [beforeA] = cache.catalogs.values();
    beforeA!.tables[0]!.columns.find((c) => c.name === 'note')!.type = 'character varying(30)';
    const fromKept = await lintStatic({ migrations: folders(`${CHANGE}-- again\n`), config, cache });
    expect(fromKept.findings.filter((f) => f.file === 'a/2.sql').map((f) => f.rule)).toContain('changing-column-type');
    expect(resumed.findings.filter((f) => f.file === 'a/2.sql').map((f) => f.rule)).not.toContain('changing-column-type');
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

    const withCatalog = await FileLintCache.open(dir, '/repo/a');
    const catalog = { tables: [], keys: [], functions: [], extensions: ['citext'], enums: [] } satisfies StaticCatalogData;
    withCatalog.setCatalog('c1', JSON.stringify(catalog));
    await withCatalog.save();
    const reopened = await FileLintCache.open(dir, '/repo/a');
    expect(reopened.getCatalog('c1')).toEqual(catalog);
    expect(reopened.get('k1')).toEqual(entry);
    // The catalog is a file of its own, read only when asked for; the newest twelve are kept.
    const catalogFiles = async () => (await readdir(dir)).filter((f) => f.includes('.catalog.'));
    expect(await catalogFiles()).toHaveLength(1);
    expect(await readFile(join(dir, file!), 'utf8')).not.toContain('citext');
    for (let i = 2; i <= 14; i++) {
      const more = await FileLintCache.open(dir, '/repo/a');
      more.setCatalog(`c${i}`, JSON.stringify({ ...catalog, extensions: [`e${i}`] }));
      await more.save();
    }
    const many = await FileLintCache.open(dir, '/repo/a');
    expect(await catalogFiles()).toHaveLength(12);
    expect([many.getCatalog('c1'), many.getCatalog('c2')]).toEqual([undefined, undefined]);
    expect(many.getCatalog('c3')?.extensions).toEqual(['e3']);
    expect(many.getCatalog('c14')?.extensions).toEqual(['e14']);
    for (const f of await catalogFiles()) await writeFile(join(dir, f), '{ not json');

    // Catalog digests: a later key with a digest already known stands for the first key with it.
    const digests = await FileLintCache.open(dir, '/repo/a');
    digests.setCatalogDigest('h1', 'd1');
    digests.setCatalogDigest('h2', 'd2');
    digests.setCatalogDigest('h3', 'd1');
    await digests.save();
    const withDigests = await FileLintCache.open(dir, '/repo/a');
    expect([withDigests.sameCatalogAs('h1'), withDigests.sameCatalogAs('h2'), withDigests.sameCatalogAs('h3'), withDigests.sameCatalogAs('h4')]).toEqual(['h1', 'h2', 'h1', undefined]);

    expect((await FileLintCache.open(dir, '/repo/a')).getCatalog('c14')).toBeUndefined();

    await writeFile(join(dir, file!), '{ not json');
    expect((await FileLintCache.open(dir, '/repo/a')).get('k1')).toBeUndefined();
  });
});

describe('lintStatic after an edit that leaves the catalog as it was', () => {
  const folders = (aChange: string): MigrationFile[] =>
    files(HISTORY, aChange, 'CREATE TABLE u (id bigint PRIMARY KEY);\n', 'ALTER TABLE u ADD COLUMN v text;\n').map((m, i) => ({
      ...m,
      path: i < 2 ? `a/${i + 1}.sql` : `b/${i + 1}.sql`,
    }));

  it('answers the later folders from the cache, and lints them again when the catalog changed', async () => {
    const cache = new CatalogMemoryCache();
    const config = defaultConfig();
    await lintStatic({ migrations: folders(CHANGE), config, cache });
    for (const entry of cache.entries.values()) for (const f of entry.findings) f.message = `cached: ${f.message}`;

    // A comment in a's newest file: b's files are linted on the same catalog, so their cached answers stand.
    const commented = folders(`${CHANGE}-- edited\n`);
    const resumed = await lintStatic({ migrations: commented, config, cache });
    const fresh = await lintStatic({ migrations: commented, config });
    const inB = (r: typeof resumed) => r.findings.filter((f) => f.file.startsWith('b/'));
    expect(inB(resumed).length).toBeGreaterThan(0);
    expect(inB(resumed).every((f) => f.message.startsWith('cached: '))).toBe(true);
    expect(inB(resumed).map((f) => ({ ...f, message: f.message.replace('cached: ', '') }))).toEqual(inB(fresh));
    expect(cache.catalogs.size).toBeGreaterThan(0);
    expect(resumed.findings.filter((f) => f.file === 'a/2.sql')).toEqual(fresh.findings.filter((f) => f.file === 'a/2.sql'));

    // A new column in a's newest file: b is linted again.
    const altered = folders(`${CHANGE}ALTER TABLE t ADD COLUMN w text;\n`);
    const relinted = await lintStatic({ migrations: altered, config, cache });
    expect(inB(relinted).some((f) => f.message.startsWith('cached: '))).toBe(false);
    const unmarked = (r: typeof resumed) => r.findings.map((f) => ({ ...f, message: f.message.replace('cached: ', '') }));
    expect(unmarked(relinted)).toEqual(unmarked(await lintStatic({ migrations: altered, config })));
  });
});
