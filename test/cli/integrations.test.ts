// The files other tools read: the GitHub Action runs `pgpro ci` with the inputs it declares, and the
// pre-commit hook runs the static mode on SQL files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCliArgs } from '../../src/cli/args.js';
import { REPO } from './helpers.js';

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
