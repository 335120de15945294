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

interface Piece {
  text: string;
  start: number;
}

/**
 * Split SQL on top-level semicolons, skipping quotes, dollar quotes and comments. Pieces keep their
 * leading comments (sqlc puts the query name there).
 */
export function splitSql(sql: string): Piece[] {
  const pieces: Piece[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (ch === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') (depth++, (i += 2));
        else if (sql[i] === '*' && sql[i + 1] === '/') (depth--, (i += 2));
        else i++;
      }
    } else if (ch === "'" || ch === '"') {
      i++;
      while (i < sql.length) {
        if (sql[i] === ch && sql[i + 1] === ch) i += 2;
        else if (sql[i] === ch) break;
        else i++;
      }
      i++;
    } else if (ch === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        i = end < 0 ? sql.length : end + tag[0].length;
      } else i++;
    } else if (ch === ';') {
      pieces.push({ text: sql.slice(start, i), start });
      start = i + 1;
      i++;
    } else i++;
  }
  pieces.push({ text: sql.slice(start), start });
  return pieces;
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
