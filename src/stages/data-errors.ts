import { quoteIdent as quote } from '../sql/quote.js';
import type { ApplyError, Fix } from '../types.js';

/**
 * When a statement fails because existing rows break a new constraint, the finding should say so and
 * give the query that shows, on production, whether real rows would break it too. Postgres' message
 * and detail name the relation and columns; the statement text gives the rest.
 */
export function dataErrorFix(error: ApplyError, statement: string): Fix | undefined {
  switch (error.sqlstate) {
    case '23502':
      return notNull(error, statement);
    case '23505':
      return unique(error, statement);
    case '23514':
      return check(error, statement);
    case '23503':
      return foreignKey(error, statement);
    default:
      return undefined;
  }
}


function notNull(error: ApplyError, statement: string): Fix | undefined {
  const match = /column "([^"]+)" of relation "([^"]+)" contains null values/.exec(error.message);
  if (!match) return undefined;
  const [, column, table] = match as unknown as [string, string, string];
  if (new RegExp(`add\\s+(column\\s+)?(if\\s+not\\s+exists\\s+)?"?${column}"?`, 'i').test(statement)) {
    return {
      title: `Existing rows of ${table} get NULL in the new column ${column}: add it with a DEFAULT, or nullable, backfill, then SET NOT NULL`,
      steps: [
        `ALTER TABLE ${quote(table)} ADD COLUMN ${quote(column)} <type> NOT NULL DEFAULT <value>; -- instant from PostgreSQL 11 for a non-volatile default`,
      ],
    };
  }
  return {
    title: `Rows of ${table} have NULL in ${column}: count them on production before this runs`,
    sql: `SELECT count(*) FROM ${quote(table)} WHERE ${quote(column)} IS NULL;`,
  };
}

function tableOf(statement: string): string | undefined {
  const match =
    /alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?([\w."$]+)/i.exec(statement) ??
    /\bon\s+(?:only\s+)?([\w."$]+)\s*(?:using\s+\w+\s*)?\(/i.exec(statement);
  return match?.[1];
}

function unique(error: ApplyError, statement: string): Fix | undefined {
  const columns = /^Key \((.+)\)=\(.*\) is duplicated\.?$/.exec(error.detail ?? '')?.[1];
  const table = tableOf(statement);
  if (!columns || !table) return undefined;
  return {
    title: `Rows of ${table} share values of (${columns}): find the duplicates on production before this runs`,
    sql: `SELECT ${columns}, count(*) FROM ${table} GROUP BY ${columns} HAVING count(*) > 1 LIMIT 100;`,
  };
}

/** The text inside the parentheses that follow `CHECK`, respecting nesting and quotes. */
function checkExpression(statement: string): string | undefined {
  const start = /\bcheck\s*\(/i.exec(statement);
  if (!start) return undefined;
  let depth = 0;
  let quoted = false;
  for (let i = start.index + start[0].length - 1; i < statement.length; i++) {
    const ch = statement[i];
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    if (ch === ')' && --depth === 0) return statement.slice(start.index + start[0].length, i).trim();
  }
  return undefined;
}

function check(error: ApplyError, statement: string): Fix | undefined {
  const table = /of relation "([^"]+)" is violated/.exec(error.message)?.[1] ?? tableOf(statement);
  const expression = checkExpression(statement);
  if (!table || !expression) return undefined;
  return {
    title: `Rows of ${table} violate the CHECK: find them on production, or add it NOT VALID and fix the rows before VALIDATE`,
    sql: `SELECT * FROM ${quote(table)} WHERE NOT (${expression}) LIMIT 100;`,
  };
}

function foreignKey(error: ApplyError, statement: string): Fix | undefined {
  const child = /on table "([^"]+)" violates foreign key/.exec(error.message)?.[1];
  const detail = /^Key \((.+)\)=\(.*\) is not present in table "([^"]+)"/.exec(error.detail ?? '');
  const references = /references\s+([\w."$]+)\s*\(([^)]+)\)/i.exec(statement);
  if (!child || !detail) return undefined;
  const childColumns = detail[1]!.split(',').map((c) => c.trim());
  const parent = detail[2]!;
  const parentColumns = references ? references[2]!.split(',').map((c) => c.trim()) : childColumns.map(() => 'id');
  const join = childColumns.map((c, i) => `p.${parentColumns[i] ?? 'id'} = c.${c}`).join(' AND ');
  const present = childColumns.map((c) => `c.${c} IS NOT NULL`).join(' AND ');
  return {
    title: `Rows of ${child} reference ${parent} rows that do not exist: find them on production, or add the key NOT VALID and clean up before VALIDATE`,
    sql: `SELECT count(*) FROM ${quote(child)} c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${quote(parent)} p WHERE ${join});`,
  };
}
