// The whole-run memo of `pgpro lint`: a run is answered from it only when nothing it depends on changed.
// Every answer, from the memo or not, must be what a run without any cache prints.
import { mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryTree } from '../../src/migrations/index.js';
import { recordingTree, RunMemo, type MemoHit } from '../../src/lint/run-memo.js';
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
    RunMemo.open(dir, '/repo').save({ key: 'k', since: Date.now(), root: '/repo', dirs: [] }, await recorded.reads(), RESULT);

    expect((await RunMemo.open(dir, '/repo').lookup('k', memoryTree(files)))?.result()).toEqual(RESULT);
    // b.sql was not read by the run: its text is not part of the answer.
    expect((await RunMemo.open(dir, '/repo').lookup('k', memoryTree({ ...files, 'b.sql': 'SELECT 3;' })))?.result()).toEqual(RESULT);
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

describe('RunMemo.quickLookup', () => {
  // A run saved as if it began a minute from now: every stat on disk is older than it, so the stats
  // alone vouch for the files and listings (a real run trusts only what changed RACY_MS before it).
  const later = () => Date.now() + 60_000;

  async function saved(since: number) {
    const root = await tempTree({ 'm/0001_a.sql': 'SELECT 1;\n', 'm/0002_b.sql': 'SELECT 2;\n' });
    const dir = await mkdtemp(join(tmpdir(), 'pgpro-run-memo-'));
    dirs.push(root, dir);
    const reads = { paths: ['m/0001_a.sql', 'm/0002_b.sql', 'm/absent.sql'], texts: ['SELECT 1;\n', 'SELECT 2;\n', undefined] };
    RunMemo.open(dir, root).save({ key: 'k', quick: 'q', since, root, dirs: [join(root, 'm')] }, reads, RESULT);
    return { root, dir };
  }

  it('answers by stats when nothing was touched, and not for another key', async () => {
    const { root, dir } = await saved(later());
    expect((RunMemo.open(dir, root).quickLookup('q', root) as MemoHit | undefined)?.result()).toEqual(RESULT);
    expect(RunMemo.open(dir, root).quickLookup('other', root)).toBeUndefined();
  });

  it('tells a changed file, even one of the same size with its mtime put back (ctime), and misses when a listing changed', async () => {
    const edited = await saved(later());
    const a = join(edited.root, 'm/0001_a.sql');
    const { mtime } = await stat(a);
    await writeFile(a, 'SELECT 9;\n');
    await utimes(a, mtime, mtime);
    expect(RunMemo.open(edited.dir, edited.root).quickLookup('q', edited.root)).toBe('changed');

    const added = await saved(later());
    await writeFile(join(added.root, 'm/0003_c.sql'), 'SELECT 3;\n');
    expect(RunMemo.open(added.dir, added.root).quickLookup('q', added.root)).toBeUndefined();

    const removed = await saved(later());
    await unlink(join(removed.root, 'm/0002_b.sql'));
    expect(RunMemo.open(removed.dir, removed.root).quickLookup('q', removed.root)).toBeUndefined();
  });

  it('compares the text of a file whose stat changed, and trusts no listing changed too close to the run', async () => {
    // The stats are recent next to a run that began now: the file texts are compared, not the stats.
    const recent = await saved(Date.now());
    expect(RunMemo.open(recent.dir, recent.root).quickLookup('q', recent.root)).toBeUndefined();
    // A file rewritten as it was: its stat changed, its text did not.
    const listed = await saved(later());
    await writeFile(join(listed.root, 'm/0001_a.sql'), 'SELECT 1;\n');
    expect((RunMemo.open(listed.dir, listed.root).quickLookup('q', listed.root) as MemoHit | undefined)?.result()).toEqual(RESULT);
    await writeFile(join(listed.root, 'm/0001_a.sql'), 'SELECT 9;\n');
    expect(RunMemo.open(listed.dir, listed.root).quickLookup('q', listed.root)).toBe('changed');
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
    const first = await cli(argv, env);
    const lint = join(cacheDir, 'lint');
    const files = await readdir(lint);
    // The report as the run printed it, its duration left out: the next run prints it with its own.
    const report = files.find((f) => f.endsWith('.out'))!;
    const kept = await readFile(join(lint, report), 'utf8');
    expect(kept.split('\n').slice(1).join('\n').replace(/"durationMs": \d*/g, '')).toBe(first.stdout.replace(/"durationMs": \d+/g, ''));
    await writeFile(join(lint, report), kept.replace('"version": 1', '"version": 7'));
    const marked = JSON.parse((await cli(argv, env)).stdout);
    expect(marked.version).toBe(7);
    expect(marked.stats.durationMs).toEqual(expect.any(Number));
    // Without it (another format, or lost), the kept result is rendered.
    await unlink(join(lint, report));
    const file = files.find((f) => f.endsWith('.run.json'))!;
    const [header, body] = (await readFile(join(lint, file), 'utf8')).split('\n');
    await writeFile(join(lint, file), `${header}\n${JSON.stringify({ ...JSON.parse(body!), notes: ['from the memo'] })}`);
    expect(JSON.parse((await cli(argv, env)).stdout).notes).toEqual(['from the memo']);
    // Another argument list is another key.
    expect(JSON.parse((await cli([...argv.slice(0, -1), 'db/migrations/0001_t.sql'], env)).stdout).notes).toEqual([]);
  });
});
