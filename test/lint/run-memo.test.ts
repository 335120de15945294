// The whole-run memo of `pgpro lint`: a run is answered from it only when nothing it depends on changed.
// Every answer, from the memo or not, must be what a run without any cache prints.
import { mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryTree } from '../../src/migrations/index.js';
import { recordingTree, RunMemo } from '../../src/lint/run-memo.js';
import type { ReviewResult } from '../../src/types.js';
import { cli, cliEnv, tempTree } from '../cli/helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const RESULT = { version: 1, conclusion: 'success', findings: [], notes: [], migrations: [], stats: { mode: 'static', durationMs: 5 } } as unknown as ReviewResult;

describe('RunMemo', () => {
  it('answers a key only while every file the run read reads the same, and not another key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgpro-run-memo-'));
    dirs.push(dir);
    const files = { 'a.sql': 'SELECT 1;', 'b.sql': 'SELECT 2;' };
    const recorded = recordingTree(memoryTree(files));
    await recorded.tree.read('a.sql');
    await recorded.tree.read('gone.sql');
    RunMemo.open(dir, '/repo').save('k', await recorded.reads(), RESULT);

    expect(await RunMemo.open(dir, '/repo').lookup('k', memoryTree(files))).toEqual(RESULT);
    // b.sql was not read by the run: its text is not part of the answer.
    expect(await RunMemo.open(dir, '/repo').lookup('k', memoryTree({ ...files, 'b.sql': 'SELECT 3;' }))).toEqual(RESULT);
    expect(await RunMemo.open(dir, '/repo').lookup('k', memoryTree({ ...files, 'a.sql': 'SELECT 3;' }))).toBeUndefined();
    // A file the run found missing now exists.
    expect(await RunMemo.open(dir, '/repo').lookup('k', memoryTree({ ...files, 'gone.sql': '' }))).toBeUndefined();
    expect(await RunMemo.open(dir, '/repo').lookup('other', memoryTree(files))).toBeUndefined();
    expect(await RunMemo.open(dir, '/elsewhere').lookup('k', memoryTree(files))).toBeUndefined();

    const [file] = (await readdir(dir)).filter((f) => f.endsWith('.run.json'));
    await writeFile(join(dir, file!), '{ not json');
    expect(await RunMemo.open(dir, '/repo').lookup('k', memoryTree(files))).toBeUndefined();
  });
});

describe('pgpro lint with the run memo', () => {
  const withoutTime = (stdout: string) => stdout.replace(/ in [\d.,]+ m?s /, ' in … ');

  it('prints what a run without cache prints, after each change to a file, a sidecar, the listing or the config', async () => {
    const root = await tempTree({
      'migrations/2024-01-01-000000_orders/up.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, state text);\n',
      'migrations/2024-01-01-000000_orders/down.sql': 'DROP TABLE orders;\n',
      'migrations/2024-02-01-000000_index/up.sql': 'CREATE INDEX CONCURRENTLY orders_state ON orders (state);\n',
      'migrations/2024-02-01-000000_index/down.sql': 'DROP INDEX orders_state;\n',
    });
    const cacheDir = await mkdtemp(join(tmpdir(), 'pgpro-lint-cache-'));
    dirs.push(root, cacheDir);
    const env = cliEnv({ PGPRO_CACHE_DIR: cacheDir });
    const argv = ['lint', '-C', root, 'migrations'];
    const check = async (what: string) => {
      const fresh = await cli([...argv, '--no-cache'], env);
      const first = await cli(argv, env);
      const again = await cli(argv, env);
      expect(withoutTime(first.stdout), what).toBe(withoutTime(fresh.stdout));
      expect(withoutTime(again.stdout), what).toBe(withoutTime(fresh.stdout));
      expect([first.code, again.code], what).toEqual([fresh.code, fresh.code]);
      return fresh.stdout;
    };
    const steps: string[] = [await check('first')];
    // diesel runs the migration in a transaction unless metadata.toml says otherwise: CONCURRENTLY
    // fails in one, so the sidecar changes the findings though no SQL file changed.
    await writeFile(join(root, 'migrations/2024-02-01-000000_index/metadata.toml'), 'run_in_transaction = false\n');
    steps.push(await check('sidecar added'));
    await writeFile(join(root, 'migrations/2024-01-01-000000_orders/up.sql'), 'CREATE TABLE orders (id int PRIMARY KEY, state varchar(20));\n');
    steps.push(await check('history edited'));
    await mkdir(join(root, 'migrations/2024-03-01-000000_more'));
    await writeFile(join(root, 'migrations/2024-03-01-000000_more/up.sql'), 'ALTER TABLE orders ADD COLUMN total int NOT NULL DEFAULT 0;\n');
    steps.push(await check('migration added'));
    await unlink(join(root, 'migrations/2024-02-01-000000_index/metadata.toml'));
    steps.push(await check('sidecar removed'));
    await writeFile(join(root, 'pgpro.yml'), 'rules:\n  prefer-bigint-over-int: off\n');
    steps.push(await check('config added'));
    // Each change did change the report, so each check compared a new answer.
    expect(new Set(steps.map(withoutTime)).size).toBe(steps.length);
  });

  it('answers from the memo when nothing changed (a marked memo is what the next run prints)', async () => {
    const root = await tempTree({ 'db/migrations/0001_t.sql': 'CREATE TABLE t (id int PRIMARY KEY);\n' });
    const cacheDir = await mkdtemp(join(tmpdir(), 'pgpro-lint-cache-'));
    dirs.push(root, cacheDir);
    const env = cliEnv({ PGPRO_CACHE_DIR: cacheDir });
    const argv = ['lint', '--format', 'json', '-C', root, 'db/migrations'];
    await cli(argv, env);
    const [file] = (await readdir(join(cacheDir, 'lint'))).filter((f) => f.endsWith('.run.json'));
    const [header, body] = (await readFile(join(cacheDir, 'lint', file!), 'utf8')).split('\n');
    await writeFile(join(cacheDir, 'lint', file!), `${header}\n${JSON.stringify({ ...JSON.parse(body!), notes: ['from the memo'] })}`);
    expect(JSON.parse((await cli(argv, env)).stdout).notes).toEqual(['from the memo']);
    // Another argument list is another key.
    expect(JSON.parse((await cli([...argv.slice(0, -1), 'db/migrations/0001_t.sql'], env)).stdout).notes).toEqual([]);
  });
});
