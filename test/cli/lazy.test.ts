// `pgpro --help`, `--version` and `lint` must start fast: the modules they load statically (dynamic
// imports are the lazy edges) reach neither the sandbox (PGlite) nor the GitHub App's stack.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_PACKAGES, loadAppModule } from '../../src/app-stack.js';
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

/** Every module, package and Node module reached from `entry` through static imports. */
function staticGraph(entry: string): { modules: Set<string>; packages: Set<string>; builtins: Set<string> } {
  const modules = new Set<string>();
  const packages = new Set<string>();
  const builtins = new Set<string>();
  const visit = (file: string) => {
    const rel = relative(REPO, file);
    if (modules.has(rel)) return;
    modules.add(rel);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (spec.startsWith('node:')) builtins.add(spec);
      else packages.add(spec);
    }
  };
  visit(join(REPO, entry));
  return { modules, packages, builtins };
}

describe('the CLI loads what a command needs', () => {
  it.each(['src/cli/main.ts', 'src/cli/lint-command.ts'])('%s reaches no sandbox, App or Claude module', (entry) => {
    const { modules, packages } = staticGraph(entry);
    expect([...modules].filter((m) => HEAVY_MODULES.test(m))).toEqual([]);
    expect([...packages].filter((p) => HEAVY_PACKAGES.test(p))).toEqual([]);
  });

  it('the entry loads no module before it knows the command, and the help text none at all', () => {
    expect(staticImports(join(REPO, 'src/cli/main.ts'))).toEqual([]);
    expect(staticImports(join(REPO, 'src/cli/help.ts'))).toEqual([]);
  });

  it('lint loads the parser and the rules only when a file is not in its cache', () => {
    const { modules, packages } = staticGraph('src/cli/lint-command.ts');
    expect(packages.has('libpg-query')).toBe(false);
    // Nor the config schema (zod) and YAML when there is no config file, nor a reporter it does not print.
    expect([...packages].filter((p) => ['zod', 'yaml', 'diff'].includes(p))).toEqual([]);
    expect([...modules].filter((m) => m.startsWith('src/report/') && !['src/report/load.ts', 'src/report/formats.ts'].includes(m))).toEqual([]);
    // src/rules/lib/squawk.ts is a table of ids (no rule code): reading -- squawk-ignore directives needs it.
    const ruleCode = (m: string) => (m.startsWith('src/rules/') && m !== 'src/rules/lib/squawk.ts') || m === 'src/lint/engine.ts';
    expect([...modules].filter(ruleCode)).toEqual([]);
  });

  it.each(['src/cli/main.ts', 'src/cli/lint-command.ts'])('%s loads no node:crypto, node:v8 or perf_hooks (a few ms of --help or of a lint answered from its memo)', (entry) => {
    const { modules, builtins } = staticGraph(entry);
    expect([...builtins].filter((b) => ['node:crypto', 'node:v8', 'node:perf_hooks'].includes(b))).toEqual([]);
    expect([...modules].filter((m) => /\bperformance\.now\(/.test(readFileSync(join(REPO, m), 'utf8')))).toEqual([]);
  });

  it.each(['src/index.ts', 'src/cli/review-command.ts', 'src/cli/ci-command.ts', 'src/cli/rules-command.ts', 'src/github/server.ts'])(
    "%s reaches none of the App's optional packages (the library and CLI install without them)",
    (entry) => {
      const { packages } = staticGraph(entry);
      expect([...packages].filter((p) => (APP_PACKAGES as readonly string[]).includes(p))).toEqual([]);
    },
  );

  it('the worker and the server do need them, and load them through loadAppModule', async () => {
    expect(staticGraph('src/cli/worker.ts').packages).toContain('probot');
    expect(staticGraph('src/github/serve.ts').packages).toContain('prom-client');
    const missing = Object.assign(new Error("Cannot find package 'bullmq' imported from /x/dist/github/worker.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(loadAppModule('pgpro worker', () => Promise.reject(missing))).rejects.toThrow(
      "pgpro worker needs the GitHub App's packages, which are not installed with pgpro (the CLI and library do not need them): bullmq is missing. Install them beside pgpro: npm install probot bullmq ioredis prom-client bottleneck",
    );
    // Any other failure is not hidden behind that advice.
    const other = Object.assign(new Error("Cannot find package 'left-pad' imported from /x"), { code: 'ERR_MODULE_NOT_FOUND' });
    await expect(loadAppModule('pgpro worker', () => Promise.reject(other))).rejects.toBe(other);
  });

  it("package.json: the App's packages are optional peers (dev dependencies here, so npm ci has them); squawk is for the bench only", () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, Record<string, unknown>>;
    expect(Object.keys(pkg.peerDependencies!)).toEqual([...APP_PACKAGES]);
    for (const name of APP_PACKAGES) {
      expect(pkg.peerDependenciesMeta![name], name).toEqual({ optional: true });
      expect(pkg.devDependencies![name], name).toBe(pkg.peerDependencies![name]);
      expect(pkg.dependencies![name], name).toBeUndefined();
    }
    const shipped = { ...pkg.dependencies, ...pkg.optionalDependencies };
    expect(Object.keys(shipped).filter((name) => name.startsWith('@squawk-cli/') || name === 'squawk-cli')).toEqual([]);
    expect(pkg.devDependencies!['@squawk-cli/linux-x64']).toBeDefined();
  });

  it('the review command does reach them (the check above sees through the import graph)', () => {
    const { modules, packages } = staticGraph('src/cli/review-command.ts');
    expect(modules.has('src/review.ts')).toBe(true);
    expect(modules.has('src/sandbox/sandbox.ts')).toBe(true);
    expect(packages.has('picomatch')).toBe(true);
    // PGlite itself is loaded by the sandbox worker (and initdb) only: the review's main thread never
    // starts one. Claude's SDK (~1 MB of code, ~0.1 s of a CLI review's start with pg) is loaded when the
    // agent runs, and pg for the server engine or a replica's statistics only.
    expect([...packages].filter((p) => HEAVY_PACKAGES.test(p))).toEqual([]);
  });
});
