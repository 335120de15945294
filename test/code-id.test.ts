import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codeId, sourceTreeHash } from '../src/code-id.js';
import { VERSION } from '../src/version.js';
import { tempDirs } from './helpers/temp-dirs.js';

const tempDir = tempDirs('pgpro-code-id-');
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

function tree(files: Record<string, string>): string {
  const root = tempDir();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('sourceTreeHash', () => {
  const files = { 'src/a.ts': 'export const a = 1;\n', 'src/lib/b.ts': 'export const b = 2;\n', 'package-lock.json': '{"lockfileVersion":3}\n' };

  it('is the same for the same sources, wherever they are', () => {
    expect(sourceTreeHash(tree(files))).toBe(sourceTreeHash(tree(files)));
  });

  it('changes with any source file, a file added or renamed, and the locked dependencies', () => {
    const base = sourceTreeHash(tree(files));
    expect(sourceTreeHash(tree({ ...files, 'src/lib/b.ts': 'export const b = 3;\n' }))).not.toBe(base);
    expect(sourceTreeHash(tree({ ...files, 'src/c.ts': '' }))).not.toBe(base);
    expect(sourceTreeHash(tree({ ...files, 'package-lock.json': '{"lockfileVersion":3,"x":1}\n' }))).not.toBe(base);
    const renamed = tree(files);
    renameSync(join(renamed, 'src/a.ts'), join(renamed, 'src/a2.ts'));
    expect(sourceTreeHash(renamed)).not.toBe(base);
  });

  it('ignores what is outside the sources', () => {
    expect(sourceTreeHash(tree({ ...files, 'dist/x.js': 'x', 'README.md': 'y' }))).toBe(sourceTreeHash(tree(files)));
  });
});

describe('codeId', () => {
  it('run from the sources, is the version and the hash of the sources running', () => {
    expect(codeId()).toBe(`${VERSION}+${sourceTreeHash(ROOT)}`);
  });
});
