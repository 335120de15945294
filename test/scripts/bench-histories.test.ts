// The bench's preparation of a real history (bench/histories.ts): which config it takes, what it copies
// and which migration it reviews as new. The bench itself measures and never runs in tests.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareHistory } from '../../bench/histories.js';

let scratch: string;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pgpro-bench-histories-test-'));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function write(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, ...path.split('/').slice(0, -1)), { recursive: true });
    await writeFile(join(root, ...path.split('/')), text);
  }
}

describe('prepareHistory', () => {
  it('takes a corpus entry’s config and render, and reviews the last versioned migration', async () => {
    const corpusRoot = join(scratch, 'corpus');
    await write(join(corpusRoot, 'shop', 'db', 'migrations'), {
      '0001_users.up.sql': 'CREATE TABLE {{ns}}.users (id int);',
      '0001_users.down.sql': 'DROP TABLE {{ns}}.users;',
      '0002_orders.up.sql': 'CREATE TABLE {{ns}}.orders (id int);',
      '0002_orders.down.sql': 'DROP TABLE {{ns}}.orders;',
    });
    const manifestFile = join(scratch, 'repos.json');
    await writeFile(
      manifestFile,
      JSON.stringify({
        entries: [
          {
            name: 'shop',
            repo: 'acme/shop',
            commit: 'a'.repeat(40),
            path: 'db/migrations',
            tool: 'golang-migrate',
            render: [{ from: '{{ns}}', to: 'app' }],
            config: { migrations: { convention: 'golang-migrate' }, sandbox: { setup: [{ sql: 'CREATE SCHEMA app;' }] } },
          },
        ],
      }),
    );
    const history = await prepareHistory(join(corpusRoot, 'shop', 'db', 'migrations'), join(scratch, 'ws'), { corpusRoot, manifestFile });

    expect(history.name).toBe('shop');
    expect(history.migrations).toBe(2);
    expect(history.newPath).toBe('0002_orders.up.sql');
    expect(history.sqlFiles).toEqual([join(history.root, '0001_users.up.sql'), join(history.root, '0002_orders.up.sql')]);
    expect(await readFile(join(history.root, '0002_orders.up.sql'), 'utf8')).toBe('CREATE TABLE app.orders (id int);');
    const config = JSON.parse(await readFile(history.configFile, 'utf8')) as Record<string, { enabled?: boolean; setup?: unknown }>;
    expect(config.sandbox?.setup).toEqual([{ sql: 'CREATE SCHEMA app;' }]);
    expect(config.agent?.enabled).toBe(false);
  });

  it('uses a pgpro.yml beside a folder that is not in the corpus', async () => {
    const source = join(scratch, 'elsewhere');
    await write(source, {
      'pgpro.yml': 'migrations:\n  convention: plain\n',
      'db/migrations/001_a.sql': 'CREATE TABLE a (id int);',
      'db/migrations/002_b.sql': 'CREATE TABLE b (id int);',
    });
    const history = await prepareHistory(source, join(scratch, 'ws'), { corpusRoot: join(scratch, 'none'), manifestFile: join(scratch, 'none.json') });
    expect(history.name).toBe('elsewhere');
    const config = JSON.parse(await readFile(history.configFile, 'utf8')) as { migrations: { convention: string } };
    expect(config.migrations.convention).toBe('plain');
    expect(history.newPath).toBe('db/migrations/002_b.sql');
  });

  it('says so when the folder holds no migrations', async () => {
    const source = join(scratch, 'empty');
    await write(source, { 'README.md': '# nothing here' });
    await expect(prepareHistory(source, join(scratch, 'ws'), { corpusRoot: scratch, manifestFile: join(scratch, 'none.json') })).rejects.toThrow(/no versioned migrations/);
  });
});
