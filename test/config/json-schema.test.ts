// The published JSON schema (schema/pgpro.schema.json): generated from the zod schema, it accepts every
// example config in the docs and rejects what pgpro rejects, so editors warn where the check would fail.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/parse.js';
import { renderConfigJsonSchema } from '../../src/config/json-schema.js';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
const committed = read('schema/pgpro.schema.json');
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(committed));

/** Every ```yaml block of a Markdown file. */
function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

describe('schema/pgpro.schema.json', () => {
  it('is the one the zod schema generates (run `npm run schema` after changing src/config/schema.ts)', () => {
    expect(committed).toBe(renderConfigJsonSchema());
  });

  const examples = [...yamlBlocks(read('docs/config.md')), ...yamlBlocks(read('README.md')).filter((block) => /^(postgres-version|fail-on|rules|migrations):/m.test(block))];

  it('has example configs to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples.map((text, i) => [i, text]))('accepts docs example %i, as pgpro does', (_i, text) => {
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
