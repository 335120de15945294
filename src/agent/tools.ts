import type { Tool } from '@anthropic-ai/sdk/resources/messages';
import { neutraliseTags } from './context.js';
import { checkReadOnlySql, isTableName } from './readonly.js';
import { scrubRow, scrubSecretsReport } from './scrub.js';
import type { AgentTools } from './types.js';

export const MAX_RESULT_ROWS = 50;
export const MAX_RESULT_CHARS = 4000;

export const TOOL_DEFINITIONS: Tool[] = [
  {
    name: 'describe_table',
    description:
      'Describe one table of the sandbox database as it is after the migrations ran: columns with types, ' +
      'nullability and defaults, indexes, constraints, the synthetic rows the sandbox holds and the production ' +
      'size when the user stated one. Use it to check what a migration produced or what an existing table looks ' +
      'like before you claim something about it.',
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
  /** Kinds of secret withheld from this result. */
  redacted: string[];
}

function truncate(text: string, limit = MAX_RESULT_CHARS): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}\n… [truncated: ${text.length - limit} more characters]`;
}

function formatRows(rows: Record<string, unknown>[], redacted: Set<string>): string {
  const shown = rows.slice(0, MAX_RESULT_ROWS);
  const lines = shown.map((row) =>
    JSON.stringify(scrubRow(row, redacted), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)),
  );
  const more = rows.length > shown.length ? `\n… [${rows.length - shown.length} more rows not shown]` : '';
  return `${rows.length} row(s)\n${lines.join('\n')}${more}`;
}

function stringInput(input: unknown, key: string): string | undefined {
  if (input === null || typeof input !== 'object') return undefined;
  const value = (input as Record<string, unknown>)[key];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

/**
 * A tool result is data a migration may have written (COMMENT ON text, names, values): it goes back
 * scrubbed and inside an <untrusted> block the model is told never to follow.
 */
function untrusted(tool: string, text: string, redacted: Set<string>): string {
  const scrubbed = scrubSecretsReport(text);
  scrubbed.redacted.forEach((r) => redacted.add(r));
  return `<untrusted source="${tool}">\n${neutraliseTags(truncate(scrubbed.text))}\n</untrusted>`;
}

/** Runs one tool call. Errors (bad input, rejected SQL, a failing query) go back to the model as is_error. */
export async function runTool(tools: AgentTools, name: string, input: unknown): Promise<ToolOutcome> {
  const redacted = new Set<string>();
  const done = (content: string, isError = false): ToolOutcome => ({ content, isError, redacted: [...redacted] });
  try {
    switch (name) {
      case 'describe_table': {
        const table = stringInput(input, 'table');
        if (!table || !isTableName(table)) {
          return done('describe_table needs {"table": "name"} or {"table": "schema.name"}.', true);
        }
        return done(untrusted(name, await tools.describe(table), redacted));
      }
      case 'run_query': {
        const sql = stringInput(input, 'sql');
        if (!sql) return done('run_query needs {"sql": "SELECT …"}.', true);
        const check = await checkReadOnlySql(sql, true);
        if (!check.ok) return done(`Rejected: ${check.reason}.`, true);
        const { rows } = await tools.query(sql);
        return done(untrusted(name, formatRows(rows, redacted), redacted));
      }
      case 'explain_query': {
        const sql = stringInput(input, 'sql');
        if (!sql) return done('explain_query needs {"sql": "SELECT …"}.', true);
        const check = await checkReadOnlySql(sql, false);
        if (!check.ok) return done(`Rejected: ${check.reason}.`, true);
        return done(untrusted(name, await tools.explain(sql), redacted));
      }
      default:
        return done(`Unknown tool "${name}". Available: describe_table, run_query, explain_query.`, true);
    }
  } catch (error) {
    return done(untrusted(name, `Error: ${(error as Error).message ?? String(error)}`, redacted), true);
  }
}
