import { splitTopLevel } from '../sql/lexer.js';
/** A query to explain, from a query file named in config. */
export interface QuerySource {
  file: string;
  /** 1-based line of the statement's first token. */
  line: number;
  sql: string;
  /** Highest `$n` placeholder. */
  params: number;
  /** sqlc's `-- name: GetX :one` annotation, when present. */
  name?: string;
}

/**
 * Each top-level statement with the comments before it (sqlc puts the query name there): the text
 * from just after the previous `;` up to this statement's own `;`. The splitting is the shared lexer's.
 */
export function splitSql(sql: string): { text: string; start: number }[] {
  let from = 0;
  return splitTopLevel(sql).pieces.map((piece) => {
    const start = from;
    const end = piece.semicolon >= 0 ? piece.semicolon : piece.end;
    from = piece.semicolon >= 0 ? piece.semicolon + 1 : piece.end;
    return { text: sql.slice(start, end), start };
  });
}

/** The text with comments and string contents blanked, for placeholder and keyword scans. */
function codeOnly(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, (m) => ' '.repeat(m.length))
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/'(?:[^']|'')*'/g, (m) => `'${' '.repeat(m.length - 2)}'`);
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

const EXPLAINABLE = /^\s*(select|with|insert|update|delete|merge|values|table)\b/i;

/**
 * Queries from query files: sqlc's `query.sql` (`-- name: GetX :one` before each query) or plain
 * `.sql` files holding several statements. Only statements EXPLAIN accepts are kept.
 */
export function collectQueries(files: { path: string; content: string }[]): QuerySource[] {
  const out: QuerySource[] = [];
  for (const file of files) {
    for (const piece of splitSql(file.content)) {
      const code = codeOnly(piece.text);
      const first = code.search(/\S/);
      if (first < 0) continue;
      const body = piece.text.slice(first).trim();
      if (!EXPLAINABLE.test(code)) continue;
      const name = /--\s*name:\s*(\w+)/.exec(piece.text.slice(0, first))?.[1];
      let params = 0;
      for (const m of code.matchAll(/\$(\d+)/g)) params = Math.max(params, Number(m[1]));
      // sqlc macros (sqlc.arg(x), sqlc.narg(x), @x) are not SQL: such queries are rewritten by sqlc.
      if (/\bsqlc\.(arg|narg|slice|embed)\s*\(/i.test(code)) continue;
      out.push({ file: file.path, line: lineAt(file.content, piece.start + first), sql: body, params, ...(name ? { name } : {}) });
    }
  }
  return out;
}
