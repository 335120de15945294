import type { Tool } from '@anthropic-ai/sdk/resources/messages';
import { checkReadOnlySql, isTableName } from './readonly.js';
import { scrubSecrets } from './scrub.js';
import type { AgentTools } from './types.js';

export const MAX_RESULT_ROWS = 50;
export const MAX_RESULT_CHARS = 4000;

export const TOOL_DEFINITIONS: Tool[] = [
  {
    name: 'describe_table',
    description:
      'Describe one table of the sandbox database as it is after the migrations ran: columns with types, ' +
      'nullability and defaults, indexes, constraints and the row estimate. Use it to check what a migration ' +
      'produced or what an existing table looks like before you claim something about it.',
    input_schema: {
      type: 'object',
      properties: { table: { type: 'string', description: 'Table name, optionally schema-qualified: "orders" or "public.orders".' } },
      required: ['table'],
      additionalProperties: false,
    },
  },
  {
    name: 'run_query',
    description:
      'Run one read-only SELECT (or EXPLAIN of a SELECT) against the sandbox database after the migrations ran, ' +
      'e.g. on pg_catalog, information_schema, pg_indexes or the tables themselves. Writes, SELECT INTO, ' +
      `FOR UPDATE and multiple statements are rejected. At most ${MAX_RESULT_ROWS} rows and ` +
      `${MAX_RESULT_CHARS} characters are returned. The sandbox holds few or synthetic rows: row counts there ` +
      'say nothing about production volumes.',
    input_schema: {
      type: 'object',
      properties: { sql: { type: 'string', description: 'One SELECT statement, no trailing text.' } },
      required: ['sql'],
      additionalProperties: false,
    },
  },
  {
    name: 'explain_query',
    description:
      'Show the EXPLAIN plan (without ANALYZE) of one SELECT in the sandbox database after the migrations ran, ' +
      'to check whether a query the application is likely to run can use an index. Pass the SELECT only.',
    input_schema: {
      type: 'object',
      properties: { sql: { type: 'string', description: 'One SELECT statement, without EXPLAIN.' } },
      required: ['sql'],
      additionalProperties: false,
    },
  },
];

export interface ToolOutcome {
  content: string;
  isError: boolean;
}

function truncate(text: string, limit = MAX_RESULT_CHARS): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}\n… [truncated: ${text.length - limit} more characters]`;
}

function formatRows(rows: Record<string, unknown>[]): string {
  const shown = rows.slice(0, MAX_RESULT_ROWS);
  const lines = shown.map((row) =>
    JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)),
  );
  const more = rows.length > shown.length ? `\n… [${rows.length - shown.length} more rows not shown]` : '';
  return `${rows.length} row(s)\n${lines.join('\n')}${more}`;
}

function stringInput(input: unknown, key: string): string | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const value = (input as Record<string, unknown>)[key];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/** Runs one tool call. Errors (bad input, rejected SQL, a failing query) go back to the model as is_error. */
export async function runTool(tools: AgentTools, name: string, input: unknown): Promise<ToolOutcome> {
  try {
    switch (name) {
      case 'describe_table': {
        const table = stringInput(input, 'table');
        if (!table || !isTableName(table)) {
          return { content: 'describe_table needs {"table": "name"} or {"table": "schema.name"}.', isError: true };
        }
        return { content: truncate(scrubSecrets(await tools.describe(table))), isError: false };
      }
      case 'run_query': {
        const sql = stringInput(input, 'sql');
        if (!sql) return { content: 'run_query needs {"sql": "SELECT …"}.', isError: true };
        const check = await checkReadOnlySql(sql, true);
        if (!check.ok) return { content: `Rejected: ${check.reason}.`, isError: true };
        const { rows } = await tools.query(sql);
        return { content: truncate(scrubSecrets(formatRows(rows))), isError: false };
      }
      case 'explain_query': {
        const sql = stringInput(input, 'sql');
        if (!sql) return { content: 'explain_query needs {"sql": "SELECT …"}.', isError: true };
        const check = await checkReadOnlySql(sql, false);
        if (!check.ok) return { content: `Rejected: ${check.reason}.`, isError: true };
        return { content: truncate(scrubSecrets(await tools.explain(sql))), isError: false };
      }
      default:
        return { content: `Unknown tool "${name}". Available: describe_table, run_query, explain_query.`, isError: true };
    }
  } catch (error) {
    return { content: truncate(scrubSecrets(`Error: ${(error as Error).message ?? String(error)}`)), isError: true };
  }
}
