// `pgpro --help`, `--version` and `lint` must start fast: the modules they load statically (dynamic
// imports are the lazy edges) reach neither the sandbox (PGlite) nor the GitHub App's stack.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';

const HEAVY_PACKAGES = /^(@electric-sql\/pglite|probot|@octokit\/|bullmq|ioredis|pg$|@anthropic-ai\/sdk)/;
const HEAVY_MODULES = /^src\/(sandbox|github|agent|explain|proof|synthetic)\/|^src\/review\.ts$/;

/** Value imports and re-exports (not `import type`, not `import()`) of a module, as written. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;'"]*?from\s+'([^']+)'/gm)) found.push(m[1]!);
  for (const m of text.matchAll(/^import\s+'([^']+)'/gm)) found.push(m[1]!);
  return found;
}

/** Every module and package reached from `entry` through static imports. */
function staticGraph(entry: string): { modules: Set<string>; packages: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    const rel = relative(REPO, file);
    if (modules.has(rel)) return;
    modules.add(rel);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(join(REPO, entry));
  return { modules, packages };
}

describe('the CLI loads what a command needs', () => {
  it.each(['src/cli/main.ts', 'src/cli/lint-command.ts'])('%s reaches no sandbox, App or Claude module', (entry) => {
    const { modules, packages } = staticGraph(entry);
    expect([...modules].filter((m) => HEAVY_MODULES.test(m))).toEqual([]);
    expect([...packages].filter((p) => HEAVY_PACKAGES.test(p))).toEqual([]);
  });

  it('lint loads the parser and the rules only when a file is not in its cache', () => {
    const { modules, packages } = staticGraph('src/cli/lint-command.ts');
    expect(packages.has('libpg-query')).toBe(false);
    // src/rules/lib/squawk.ts is a table of ids (no rule code): reading -- squawk-ignore directives needs it.
    const ruleCode = (m: string) => (m.startsWith('src/rules/') && m !== 'src/rules/lib/squawk.ts') || m === 'src/lint/engine.ts';
    expect([...modules].filter(ruleCode)).toEqual([]);
  });

  it('the review command does reach them (the check above sees through the import graph)', () => {
    const { modules, packages } = staticGraph('src/cli/review-command.ts');
    expect(modules.has('src/review.ts')).toBe(true);
    expect(packages.has('@electric-sql/pglite')).toBe(true);
  });
});
