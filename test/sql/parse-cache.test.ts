import { readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { memoryTree } from '../../src/migrations/tree.js';
import { review } from '../../src/review.js';
import { parseMigrationSql } from '../../src/sql/parse.js';
import { ParseCache } from '../../src/sql/parse-cache.js';
import type { ReviewResult } from '../../src/types.js';
import { tempDirs } from '../helpers/temp-dirs.js';

const tempDir = tempDirs('pgpro-parse-cache-');

describe('ParseCache', () => {
  it('gives back what was stored, for the same path only', async () => {
    const cache = new ParseCache(tempDir());
    const input = { path: 'db/migrations/0001_a.sql', sql: 'CREATE TABLE a (id int);\n-- pgpro-ignore-file ban-drop-table\nSELECT 1', lineOffset: 0 };
    const parsed = await parseMigrationSql(input.sql, input.path);
    const key = cache.key(input);
    expect(cache.get(key, input.path)).toBeUndefined();
    await cache.setAll([{ key, text: JSON.stringify(parsed) }]);
    expect(cache.get(key, input.path)?.parsed).toEqual(parsed);
    expect(cache.get(key, 'db/migrations/other.sql')).toBeUndefined();
  });

  it('keys on the text, the path and the line offset', () => {
    const cache = new ParseCache(tempDir());
    const base = { path: 'a.sql', sql: 'SELECT 1', lineOffset: 0 };
    const keys = new Set([base, { ...base, sql: 'SELECT 2' }, { ...base, path: 'b.sql' }, { ...base, lineOffset: 3 }].map((i) => cache.key(i)));
    expect(keys.size).toBe(4);
  });

  it('keeps a whole list of parses as one pack, for exactly the same keys', async () => {
    const dir = tempDir();
    const cache = new ParseCache(dir);
    const inputs = [
      { path: 'a.sql', sql: 'CREATE TABLE a (id int)', lineOffset: 0 },
      { path: 'b.sql', sql: 'CREATE TABLE b (id int);\nDROP TABLE a', lineOffset: 0 },
    ];
    const keys = inputs.map((i) => cache.key(i));
    const files = await Promise.all(inputs.map((i) => parseMigrationSql(i.sql, i.path)));
    expect(cache.getPack(keys)).toBeUndefined();
    await cache.setPack(keys, cache.packText(keys, { counts: [1, 2], texts: files.map((f) => JSON.stringify(f)) }));
    const pack = cache.getPack(keys)!;
    expect(pack.counts).toEqual([1, 2]);
    expect([0, 1].map((i) => JSON.parse(pack.text(i)!))).toEqual(files);
    expect(cache.getPack([keys[0]!])).toBeUndefined();
    // Texts damaged after the head was read: no parse is made up from them.
    const texts = readdirSync(dir).find((n) => n.endsWith('.pack-texts'))!;
    const later = cache.getPack(keys)!;
    writeFileSync(join(dir, texts), '["{');
    expect(later.counts).toEqual([1, 2]);
    expect(later.text(0)).toBeUndefined();
    expect(cache.getPack([...keys].reverse())).toBeUndefined();
  });

  it('keeps the eight newest packs, each head with its texts', async () => {
    const dir = tempDir();
    const cache = new ParseCache(dir);
    const packKeys = Array.from({ length: 9 }, (_, i) => [`key-${i}`]);
    const datedNames = new Set<string>();
    for (const [i, keys] of packKeys.entries()) {
      await cache.setPack(keys, cache.packText(keys, { counts: [0], texts: [] }));
      // Dated one second apart, oldest first, whatever the file system's clock resolution.
      for (const name of readdirSync(dir).filter((n) => !datedNames.has(n))) {
        utimesSync(join(dir, name), 1_000 + i, 1_000 + i);
        datedNames.add(name);
      }
    }
    await cache.setPack(['key-9'], cache.packText(['key-9'], { counts: [0], texts: [] }));
    expect(cache.getPack(packKeys[0]!)).toBeUndefined();
    expect(cache.getPack(packKeys[1]!)).toBeUndefined();
    for (const keys of [...packKeys.slice(2), ['key-9']]) expect(cache.getPack(keys)?.counts).toEqual([0]);
    const names = readdirSync(dir);
    expect(names.filter((n) => n.endsWith('.pack-head'))).toHaveLength(8);
    expect(names.filter((n) => n.endsWith('.pack-texts'))).toHaveLength(8);
  });
  it('reads a damaged entry as a miss', async () => {
    const dir = tempDir();
    const cache = new ParseCache(dir);
    const input = { path: 'a.sql', sql: 'SELECT 1', lineOffset: 0 };
    const key = cache.key(input);
    writeFileSync(join(dir, `${key}.json`), '{"file":"a.sql","statem');
    expect(cache.get(key, input.path)).toBeUndefined();
  });
});

const history = {
  'db/migrations/0001_accounts.sql': 'CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);\n',
  'db/migrations/0002_orders.sql':
    'CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));\n-- pgpro-ignore require-concurrent-index-creation\nCREATE INDEX orders_account_idx ON orders (account_id);\n',
};
const change = { 'db/migrations/0003_note.sql': 'ALTER TABLE orders ADD COLUMN note varchar(20);\nCREATE INDEX orders_note_idx ON orders (note);\n' };
const config = validateConfig({ explain: { enabled: false }, agent: { enabled: false }, rehearsal: { retry: false, 'lock-time': false } }, 'test');

const comparable = (r: ReviewResult) => {
  const { durationMs: _d, stages: _s, ...stats } = r.stats;
  return { ...r, stats, migrations: r.migrations.map(({ durationMs: _m, ...m }) => m), sources: undefined };
};

describe('a review with a parse cache', () => {
  it('stores the history parses and reports the same from them', async () => {
    const dir = tempDir();
    const parseCache = new ParseCache(dir);
    const head = memoryTree({ ...history, ...change }, 'head');
    const run = () => review({ head, changed: Object.keys(change) }, { config }, { parseCache });
    const first = await run();
    // The history's two files, not the new one, and their pack.
    expect(readdirSync(dir).filter((n) => n.endsWith('.json'))).toHaveLength(2);
    expect(readdirSync(dir).filter((n) => n.endsWith('.pack-head'))).toHaveLength(1);
    expect(readdirSync(dir).filter((n) => n.endsWith('.pack-texts'))).toHaveLength(1);
    // The first review parsed everything; the second read the history's parses back from the pack, the
    // third from the files (the pack gone).
    const second = await run();
    expect(comparable(second)).toEqual(comparable(first));
    // The pack's texts lost, its head kept: the history replays from parses made again when read.
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.pack-texts'))) rmSync(join(dir, name));
    const withoutTexts = await run();
    expect(comparable(withoutTexts)).toEqual(comparable(first));
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.pack-head'))) rmSync(join(dir, name));
    const third = await run();
    expect(comparable(third)).toEqual(comparable(first));
  }, 360_000);
});
