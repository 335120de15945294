// `pgpro lint` when one migration changed since the last run: the changed file is linted alone and the
// last report is printed with its part replaced (src/lint/edit.ts). Every answer must be what a run
// without any cache prints; any other change (a file added, removed or renamed, the config, several
// files) goes the full way and must print the same too.
import { mkdir, mkdtemp, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, tempTree } from '../cli/helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const withoutTime = (stdout: string) => stdout.replace(/ in [\d.,]+ m?s /, ' in … ');

/**
 * The kept run as if it had begun a minute from now: every stat on disk is older than it, so its stats
 * vouch for the files and listings (a real run trusts only what changed a few seconds before it).
 */
async function ageMemo(cacheDir: string): Promise<{ edited: number }> {
  const lint = join(cacheDir, 'lint');
  const file = (await readdir(lint)).find((f) => f.endsWith('.run.json'))!;
  const text = await readFile(join(lint, file), 'utf8');
  const newline = text.indexOf('\n');
  const header = JSON.parse(text.slice(0, newline)) as { since: number; edited?: number };
  await writeFile(join(lint, file), `${JSON.stringify({ ...header, since: Date.now() + 60_000 })}${text.slice(newline)}`);
  return { edited: header.edited ?? 0 };
}

async function project(files: Record<string, string>) {
  const root = await tempTree(files);
  const cacheDir = await mkdtemp(join(tmpdir(), 'pgpro-lint-edit-'));
  dirs.push(root, cacheDir);
  return { root, cacheDir, env: cliEnv({ PGPRO_CACHE_DIR: cacheDir }) };
}

const DIESEL = {
  'migrations/2024-01-01-000000_orders/up.sql': 'CREATE TABLE orders (id bigint PRIMARY KEY, state text, total int);\n',
  'migrations/2024-01-01-000000_orders/down.sql': 'DROP TABLE orders;\n',
  'migrations/2024-02-01-000000_index/up.sql': '-- an index\nCREATE INDEX orders_state ON orders (state);\n',
  'migrations/2024-02-01-000000_index/down.sql': 'DROP INDEX orders_state;\n',
  'migrations/2024-03-01-000000_total/up.sql': 'ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n',
  'migrations/2024-03-01-000000_total/down.sql': 'ALTER TABLE orders ALTER COLUMN total TYPE int;\n',
};

describe('pgpro lint with one file changed since the last run', () => {
  it('lints the changed file alone and prints what a run without cache prints, each time', async () => {
    const { root, cacheDir, env } = await project(DIESEL);
    const argv = ['lint', '-C', root, 'migrations'];
    // Each step: the run after the change, compared with --no-cache; `alone` whether it was answered by
    // linting the changed file alone (the memo counts such runs since the last full one).
    const step = async (what: string, change: () => Promise<void>, alone: boolean) => {
      const before = await ageMemo(cacheDir);
      await change();
      const run = await cli(argv, env);
      const fresh = await cli([...argv, '--no-cache'], env);
      expect(withoutTime(run.stdout), what).toBe(withoutTime(fresh.stdout));
      expect(run.code, what).toBe(fresh.code);
      expect((await ageMemo(cacheDir)).edited, what).toBe(alone ? before.edited + 1 : 0);
      return withoutTime(fresh.stdout);
    };
    const first = await cli(argv, env);
    expect(first.stdout).toContain('ALTER COLUMN');
    const file = (name: string) => join(root, 'migrations', name);
    const outputs = [withoutTime(first.stdout)];
    // The newest file: its findings change (a safe change now, then the unsafe one again).
    outputs.push(await step('newest file edited', () => writeFile(file('2024-03-01-000000_total/up.sql'), 'ALTER TABLE orders ADD COLUMN note text;\n'), true));
    outputs.push(await step('newest file edited again', () => writeFile(file('2024-03-01-000000_total/up.sql'), 'ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n-- wider\n'), true));
    // The newest file loses its findings, then gains them back: its part of the report goes and comes.
    const clean = await step('newest file clean', () => writeFile(file('2024-03-01-000000_total/up.sql'), 'SELECT 1;\n'), true);
    expect(clean).not.toContain('2024-03-01-000000_total/up.sql (');
    const again = await step('newest file with findings again', () => writeFile(file('2024-03-01-000000_total/up.sql'), '-- wider\nALTER TABLE orders ALTER COLUMN total TYPE bigint;\n'), true);
    expect(again).toContain('2024-03-01-000000_total/up.sql (');
    outputs.push(clean, again);
    // A file with a file linted after it, and no digest of the catalog after it kept (only after each
    // folder's newest file): the full way.
    outputs.push(await step('a middle file edited', () => writeFile(file('2024-02-01-000000_index/up.sql'), '-- an index\nCREATE INDEX CONCURRENTLY orders_state ON orders (state);\n'), false));
    // A change to an earlier file's schema: the files after it are linted on another catalog.
    outputs.push(await step('history schema edited', () => writeFile(file('2024-01-01-000000_orders/up.sql'), 'CREATE TABLE orders (id bigint PRIMARY KEY, state text, total bigint);\n'), false));
    // A comment in the first file: no digest of the catalog after it was kept (only after each folder's
    // newest file), so the files after it are linted the full way.
    outputs.push(await step('history comment edited', () => writeFile(file('2024-01-01-000000_orders/up.sql'), '-- orders\nCREATE TABLE orders (id bigint PRIMARY KEY, state text, total bigint);\n'), false));
    // A down file, not linted (a folder was named): read again with its migration, the report is the same.
    expect(await step('a down file edited', () => writeFile(file('2024-03-01-000000_total/down.sql'), 'SELECT 1;\n'), true)).toBe(outputs.at(-1));
    outputs.push(await step('a sidecar added', () => writeFile(file('2024-02-01-000000_index/metadata.toml'), 'run_in_transaction = false\n'), false));
    outputs.push(await step('two files edited', async () => {
      await writeFile(file('2024-02-01-000000_index/up.sql'), 'CREATE INDEX orders_state ON orders (state, id);\n');
      await writeFile(file('2024-03-01-000000_total/up.sql'), 'ALTER TABLE orders ADD COLUMN paid boolean NOT NULL;\n');
    }, false));
    outputs.push(await step('a migration added', async () => {
      await mkdir(join(root, 'migrations/2024-04-01-000000_more'));
      await writeFile(join(root, 'migrations/2024-04-01-000000_more/up.sql'), 'ALTER TABLE orders DROP COLUMN state;\n');
    }, false));
    outputs.push(await step('the added one edited', () => writeFile(file('2024-04-01-000000_more/up.sql'), 'ALTER TABLE orders DROP COLUMN total;\n'), true));
    outputs.push(await step('a migration renamed', () => rename(join(root, 'migrations/2024-04-01-000000_more'), join(root, 'migrations/2024-05-01-000000_more')), false));
    outputs.push(await step('a migration removed', async () => {
      await unlink(file('2024-05-01-000000_more/up.sql'));
      await rm(file('2024-05-01-000000_more'), { recursive: true });
    }, false));
    outputs.push(await step('the config changed', () => writeFile(join(root, 'pgpro.yml'), 'fail-on: warning\n'), false));
    outputs.push(await step('edited under that config', () => writeFile(file('2024-03-01-000000_total/up.sql'), 'ALTER TABLE orders ADD COLUMN paid boolean;\n'), true));
    // Most changes changed the report, so most steps compared a new answer.
    expect(new Set(outputs).size).toBeGreaterThan(10);
  });

  it('keeps the later folders of a monorepo when the catalog after the changed file is the same; color; JSON the full way', async () => {
    const { root, cacheDir, env } = await project({
      'a/migrations/0001_t.sql': 'CREATE TABLE t (id int PRIMARY KEY, name text);\n',
      'a/migrations/0002_t.sql': 'ALTER TABLE t ADD COLUMN c int NOT NULL;\n',
      'b/migrations/0001_u.sql': 'CREATE TABLE u (id int PRIMARY KEY);\n',
      'b/migrations/0002_u.sql': 'CREATE INDEX u_id ON u (id);\n',
    });
    const named = ['a/migrations/0001_t.sql', 'a/migrations/0002_t.sql', 'b/migrations/0001_u.sql', 'b/migrations/0002_u.sql'];
    const changes: [string, string[], string, boolean][] = [
      // A comment: the catalog after a/0002 is the one b's files were linted on.
      ['comment, color', ['--color'], 'ALTER TABLE t ADD COLUMN c int NOT NULL;\n-- c\n', true],
      // Its schema: b's files come after it, on another catalog.
      ['schema, color', ['--color'], 'ALTER TABLE t ADD COLUMN d bigint NOT NULL;\n', false],
      // The text run before it was answered from the kept result, which leaves the parts kept in color.
      ['comment, text', [], 'ALTER TABLE t ADD COLUMN d bigint NOT NULL;\n-- c\n', false],
      ['comment, text again', [], 'ALTER TABLE t ADD COLUMN d bigint NOT NULL;\n-- e\n', true],
      ['comment, JSON', ['--format', 'json'], 'ALTER TABLE t ADD COLUMN d bigint NOT NULL;\n-- d\n', false],
    ];
    for (const [what, extra, text, alone] of changes) {
      const argv = ['lint', '-C', root, ...extra, ...named];
      await cli(argv, env);
      const before = await ageMemo(cacheDir);
      await writeFile(join(root, 'a/migrations/0002_t.sql'), text);
      const run = await cli(argv, env);
      const fresh = await cli([...argv, '--no-cache'], env);
      const same = (stdout: string) => withoutTime(stdout).replace(/"durationMs": \d+/g, '');
      expect(same(run.stdout), what).toBe(same(fresh.stdout));
      expect(run.stdout, what).toContain('0002_t.sql');
      expect((await ageMemo(cacheDir)).edited, what).toBe(alone ? before.edited + 1 : 0);
    }
  });
});
