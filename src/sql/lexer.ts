// A small PostgreSQL-aware scanner that finds top-level statement boundaries the way psql does:
// semicolons inside quotes, dollar quotes, comments, parentheses or a `BEGIN ATOMIC … END` body do
// not end a statement. libpg-query's own parser decides what a statement is whenever the file
// parses; this scanner is used to recover after a syntax error, to trim trailing comments, to find
// `-- pgpro-ignore` comments and to cut out what is not SQL at all:
//  - the data rows of `COPY … FROM stdin` (up to a line `\.`), which psql streams to the server;
//  - psql meta-commands (`\connect`, `\restrict`, `\set` …) on their own line between statements.

export interface Piece {
  /** Offset of the statement's first token. */
  start: number;
  /** Offset just after its last token (trailing comments and whitespace excluded). */
  end: number;
  /** Offset of the terminating `;`, or -1 when the text ends without one. */
  semicolon: number;
}

export interface LineComment {
  start: number;
  end: number;
  /** Text after `--`. */
  body: string;
}

export interface MaskedRange {
  start: number;
  end: number;
  kind: 'copy-data' | 'psql-meta';
  /** For copy data: index into `pieces` of the COPY statement the rows belong to. */
  piece?: number;
}

export interface SplitResult {
  pieces: Piece[];
  comments: LineComment[];
  /** Ranges that are not SQL; blank them (keeping newlines) before giving the text to a parser. */
  masked: MaskedRange[];
}

function isIdentStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code >= 0x80;
}
function isIdentChar(code: number): boolean {
  return isIdentStart(code) || (code >= 48 && code <= 57) || code === 36;
}
const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;

/**
 * Splits SQL text into top-level statements without parsing it. Never throws. With `stopAfter`, stops
 * once that many statements have ended in a `;` (what follows is not scanned: comments and masked ranges
 * are those before it).
 */
export function splitTopLevel(sql: string, stopAfter = Infinity): SplitResult {
  const pieces: Piece[] = [];
  const comments: LineComment[] = [];
  const masked: MaskedRange[] = [];
  const n = sql.length;

  let start = -1; // first token of the current statement
  let end = -1; // end of its last token
  let depth = 0; // parentheses
  let atomic = 0; // BEGIN ATOMIC … END nesting (CASE … END inside it)
  let firstWord = ''; // upper-cased first and latest keywords of the current statement
  let lastWord = '';
  let copyFromStdin = false;

  const token = (from: number, to: number) => {
    if (start === -1) start = from;
    end = to;
  };
  const finish = (semicolon: number) => {
    if (start !== -1) {
      pieces.push({ start, end, semicolon });
      if (copyFromStdin && semicolon !== -1) skipCopyData(semicolon + 1, pieces.length - 1);
    }
    start = -1;
    end = -1;
    depth = 0;
    atomic = 0;
    firstWord = '';
    lastWord = '';
    copyFromStdin = false;
  };

  let i = 0;
  // psql reads COPY rows from the lines after the command's line, up to a line `\.`.
  const skipCopyData = (after: number, piece: number) => {
    const lineEnd = sql.indexOf('\n', after);
    if (lineEnd === -1) return;
    // Only whitespace or a comment may follow the `;` on the COPY line; anything else is SQL.
    const rest = sql.slice(after, lineEnd).trim();
    if (rest !== '' && !rest.startsWith('--')) return;
    const dataStart = lineEnd + 1;
    let pos = dataStart;
    let stop = n;
    while (pos < n) {
      let eol = sql.indexOf('\n', pos);
      if (eol === -1) eol = n;
      if (sql.slice(pos, eol).replace(/\r$/, '') === '\\.') {
        stop = eol;
        break;
      }
      pos = eol + 1;
    }
    if (stop > dataStart) masked.push({ start: dataStart, end: Math.min(stop, n), kind: 'copy-data', piece });
    if (i < stop) i = stop;
  };

  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];

    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '-' && next === '-') {
      let eol = sql.indexOf('\n', i);
      if (eol === -1) eol = n;
      comments.push({ start: i, end: eol, body: sql.slice(i + 2, eol).replace(/\r$/, '') });
      i = eol;
      continue;
    }
    if (c === '/' && next === '*') {
      let nest = 1;
      let j = i + 2;
      while (j < n && nest > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') {
          nest++;
          j += 2;
        } else if (sql[j] === '*' && sql[j + 1] === '/') {
          nest--;
          j += 2;
        } else j++;
      }
      i = j;
      continue;
    }
    if (c === '\\' && start === -1) {
      // A psql meta-command between statements: not SQL, runs to the end of the line.
      let eol = sql.indexOf('\n', i);
      if (eol === -1) eol = n;
      masked.push({ start: i, end: eol, kind: 'psql-meta' });
      i = eol;
      continue;
    }
    if (c === "'") {
      const prev = sql[i - 1];
      const escapes = (prev === 'E' || prev === 'e') && end === i && !isIdentChar(sql.charCodeAt(i - 2));
      const from = i;
      i = skipQuoted(sql, i, "'", escapes);
      token(from, i);
      continue;
    }
    if (c === '"') {
      const from = i;
      i = skipQuoted(sql, i, '"', false);
      token(from, i);
      continue;
    }
    if (c === '$' && !(end === i && isIdentChar(sql.charCodeAt(i - 1)))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        const from = i;
        i = close === -1 ? n : close + tag[0].length;
        token(from, i);
        continue;
      }
    }
    if (isIdentStart(sql.charCodeAt(i))) {
      const from = i;
      while (i < n && isIdentChar(sql.charCodeAt(i))) i++;
      token(from, i);
      const word = sql.slice(from, i).toUpperCase();
      if (word === 'ATOMIC' && lastWord === 'BEGIN') atomic++;
      else if (atomic > 0 && word === 'CASE') atomic++;
      else if (atomic > 0 && word === 'END') atomic--;
      if (word === 'STDIN' && lastWord === 'FROM' && firstWord === 'COPY') copyFromStdin = true;
      if (firstWord === '') firstWord = word;
      lastWord = word;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ';' && depth === 0 && atomic === 0) {
      finish(i);
      if (pieces.length >= stopAfter) return { pieces, comments, masked };
      i++;
      continue;
    }
    token(i, i + 1);
    i++;
  }
  finish(-1);
  return { pieces, comments, masked };
}

/** Index just past a quoted string or identifier starting at `from`; the end of text if unterminated. */
function skipQuoted(sql: string, from: number, quote: string, backslashEscapes: boolean): number {
  let j = from + 1;
  while (j < sql.length) {
    const ch = sql[j];
    if (backslashEscapes && ch === '\\') {
      j += 2;
      continue;
    }
    if (ch === quote) {
      if (sql[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/** Replaces masked ranges by spaces, keeping every line break so offsets and lines stay put. */
export function blankOut(sql: string, ranges: readonly MaskedRange[]): string {
  if (ranges.length === 0) return sql;
  let out = '';
  let pos = 0;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    out += sql.slice(pos, r.start) + sql.slice(r.start, r.end).replace(/[^\n\r]/g, ' ');
    pos = r.end;
  }
  return out + sql.slice(pos);
}
