import { describe, expect, it } from 'vitest';
import { defaultsWithoutSchema } from '../../src/config/defaults.js';
import { ConfigError, defaultConfig, parseConfig, validateConfig } from '../../src/config/parse.js';

function problems(text: string): ConfigError['problems'] {
  try {
    parseConfig(text, '.github/pgpro.yml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('gives the defaults for an empty file', () => {
    expect(parseConfig('', 'pgpro.yml')).toEqual(defaultConfig());
    expect(defaultConfig()['fail-on']).toBe('error');
    expect(defaultConfig().sandbox.engine).toBe('pglite');
  });

  it('the defaults written out for runs without a config file are the schema\'s, key order included (lint cache keys hash them)', () => {
    expect(JSON.stringify(defaultsWithoutSchema())).toBe(JSON.stringify(defaultConfig()));
    const mine = defaultsWithoutSchema();
    mine.rules['ban-drop-table'] = 'off';
    expect(defaultsWithoutSchema().rules).toEqual({});
  });

  it('keeps what the file sets and fills in the rest', () => {
    const config = parseConfig('postgres-version: 12\nrules:\n  ban-drop-column: off\n  prefer-text-field: error\nexplain:\n  rows:\n    public.orders: 50000\n', 'pgpro.yml');
    expect(config['postgres-version']).toBe(12);
    expect(config.rules).toEqual({ 'ban-drop-column': 'off', 'prefer-text-field': 'error' });
    expect(config.explain.rows).toEqual({ 'public.orders': 50000 });
    expect(config.explain['default-rows']).toBe(20000);
  });

  it('names the key, its line and what is wrong, for every problem at once', () => {
    expect(problems('fail-on: sometimes\nsandbox:\n  engine: mysql\n  memory-mb: 10\n')).toEqual([
      { path: 'fail-on', line: 1, message: expect.stringContaining('"error"') },
      { path: 'sandbox.engine', line: 3, message: expect.stringContaining('"pglite"') },
      { path: 'sandbox.memory-mb', line: 4, message: expect.stringMatching(/>=\s*512/) },
    ]);
  });

  it('rejects keys it does not know instead of ignoring a typo', () => {
    const [problem] = problems('fail_on: warning\n');
    expect(problem?.message).toMatch(/fail_on/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(problems('postgres-version: 16\nrules:\n  a: off\n  a: error\n')).toEqual([
      { path: '', message: 'Map keys must be unique', line: 4 },
    ]);
  });

  it('puts file, key and line into the message a user sees', () => {
    expect(() => parseConfig('rules:\n  x: loud\n', '.github/pgpro.yml')).toThrow(
      /Invalid pgpro config in \.github\/pgpro\.yml:\n {2}- rules\.x \(line 2\): /,
    );
  });

  it('rejects a rule id it does not know, naming the closest one, with the line', () => {
    expect(problems('fail-on: warning\nrules:\n  ban-drop-colum: off\n  renaming-table: error\n  require-concurent-index-creation: warning\n')).toEqual([
      { path: 'rules.ban-drop-colum', line: 3, message: 'unknown rule "ban-drop-colum"; did you mean "ban-drop-column"?' },
      {
        path: 'rules.require-concurent-index-creation',
        line: 5,
        message: 'unknown rule "require-concurent-index-creation"; did you mean "require-concurrent-index-creation"?',
      },
    ]);
  });

  it('accepts every stage\'s ids and agent topics, and maps squawk\'s own ids', () => {
    const config = parseConfig('rules:\n  table-rewrite: off\n  fk-path-seq-scan: error\n  agent/locking: off\n  unused-ignore: off\n', 'pgpro.yml');
    expect(Object.keys(config.rules)).toEqual(['table-rewrite', 'fk-path-seq-scan', 'agent/locking', 'unused-ignore']);
    expect(problems('rules:\n  require-lock-timeout: off\n')).toEqual([
      { path: 'rules.require-lock-timeout', line: 2, message: 'unknown rule "require-lock-timeout": that is squawk\'s id; pgpro\'s rule is "require-timeout-settings"' },
    ]);
    expect(problems('rules:\n  require-table-schema: off\n')[0]!.message).toMatch(/squawk has it, pgpro does not/);
    expect(problems('rules:\n  agent/: off\n')[0]!.message).toMatch(/unknown rule "agent\/"/);
  });

  it('validates an already-loaded object (the app reads YAML through Probot)', () => {
    expect(() => validateConfig({ rules: { 'ban-drop-tabel': 'off' } }, '.github/pgpro.yml')).toThrow(
      /rules\.ban-drop-tabel: unknown rule "ban-drop-tabel"; did you mean "ban-drop-table"\?/,
    );
    expect(validateConfig({ github: { drafts: true } }, '.github/pgpro.yml').github.drafts).toBe(true);
    expect(() => validateConfig({ agent: { severity: 'fatal' } }, '.github/pgpro.yml')).toThrow(/agent\.severity/);
  });
});
