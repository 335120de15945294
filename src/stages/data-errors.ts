import { quoteIdent as quote } from '../sql/quote.js';
import { qualifiedNameAt, sqlTokens, type SqlToken } from '../sql/tokens.js';
import type { ApplyError, Fix } from '../types.js';

/**
 * When a statement fails because existing rows break a new constraint, the finding should say so and
 * give the query that shows, on production, whether real rows would break it too. The error's fields
 * (table, column) and detail name the relation and columns; the statement's tokens give the rest.
 * Names come from the migration: they are only ever compared as strings, never made into patterns.
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
  const named = namesInNullMessage(error.message);
  const column = error.column ?? named?.column;
  const table = error.table ?? named?.table;
  if (!column || !table) return undefined;
  if (addsColumn(sqlTokens(statement), column)) {
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

/** `column "c" of relation "t" contains null values`, for a server that does not send the error's fields. */
function namesInNullMessage(message: string): { column: string; table: string } | undefined {
  const head = 'column "';
  const middle = '" of relation "';
  const tail = '" contains null values';
  const start = message.indexOf(head);
  const end = message.lastIndexOf(tail);
  if (start < 0 || end < 0) return undefined;
  const inner = message.slice(start + head.length, end);
  const split = inner.lastIndexOf(middle);
  if (split < 0) return undefined;
  return { column: inner.slice(0, split), table: inner.slice(split + middle.length) };
}

/** `ADD [COLUMN] [IF NOT EXISTS] <column>` somewhere in the statement. */
function addsColumn(tokens: readonly SqlToken[], column: string): boolean {
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.name !== 'add' || tokens[i]!.text.startsWith('"')) continue;
    let j = i + 1;
    if (tokens[j]?.name === 'column') j++;
    if (tokens[j]?.name === 'if' && tokens[j + 1]?.name === 'not' && tokens[j + 2]?.name === 'exists') j += 3;
    if (tokens[j]?.name === column) return true;
  }
  return false;
}

/** The relation an `ALTER TABLE` or a `CREATE INDEX … ON` names, as written. */
function tableOf(statement: string): string | undefined {
  const tokens = sqlTokens(statement);
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.name;
    let j = i + 1;
    if (word === 'alter' && tokens[j]?.name === 'table') {
      j++;
      if (tokens[j]?.name === 'if' && tokens[j + 1]?.name === 'exists') j += 2;
    } else if (word !== 'on') {
      continue;
    }
    if (tokens[j]?.name === 'only') j++;
    const name = qualifiedNameAt(tokens, j);
    if (name) return name.text;
  }
  return undefined;
}

/** The columns of a `Key (a, b)=(…) …` detail, as Postgres wrote them. */
function keyColumns(detail: string | undefined): string | undefined {
  if (!detail?.startsWith('Key (')) return undefined;
  const end = detail.indexOf(')=(');
  return end > 5 ? detail.slice(5, end) : undefined;
}

function unique(error: ApplyError, statement: string): Fix | undefined {
  const columns = error.detail?.endsWith('is duplicated.') || error.detail?.endsWith('is duplicated') ? keyColumns(error.detail) : undefined;
  const table = tableOf(statement) ?? (error.table ? quote(error.table) : undefined);
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
  const table = error.table ?? tableOf(statement);
  const expression = checkExpression(statement);
  if (!table || !expression) return undefined;
  return {
    title: `Rows of ${table} violate the CHECK: find them on production, or add it NOT VALID and fix the rows before VALIDATE`,
    sql: `SELECT * FROM ${quote(table)} WHERE NOT (${expression}) LIMIT 100;`,
  };
}

function foreignKey(error: ApplyError, statement: string): Fix | undefined {
  const child = error.table;
  const columns = keyColumns(error.detail);
  const marker = ' is not present in table "';
  const at = error.detail?.lastIndexOf(marker) ?? -1;
  if (!child || !columns || at < 0 || !error.detail!.endsWith('".')) return undefined;
  const parent = error.detail!.slice(at + marker.length, -2);
  const childColumns = columns.split(',').map((c) => c.trim());
  const referenced = referencedColumns(statement);
  const parentColumns = referenced ?? childColumns.map(() => 'id');
  const join = childColumns.map((c, i) => `p.${parentColumns[i] ?? 'id'} = c.${c}`).join(' AND ');
  const present = childColumns.map((c) => `c.${c} IS NOT NULL`).join(' AND ');
  return {
    title: `Rows of ${child} reference ${parent} rows that do not exist: find them on production, or add the key NOT VALID and clean up before VALIDATE`,
    sql: `SELECT count(*) FROM ${quote(child)} c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${quote(parent)} p WHERE ${join});`,
  };
}

/** The column list after `REFERENCES table (…)`, as written. */
function referencedColumns(statement: string): string[] | undefined {
  const tokens = sqlTokens(statement);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i]!.name !== 'references' || tokens[i]!.text.startsWith('"')) continue;
    const name = qualifiedNameAt(tokens, i + 1);
    if (!name || tokens[name.next]?.text !== '(') continue;
    const columns: string[] = [];
    for (let j = name.next + 1; j < tokens.length && tokens[j]!.text !== ')'; j++) {
      if (tokens[j]!.text !== ',') columns.push(tokens[j]!.text);
    }
    return columns.length > 0 ? columns : undefined;
  }
  return undefined;
}
