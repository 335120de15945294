import { describe, expect, it } from 'vitest';
import { buildUserMessage, estimateTokens } from '../../src/agent/prompt.js';
import type { AgentInput } from '../../src/agent/index.js';
import type { Finding } from '../../src/types.js';
import { CATALOG, fkInput } from './fixtures.js';

function finding(file: string, severity: Finding['severity'], line = 1): Finding {
  return { rule: `rule-${severity}`, severity, source: 'lint', file, line, endLine: line, message: `${severity} in ${file}`, fingerprint: 'f' };
}

function statements(n: number, table: string): string {
  return Array.from({ length: n }, (_, i) => `ALTER TABLE ${table} ADD COLUMN c${i} integer; -- padding padding padding`).join('\n');
}

describe('buildUserMessage', () => {
  it('numbers lines as file lines, adding the line offset', () => {
    const input: AgentInput = {
      migrations: [{ file: 'db/20260101_x.sql', sql: 'SELECT 1;\nSELECT 2;\n', lineOffset: 9, convention: 'dbmate', inTransaction: false }],
      findings: [],
      postgresVersion: 15,
    };
    const { text, omitted } = buildUserMessage(input, 10_000);
    expect(text).toContain(
      '<migration file="db/20260101_x.sql" convention="dbmate" transaction="no wrapping transaction: each statement commits on its own">\n10| SELECT 1;\n11| SELECT 2;\n</migration>',
    );
    expect(text).toContain('Target PostgreSQL version: 15.');
    expect(text).toContain('<findings>\nThe deterministic checks reported nothing.\n</findings>');
    expect(text).toContain('<schema_before>\nNot available.\n</schema_before>');
    expect(omitted).toEqual([]);
  });

  it('fits everything when the budget allows', () => {
    const message = buildUserMessage(fkInput(), 100_000);
    expect(message.omitted).toEqual([]);
    expect(message.text).toContain('CREATE TABLE audit.events');
  });

  it('trims by priority: error migrations, findings, touched schema, other migrations, other schema', () => {
    const input: AgentInput = {
      migrations: [
        { file: 'a_quiet.sql', sql: statements(40, 'customers'), lineOffset: 0, convention: 'plain', inTransaction: true },
        { file: 'b_error.sql', sql: statements(40, 'orders'), lineOffset: 0, convention: 'plain', inTransaction: true },
      ],
      catalog: CATALOG,
      findings: [finding('b_error.sql', 'error', 3), finding('a_quiet.sql', 'info')],
      postgresVersion: 16,
    };
    const full = buildUserMessage(input, 1_000_000);
    const errorMigration = /<migration file="b_error\.sql"[\s\S]*?<\/migration>/.exec(full.text)![0];
    const touchedSchema = /CREATE TABLE public\.orders[\s\S]*?\);/.exec(full.text)![0];
    // Room for the error migration, the findings and the touched tables; not for the other migration.
    const budget = estimateTokens(errorMigration) + estimateTokens(touchedSchema) * 2 + 400;
    const trimmed = buildUserMessage(input, budget);

    expect(trimmed.text).toContain(errorMigration);
    expect(trimmed.text).toContain('- [error] rule-error (lint) b_error.sql:3: error in b_error.sql');
    expect(trimmed.text).toContain('- [info] rule-info (lint) a_quiet.sql:1: info in a_quiet.sql');
    expect(trimmed.text).toContain('CREATE TABLE public.orders');
    expect(trimmed.text).toContain('CREATE TABLE public.customers');
    expect(trimmed.text).not.toContain('CREATE TABLE audit.events');
    expect(trimmed.omitted[0]).toMatch(/^migration text of a_quiet\.sql( after line \d+)?$/);
    expect(trimmed.omitted.slice(1)).toEqual(['schema of 1 table(s) (audit.events)', 'enums, extensions and functions']);
    expect(trimmed.text).toContain(`Left out to fit the token budget: ${trimmed.omitted.join('; ')}.`);
    expect(estimateTokens(trimmed.text)).toBeLessThanOrEqual(budget);
  });

  it('keeps the first lines of a migration too large for the budget, and says where it stops', () => {
    const input: AgentInput = {
      migrations: [{ file: 'big.sql', sql: statements(2000, 'orders'), lineOffset: 0, convention: 'plain', inTransaction: true }],
      findings: [finding('big.sql', 'error')],
      postgresVersion: 16,
    };
    const { text, omitted } = buildUserMessage(input, 3000);
    const cut = /\[lines (\d+)-2000 left out for the token budget\]/.exec(text);
    expect(cut).not.toBeNull();
    expect(text).toContain(`${Number(cut![1]) - 1}| ALTER TABLE orders`);
    expect(omitted).toEqual([`migration text of big.sql after line ${Number(cut![1]) - 1}`]);
    expect(estimateTokens(text)).toBeLessThanOrEqual(3000);
  });
});
