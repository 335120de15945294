// Parses a migration file with the real PostgreSQL 18 grammar (libpg-query, WASM).
//
// The whole file is parsed in one call. When that fails, the file is cut at top-level semicolons
// (src/sql/lexer.ts) around the error: everything before the failing statement is parsed again
// (recursively, so several errors are each reported), the failing statement becomes a
// `syntax-error` finding, and parsing resumes after its `;`. One bad statement never hides the
// statements around it.
//
// libpg-query reports `stmt_location`/`stmt_len` as UTF-8 byte offsets and an error's
// `cursorPosition` as a 0-based code point offset; both are mapped to string offsets here.

import type { SqlError } from 'libpg-query';
import { loadModule, parseSync } from './pg-query.js';
import { fingerprint } from '../finding.js';
import type { Finding, ParsedFile, ParsedStatement } from '../types.js';
import { parseDirective, type LocatedDirective } from './ignores.js';
import { blankOut, splitTopLevel, type Piece } from './lexer.js';
import { lineOfOffset, lineStarts, offsetMap } from './lines.js';

export { applyIgnores } from './ignores.js';
export { splitTopLevel } from './lexer.js';

let loading: Promise<void> | undefined;

/** Loads the WASM parser once; `parseMigrationSqlSync` needs it done. */
export function loadParser(): Promise<void> {
  loading ??= loadModule();
  return loading;
}

export async function parseMigrationSql(sql: string, file: string, lineOffset = 0): Promise<ParsedFile> {
  await loadParser();
  return parseMigrationSqlSync(sql, file, lineOffset);
}

interface Located {
  start: number;
  end: number;
  /** Offset of the `;` that ends it, or `end` when none was seen. */
  stop: number;
  ast: Record<string, unknown>;
  kind: string;
}

interface RawStatement {
  stmt?: Record<string, unknown>;
  stmt_location?: number;
  stmt_len?: number;
}

/** Same as parseMigrationSql, once `loadParser()` has resolved. */
export function parseMigrationSqlSync(sql: string, file: string, lineOffset = 0): ParsedFile {
  const split = splitTopLevel(sql);
  const text = blankOut(sql, split.masked);
  const starts = lineStarts(sql);
  const lineAt = (offset: number) => lineOfOffset(starts, offset) + lineOffset;
  const pieceAt = new Map<number, Piece>(split.pieces.map((p) => [p.start, p]));

  const located: Located[] = [];
  const errors: Finding[] = [];

  const parseRegion = (from: number, to: number): void => {
    const pieces = split.pieces.filter((p) => p.start >= from && p.start < to);
    if (pieces.length === 0) return;
    const chunk = text.slice(from, to);
    let result: { stmts?: RawStatement[] };
    try {
      result = parseSync(chunk) as { stmts?: RawStatement[] };
    } catch (error) {
      const map = offsetMap(chunk);
      const cursor = (error as SqlError).sqlDetails?.cursorPosition;
      const at = typeof cursor === 'number' ? from + map.fromCodePoint(cursor) : pieces[0]!.start;
      const bad = pieces.filter((p) => p.start <= at).pop() ?? pieces[0]!;
      parseRegion(from, bad.start);
      const badText = sql.slice(bad.start, bad.end);
      const line = lineAt(Math.max(bad.start, Math.min(at, bad.end - 1)));
      errors.push({
        rule: 'syntax-error',
        severity: 'error',
        source: 'parse',
        file,
        line,
        endLine: line,
        message: shortenErrorMessage(error instanceof Error ? error.message : String(error)),
        fingerprint: fingerprint('syntax-error', file, badText),
      });
      parseRegion(bad.semicolon === -1 ? to : bad.semicolon + 1, to);
      return;
    }
    const map = offsetMap(chunk);
    for (const raw of result.stmts ?? []) {
      if (!raw.stmt) continue;
      const location = raw.stmt_location ?? 0;
      const start = from + map.fromByte(location);
      const limit = raw.stmt_len ? from + map.fromByte(location + raw.stmt_len) : to;
      const piece = pieceAt.get(start);
      let end = piece && piece.end <= limit ? piece.end : limit;
      while (end > start && /\s/.test(text[end - 1]!)) end--;
      const kind = Object.keys(raw.stmt)[0] ?? 'Unknown';
      const stop = piece && piece.semicolon !== -1 && piece.end === end ? piece.semicolon : end;
      located.push({ start, end, stop, ast: raw.stmt, kind });
    }
  };
  parseRegion(0, text.length);
  located.sort((a, b) => a.start - b.start);

  const copyData = new Map<number, string>();
  for (const range of split.masked) {
    if (range.kind !== 'copy-data' || range.piece === undefined) continue;
    const rows = sql.slice(range.start, range.end).replace(/(^|\n)\\\.\r?$/, '$1');
    copyData.set(split.pieces[range.piece]!.start, rows);
  }

  const statements: ParsedStatement[] = located.map((s, index) => {
    const statement: ParsedStatement = {
      index,
      text: sql.slice(s.start, s.end),
      line: lineAt(s.start),
      endLine: lineAt(Math.max(s.start, s.end - 1)),
      ast: s.ast,
      kind: s.kind,
      ignores: [],
    };
    const rows = copyData.get(s.start);
    if (rows !== undefined) statement.copyData = rows;
    return statement;
  });

  const directives: LocatedDirective[] = [];
  const fileIgnores: string[] = [];
  for (const comment of split.comments) {
    const parsed = parseDirective(comment.body);
    if (!parsed) continue;
    const directive: LocatedDirective = { line: lineAt(comment.start), rules: parsed.rules, scope: parsed.scope, ...(parsed.from ? { from: parsed.from } : {}) };
    if (parsed.scope === 'file') {
      for (const rule of parsed.rules) if (!fileIgnores.includes(rule)) fileIgnores.push(rule);
    } else {
      const target = directiveTarget(located, comment.start, (o) => lineOfOffset(starts, o));
      if (target !== undefined) {
        directive.statementIndex = target;
        const ignores = statements[target]!.ignores;
        for (const rule of parsed.rules) if (!ignores.includes(rule)) ignores.push(rule);
      }
    }
    directives.push(directive);
  }

  const assured = assuredBlocks(split.comments.map((c) => ({ body: c.body, line: lineAt(c.start) })));
  return { file, statements, fileIgnores, directives, errors, ...(assured.length > 0 ? { assured } : {}) };
}

const ASSURED_MARKER = /^\s*safety-assured:(start|end)\s*$/i;

/**
 * diesel-guard's `-- safety-assured:start` … `-- safety-assured:end` blocks, by the markers' lines. An
 * `end` with no `start`, a second `start` inside a block and a block never closed mark nothing:
 * diesel-guard refuses them, and pgpro reads no statement as vouched for on a marker it cannot pair.
 */
function assuredBlocks(comments: readonly { body: string; line: number }[]): { start: number; end: number }[] {
  const blocks: { start: number; end: number }[] = [];
  let open: number | undefined;
  let broken = false;
  for (const comment of comments) {
    const marker = ASSURED_MARKER.exec(comment.body)?.[1]?.toLowerCase();
    if (marker === 'start') {
      if (open !== undefined) broken = true;
      open = comment.line;
    } else if (marker === 'end') {
      if (open === undefined) broken = true;
      else blocks.push({ start: open, end: comment.line });
      open = undefined;
    }
  }
  return broken || open !== undefined ? [] : blocks;
}

/** The statement a `-- pgpro-ignore` at `offset` covers: the one it sits in, the one it trails on the same line, or the next one. */
function directiveTarget(located: readonly Located[], offset: number, lineOf: (offset: number) => number): number | undefined {
  const inside = located.findIndex((s) => s.start <= offset && offset < s.end);
  if (inside !== -1) return inside;
  const next = located.findIndex((s) => s.start > offset);
  const previous = next === -1 ? located.length - 1 : next - 1;
  const before = located[previous];
  if (before && (lineOf(before.end - 1) === lineOf(offset) || lineOf(before.stop) === lineOf(offset))) return previous;
  return next === -1 ? undefined : next;
}

/** Postgres quotes the rest of the input after an unterminated string; keep the message to one short line. */
function shortenErrorMessage(message: string): string {
  return message.replace(/ at or near "([\s\S]*)"$/, (_all, near: string) => {
    const firstLine = near.split('\n')[0]!.trimEnd();
    const short = firstLine.length > 60 ? `${firstLine.slice(0, 60)}…` : firstLine;
    return ` at or near "${short}${short !== near ? (short.endsWith('…') ? '' : '…') : ''}"`;
  });
}
