// The published JSON schema (schema/pgpro.schema.json): generated from the zod schema, it accepts every
// example config in the docs and rejects what pgpro rejects, so editors warn where the check would fail.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/parse.js';
import { renderConfigJsonSchema } from '../../src/config/json-schema.js';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
const committed = read('schema/pgpro.schema.json');
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(committed));

/** Every ```yaml (or ```yml) block of a Markdown file. */
function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

/** Repository-relative paths of every file under a directory. */
function filesUnder(dir: string): string[] {
  return readdirSync(fileURLToPath(new URL(`../../${dir}`, import.meta.url)), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(fileURLToPath(new URL('../../', import.meta.url)), join(entry.parentPath, entry.name)).split(sep).join('/'));
}

const markdownUnder = (dir: string) => filesUnder(dir).filter((file) => file.endsWith('.md'));

describe('schema/pgpro.schema.json', () => {
  it('is the one the zod schema generates (run `npm run schema` after changing src/config/schema.ts)', () => {
    expect(committed).toBe(renderConfigJsonSchema());
  });

  // Every config in the docs: the YAML blocks of README.md and docs/**/*.md that set a top-level config key
  // (workflows, pre-commit and compose files set none), and the example projects' pgpro.yml files.
  const configKeys = new Set(Object.keys((JSON.parse(committed) as { properties: Record<string, unknown> }).properties));
  const isConfig = (text: string) => {
    const parsed = parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.keys(parsed).some((key) => configKeys.has(key));
  };
  const examples: [string, string][] = [
    ...['README.md', ...markdownUnder('docs')].flatMap((file) =>
      yamlBlocks(read(file))
        .filter(isConfig)
        .map((text, i): [string, string] => [`${file} block ${i + 1}`, text]),
    ),
    ...filesUnder('examples')
      .filter((file) => /(^|\/)pgpro\.ya?ml$/.test(file))
      .map((file): [string, string] => [file, read(file)]),
  ];

  it('has example configs to check: the README, docs/config.md, the rules and production-stats pages, the shop', () => {
    expect(examples.map(([where]) => where.replace(/ block \d+$/, ''))).toEqual(
      expect.arrayContaining(['README.md', 'docs/config.md', 'docs/rules/README.md', 'docs/production-stats.md', 'examples/shop/pgpro.yml']),
    );
  });

  it.each(examples)('accepts %s, as pgpro does', (_where, text) => {
    expect(() => parseConfig(text as string, 'example.yml')).not.toThrow();
    expect(validate(parse(text as string) ?? {}), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects a misspelled key, a bad enum value and a bad rule setting, and allows $schema', () => {
    expect(validate({ mirgations: { paths: [] } })).toBe(false);
    expect(validate.errors).toEqual([expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'mirgations' } })]);
    expect(validate({ sandbox: { engine: 'mysql' } })).toBe(false);
    expect(validate({ rules: { 'ban-drop-column': 'fatal' } })).toBe(false);
    expect(validate({ $schema: './schema/pgpro.schema.json', 'fail-on': 'warning' })).toBe(true);
  });
});

describe('config errors', () => {
  function message(text: string): string {
    try {
      parseConfig(text, '.github/pgpro.yml');
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected an error');
  }

  it('names a misspelled key on its own line, with the key it probably meant and the keys allowed there', () => {
    expect(message('fail-on: error\nmirgations:\n  paths: []\n')).toMatch(
      /^Invalid pgpro config in \.github\/pgpro\.yml:\n  - mirgations \(line 2\): unknown key "mirgations"; did you mean "migrations"\? Keys here: migrations, postgres-version, fail-on, .*, docs-url\.$/,
    );
    expect(message('sandbox:\n  preset: none\n  enigne: postgres\n')).toContain('  - sandbox.enigne (line 3): unknown key "enigne"; did you mean "engine"?');
  });

  it('says what a rule setting and a setup entry may be', () => {
    expect(message('rules:\n  ban-drop-column: fatal\n')).toContain('  - rules.ban-drop-column (line 2): must be one of off, error, warning, info.');
    expect(message('sandbox:\n  setup:\n    - sqll: x\n')).toContain('  - sandbox.setup.0 (line 3): each setup entry is either { file: <path in the repository> } or { sql: <statements> }.');
  });

  it('ignores $schema', () => {
    expect(parseConfig('$schema: ../schema/pgpro.schema.json\nfail-on: warning\n', 'x.yml')['fail-on']).toBe('warning');
  });
});
