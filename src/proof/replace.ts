// A fix as the user would commit it: file lines `line..endLine` replaced by the fix's SQL, exactly as a
// GitHub suggestion or `--fix` writes it. The proof applies this text, not the fix on its own, so what
// is proven is what lands in the file.
import { splitTopLevel } from '../sql/lexer.js';

export interface Replaced {
  /** The migration's SQL (its `sql`, not the whole file) with the lines replaced. */
  sql: string;
  /** File lines the replacement occupies in the new text. */
  firstLine: number;
  lastLine: number;
  /** Lines added (or removed, when negative) by the replacement: later statements move by this much. */
  delta: number;
  /** The original text of the replaced lines. */
  original: string;
  /** The replacement as written into the file. */
  replacement: string;
}

/** The fix's SQL ending with `;` after its last statement, before any trailing comment. */
export function terminated(sql: string): string {
  const text = sql.trim();
  const last = splitTopLevel(text).pieces.at(-1);
  if (!last || last.semicolon >= 0) return text;
  return `${text.slice(0, last.end)};${text.slice(last.end)}`;
}

/**
 * Replaces file lines `line..endLine` of a migration whose SQL starts after `lineOffset` file lines.
 * Each replacement line gets the first replaced line's indentation. Undefined when the lines are not
 * inside the migration's SQL.
 */
export function replaceLines(
  migration: { sql: string; lineOffset: number },
  line: number,
  endLine: number,
  fixSql: string,
): Replaced | undefined {
  const lines = migration.sql.split('\n');
  const usable = migration.sql.endsWith('\n') ? lines.length - 1 : lines.length;
  const first = line - migration.lineOffset - 1;
  const last = endLine - migration.lineOffset - 1;
  if (first < 0 || last < first || last >= usable) return undefined;
  const original = lines.slice(first, last + 1).join('\n');
  const indent = /^[ \t]*/.exec(lines[first] ?? '')?.[0] ?? '';
  const body = terminated(fixSql)
    .split('\n')
    .map((l) => (l.length > 0 ? indent + l : l));
  const next = [...lines.slice(0, first), ...body, ...lines.slice(last + 1)];
  return {
    sql: next.join('\n'),
    firstLine: line,
    lastLine: line + body.length - 1,
    delta: body.length - (last - first + 1),
    original,
    replacement: body.join('\n'),
  };
}
