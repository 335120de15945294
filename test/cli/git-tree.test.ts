import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitTree } from '../../src/cli/git.js';

describe('gitTree', () => {
  let repo: string;
  const files: Record<string, string> = {
    'db/migrations/0001_a.sql': 'CREATE TABLE a (id int);\n',
    'db/migrations/0002 with space.sql': 'SELECT \'héllo ✓\';\n',
    'db/migrations/0003_empty.sql': '',
    'README.md': '# x\n',
  };
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'pgpro-git-tree-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(repo, path, '..'), { recursive: true });
      writeFileSync(join(repo, path), text);
    }
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd: repo });
    git('init', '-q');
    git('add', '--', ...Object.keys(files));
    git('commit', '-qm', 'one');
    // The working tree moves on; the tree of HEAD is what is read.
    writeFileSync(join(repo, 'db/migrations/0001_a.sql'), 'changed\n');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('reads many files of a commit at once, as committed', async () => {
    const tree = await gitTree(repo, 'HEAD');
    expect([...tree.paths].sort()).toEqual(Object.keys(files).sort());
    const texts = await Promise.all(Object.keys(files).map((path) => tree.read(path)));
    expect(texts).toEqual(Object.values(files));
    // And one at a time, later.
    expect(await tree.read('README.md')).toBe('# x\n');
    expect(await tree.read('no/such/file.sql')).toBeUndefined();
  });
});
