// --base mode gives the review the change's diff (ChangeSet.patches), as GitHub gives a pull request's.
import { execFileSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localChangeSet } from '../../src/cli/input.js';

let repo: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' });

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'pgpro-patches-'));
  git('init', '-q');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 'T');
  await mkdir(join(repo, 'src'));
  await mkdir(join(repo, 'db'));
  await writeFile(join(repo, 'src/app.ts'), 'export const a = 1;\nexport const b = 2;\n');
  await writeFile(join(repo, 'db/0001.sql'), 'CREATE TABLE t (id int);\n');
  git('add', '.');
  git('commit', '-qm', 'base');
  await writeFile(join(repo, 'src/app.ts'), 'export const a = 1;\nexport const b = 3;\n');
  await writeFile(join(repo, 'src/new.ts'), 'export const c = 4;\n');
  await writeFile(join(repo, 'db/0002.sql'), 'ALTER TABLE t ADD COLUMN c int;\n');
});
afterAll(() => rm(repo, { recursive: true, force: true }));

describe('localChangeSet --base', () => {
  it("carries every changed file's hunks, tracked and untracked", async () => {
    const { change } = await localChangeSet(repo, [], 'HEAD');
    expect(change.patches).toEqual({
      'src/app.ts': '@@ -1,2 +1,2 @@\n export const a = 1;\n-export const b = 2;\n+export const b = 3;',
      'src/new.ts': '@@ -0,0 +1,1 @@\n+export const c = 4;',
      'db/0002.sql': '@@ -0,0 +1,1 @@\n+ALTER TABLE t ADD COLUMN c int;',
    });
  });

  it('keeps the whole diff when the review is narrowed to a directory', async () => {
    const { change } = await localChangeSet(repo, ['db'], 'HEAD');
    expect(change.head.paths).toEqual(['db/0001.sql', 'db/0002.sql']);
    expect(Object.keys(change.patches ?? {}).sort()).toEqual(['db/0002.sql', 'src/app.ts', 'src/new.ts']);
  });
});
