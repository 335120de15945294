// resolveFrom: the paths a hook names, joined without path.resolve when nothing needs normalizing.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveFrom } from '../../src/cli/lint-input.js';

describe('resolveFrom', () => {
  it('gives what path.resolve gives', () => {
    const paths = ['db/1.sql', 'a', '/abs/x.sql', './db/1.sql', 'db/../x.sql', 'db//1.sql', 'db/', '.', '..', '', '/', 'a/.hidden/b.sql', 'a/..b/c', 'a\\b', '/x/./y', 'x/.'];
    for (const base of ['/work/repo', '/']) {
      for (const p of paths) expect(resolveFrom(base, p), `${base} + ${p}`).toBe(resolve(base, p));
    }
  });
});
