import { describe, expect, it } from 'vitest';
import { MAX_RESULT_CHARS, runTool, type AgentTools } from '../../src/agent/index.js';

function tools(overrides: Partial<AgentTools> = {}): AgentTools {
  return {
    query: async () => ({ rows: [] }),
    explain: async () => 'Seq Scan on orders',
    describe: async () => 'Table orders',
    ...overrides,
  };
}

describe('runTool', () => {
  it('returns at most 50 rows and says how many were left out', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ id: i, big: BigInt(i) }));
    const outcome = await runTool(tools({ query: async () => ({ rows }) }), 'run_query', { sql: 'SELECT id FROM orders' });
    const lines = outcome.content.split('\n');
    expect(outcome.isError).toBe(false);
    expect(lines[0]).toBe('120 row(s)');
    expect(lines[1]).toBe('{"id":0,"big":"0"}');
    expect(lines[50]).toBe('{"id":49,"big":"49"}');
    expect(lines[51]).toBe('… [70 more rows not shown]');
  });

  it('truncates long results to the character limit', async () => {
    const plan = 'x'.repeat(MAX_RESULT_CHARS + 500);
    const outcome = await runTool(tools({ explain: async () => plan }), 'explain_query', { sql: 'SELECT 1' });
    expect(outcome.content).toBe(`${'x'.repeat(MAX_RESULT_CHARS)}\n… [truncated: 500 more characters]`);
  });

  it('turns sandbox errors, bad input and unknown tools into error results', async () => {
    const failing = tools({ describe: async () => Promise.reject(new Error('relation "nope" does not exist')) });
    expect(await runTool(failing, 'describe_table', { table: 'nope' })).toEqual({
      content: 'Error: relation "nope" does not exist',
      isError: true,
    });
    expect(await runTool(failing, 'describe_table', { table: 'x; drop table y' })).toEqual({
      content: 'describe_table needs {"table": "name"} or {"table": "schema.name"}.',
      isError: true,
    });
    expect(await runTool(failing, 'run_query', {})).toEqual({ content: 'run_query needs {"sql": "SELECT …"}.', isError: true });
    expect(await runTool(failing, 'drop_database', {})).toEqual({
      content: 'Unknown tool "drop_database". Available: describe_table, run_query, explain_query.',
      isError: true,
    });
  });

  it('asks the explain tool for a bare SELECT', async () => {
    const outcome = await runTool(tools(), 'explain_query', { sql: 'EXPLAIN SELECT 1' });
    expect(outcome).toEqual({ content: 'Rejected: only a SELECT is allowed, got ExplainStmt.', isError: true });
  });
});
