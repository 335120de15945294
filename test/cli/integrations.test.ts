// The files other tools read: the GitHub Action runs `pgpro ci` with the inputs it declares, and the
// pre-commit hook runs the static mode on SQL files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCliArgs } from '../../src/cli/args.js';
import { cli, REPO } from './helpers.js';

const yaml = (file: string) => parse(readFileSync(join(REPO, file), 'utf8'));

describe('action.yml', () => {
  const action = yaml('action.yml');
  const steps = action.runs.steps as { run: string; env?: Record<string, string> }[];
  const review = steps.find((s) => s.run.includes('dist/cli/main.js'))!;

  it('builds pgpro, then runs `pgpro ci` with the token, fail-on and SARIF file of its inputs', () => {
    expect(action.runs.using).toBe('composite');
    expect(steps[0]!.run).toBe('npm ci --no-audit --no-fund && npm run build');
    expect(review.env).toEqual({ PGPRO_GITHUB_TOKEN: '${{ inputs.github-token }}', ANTHROPIC_API_KEY: '${{ inputs.anthropic-api-key }}' });
    // The expressions GitHub fills in: the inputs' defaults stand for them (the CLI checks the values).
    const argv = review.run
      .replace(/^node "\$\{\{ github\.action_path \}\}\/dist\/cli\/main\.js" /, '')
      .replace('${{ inputs.args }}', '')
      .replace('${{ inputs.fail-on }}', action.inputs['fail-on'].default)
      .replace('${{ inputs.sarif-file }}', action.inputs['sarif-file'].default)
      .trim()
      .split(/\s+/)
      .map((a) => a.replace(/^"|"$/g, ''));
    const args = parseCliArgs(argv);
    expect(args.command).toBe('ci');
    expect(args.failOn).toBe('error');
    expect(args.outputs).toEqual([{ format: 'text' }, { format: 'github' }, { format: 'sarif', path: 'pgpro.sarif' }]);
    expect(Object.keys(action.inputs)).toEqual(['github-token', 'fail-on', 'sarif-file', 'args', 'anthropic-api-key']);
  });
});

describe('.pre-commit-hooks.yaml', () => {
  it('runs pgpro lint on SQL files, serially (each run reads the files before it)', () => {
    const [hook] = yaml('.pre-commit-hooks.yaml');
    expect(hook).toMatchObject({ id: 'pgpro-lint', language: 'node', files: '\\.sql$', require_serial: true });
    expect(parseCliArgs(hook.entry.split(' ').slice(1))).toMatchObject({ command: 'lint', outputs: [{ format: 'compact' }] });
  });
});

describe('pgpro rules and pgpro explain', () => {
  it('lists every lint rule with its default severity and the ids only a run finds', async () => {
    const run = await cli(['rules']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}ban-drop-column +warning +\S+ +\S/m);
    expect(run.stdout).toMatch(/^ {2}require-concurrent-index-creation +error /m);
    expect(run.stdout).toContain('  pipeline: syntax-error, apply-error');
  });

  it('prints a rule page, the agent page for an agent topic, and refuses an unknown id', async () => {
    const page = await cli(['explain', 'ban-drop-column']);
    expect(page.code).toBe(0);
    expect(page.stdout).toBe(readFileSync(join(REPO, 'docs/rules/ban-drop-column.md'), 'utf8'));
    expect((await cli(['explain', 'agent/batching'])).stdout).toBe(readFileSync(join(REPO, 'docs/rules/agent.md'), 'utf8'));
    const unknown = await cli(['explain', 'ban-everything']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('pgpro: There is no rule "ban-everything" (pgpro rules lists them).\n');
    expect((await cli(['explain', '../../package'])).stderr).toBe('pgpro: "../../package" is not a rule id (pgpro rules lists them).\n');
  });
});
