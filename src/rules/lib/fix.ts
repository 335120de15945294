import { BoundedMemo } from '../../bounded-memo.js';
import { scanSync } from '../../sql/pg-query.js';
import type { MigrationFile, ParsedStatement } from '../../types.js';

export interface StatementSource {
  statement: ParsedStatement;
  file: MigrationFile;
}

/**
 * The file's lines `line..endLine` with the statement text swapped for `newText`: what a GitHub
 * suggestion block replaces. Undefined when the statement text cannot be found in those lines.
 */
export function replaceStatementLines(src: StatementSource, newText: string): string | undefined {
  const { statement, file } = src;
  const lines = file.sql.split('\n');
  const first = statement.line - file.lineOffset - 1;
  const last = statement.endLine - file.lineOffset - 1;
  if (first < 0 || last >= lines.length || last < first) return undefined;
  const block = lines.slice(first, last + 1).join('\n');
  const at = block.indexOf(statement.text);
  if (at < 0) return undefined;
  return block.slice(0, at) + newText + block.slice(at + statement.text.length);
}

interface Token {
  start: number;
  end: number;
  text: string;
}

/** A token as Postgres' scanner reports it: UTF-8 byte offsets, comments included. */
export interface ScannedToken {
  start: number;
  end: number;
  text: string;
  tokenName: string;
}

// Several rules ask for the tokens of the same statement: the last few scans are kept (callers only
// read them). Scanning costs about as much as parsing, so each statement is scanned once at most.
const RECENT_SCANS = 8;
const recentScans = new BoundedMemo<string, ScannedToken[] | undefined>(RECENT_SCANS);
const recentTokens = new BoundedMemo<string, Token[]>(RECENT_SCANS);

/** Every token of a statement as the scanner reports it; undefined when the scanner fails. */
export function scannedTokens(text: string): ScannedToken[] | undefined {
  return recentScans.get(text, scanOrUndefined);
}

function scanOrUndefined(text: string): ScannedToken[] | undefined {
  try {
    return scanSync(text).tokens;
  } catch {
    return undefined;
  }
}

/** Non-comment tokens of a statement with UTF-16 offsets (the scanner reports UTF-8 bytes). */
export function tokens(text: string): Token[] {
  return recentTokens.get(text, scanTokens);
}

function scanTokens(text: string): Token[] {
  const scanned = scannedTokens(text);
  if (!scanned) return [];
  const bytes = Buffer.from(text, 'utf8');
  // ASCII text: bytes and characters are the same offsets.
  const toChar = bytes.length === text.length ? (byte: number) => byte : (byte: number) => bytes.subarray(0, byte).toString('utf8').length;
  return scanned
    .filter((t) => t.tokenName !== 'C_COMMENT' && t.tokenName !== 'SQL_COMMENT')
    .map((t) => ({ start: toChar(t.start), end: toChar(t.end), text: t.text }));
}

/**
 * Inserts `insertion` after the first run of tokens matching `sequence` (case-insensitive words;
 * `?word` is optional). Returns undefined when the sequence is not found.
 */
export function insertAfterTokens(text: string, sequence: string[], insertion: string): string | undefined {
  // The usual case, the sequence the statement starts with (`CREATE INDEX …`): found in its first words
  // without the scanner, whose full scan of each statement cost more than the rest of such a rule.
  const end = leadingMatch(text, sequence);
  if (end !== undefined) return text.slice(0, end) + insertion + text.slice(end);
  const toks = tokens(text);
  for (let i = 0; i < toks.length; i++) {
    let j = i;
    let lastEnd = -1;
    let ok = true;
    for (const want of sequence) {
      const optional = want.startsWith('?');
      const word = optional ? want.slice(1) : want;
      const tok = toks[j];
      if (tok && tok.text.toLowerCase() === word.toLowerCase()) {
        lastEnd = tok.end;
        j++;
      } else if (!optional) {
        ok = false;
        break;
      }
    }
    if (ok && lastEnd >= 0) return text.slice(0, lastEnd) + insertion + text.slice(lastEnd);
  }
  return undefined;
}

/** PostgreSQL's whitespace: space, tab, newline, carriage return, form feed, vertical tab. */
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);
const isWordStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isWordPart = (c: number) => isWordStart(c) || (c >= 48 && c <= 57) || c === 36;

/**
 * Where `sequence` (as insertAfterTokens reads it) ends when it matches the statement's first tokens, read
 * as plain ASCII words (keywords or identifiers) each followed by whitespace; undefined when it does not,
 * or when a word it must compare is not such a word (a comment, a quote, a prefix like E'…' or U&"…"):
 * that is left to the scanner. Such words are each one token to Postgres' scanner, so where this
 * answers, the scan's tokens start with the same words and the full search matches there first.
 */
function leadingMatch(text: string, sequence: readonly string[]): number | undefined {
  let at = 0;
  const word = (): { start: number; end: number } | undefined => {
    while (at < text.length && isSpace(text.charCodeAt(at))) at++;
    if (at >= text.length || !isWordStart(text.charCodeAt(at))) return undefined;
    const start = at;
    while (at < text.length && isWordPart(text.charCodeAt(at))) at++;
    // Not a whole token unless whitespace follows (E'…', U&'…', a non-ASCII letter, …).
    if (at >= text.length || !isSpace(text.charCodeAt(at))) return undefined;
    return { start, end: at };
  };
  let next = word();
  let lastEnd = -1;
  for (const want of sequence) {
    const optional = want.startsWith('?');
    const expected = (optional ? want.slice(1) : want).toLowerCase();
    // Every word compared must have been read: past what this reads, the scanner may see a token.
    if (!next) return undefined;
    if (text.slice(next.start, next.end).toLowerCase() === expected) {
      lastEnd = next.end;
      next = word();
    } else if (!optional) return undefined;
  }
  return lastEnd >= 0 ? lastEnd : undefined;
}

/** The text with `insertion` added before any trailing whitespace. */
export function appendToStatement(text: string, insertion: string): string {
  const trimmed = text.replace(/\s+$/, '');
  return trimmed + insertion + text.slice(trimmed.length);
}

const TYPE_WORDS = new Set([
  'pg_catalog', '.', 'int', 'integer', 'int2', 'int4', 'int8', 'smallint', 'bigint', 'serial', 'serial2', 'serial4',
  'serial8', 'smallserial', 'bigserial', 'varchar', 'character', 'varying', 'char', 'bpchar', 'timestamp',
]);

/**
 * The span of a column type written at `start` in `text` (e.g. `character varying(20)`,
 * `timestamp(3) without time zone`, `serial`; of an array type, its element type), or undefined
 * when it cannot be delimited.
 */
export function typeSpan(text: string, start: number): { start: number; end: number } | undefined {
  // Most types are plain words (`integer`, `character varying(255)`): read at `start` without a scan of
  // the whole statement, which cost more than the rest of the column rules over a long CREATE TABLE.
  const plain = plainTypeSpan(text, start);
  return plain === ASK_SCANNER ? scannedTypeSpan(text, start) : plain;
}

/** typeSpan read from the scanner's tokens of the whole statement. */
export function scannedTypeSpan(text: string, start: number): { start: number; end: number } | undefined {
  const toks = tokens(text);
  let i = toks.findIndex((t) => t.start === start);
  if (i < 0) return undefined;
  let end = -1;
  while (toks[i] && TYPE_WORDS.has(toks[i]!.text.toLowerCase())) end = toks[i++]!.end;
  if (end < 0) return undefined;
  if (toks[i]?.text === '(') {
    while (toks[i] && toks[i]!.text !== ')') i++;
    if (!toks[i]) return undefined;
    end = toks[i++]!.end;
  }
  const words = toks.slice(i, i + 3).map((t) => t.text.toLowerCase());
  if ((words[0] === 'without' || words[0] === 'with') && words[1] === 'time' && words[2] === 'zone') end = toks[i + 2]!.end;
  // An array's `[]` / `[n]` stays after the replaced element type.
  return { start, end };
}

const ASK_SCANNER = Symbol('ask the scanner');

/**
 * typeSpan's answer when the text from `start` to the type's end is plain tokens: ASCII words, `.`,
 * `(`, digits, commas and whitespace, each of which Postgres' scanner reads as this does. ASK_SCANNER
 * when anything else comes up where a token is compared (a comment, a quote, a non-ASCII letter, a
 * word a quote could extend like E'…' or U&"…"): that is left to the scanner.
 */
function plainTypeSpan(text: string, start: number): { start: number; end: number } | undefined | typeof ASK_SCANNER {
  // A token starts at `start` (the parser's location of the type) and nothing before it runs into it.
  if (start <= 0 || start >= text.length || !isSpace(text.charCodeAt(start - 1)) || isSpace(text.charCodeAt(start))) return ASK_SCANNER;
  let at = start;
  /** The next token: a word or `.` or `(` as its text, '' for any other token, undefined at the end. */
  const next = (): { text: string; end: number } | undefined | typeof ASK_SCANNER => {
    while (at < text.length && isSpace(text.charCodeAt(at))) at++;
    if (at >= text.length) return undefined;
    const c = text.charCodeAt(at);
    const from = at;
    if (isWordStart(c)) {
      while (at < text.length && isWordPart(text.charCodeAt(at))) at++;
      const after = text.charCodeAt(at);
      // 39 ', 34 ", 38 &: a prefixed string or identifier; 128+: an identifier going on in non-ASCII letters.
      if (after >= 128 || after === 39 || after === 34 || after === 38) return ASK_SCANNER;
      return { text: text.slice(from, at), end: at };
    }
    // 45 -, 47 /: maybe a comment, which the scanner's tokens leave out; 128+: maybe an identifier.
    if (c >= 128 || c === 45 || c === 47) return ASK_SCANNER;
    at++;
    if (c === 46) {
      const after = text.charCodeAt(at);
      // `..` and `.5` are tokens of their own.
      return after === 46 || (after >= 48 && after <= 57) ? ASK_SCANNER : { text: '.', end: at };
    }
    return { text: c === 40 ? '(' : '', end: at };
  };
  let end = -1;
  let token = next();
  for (; token !== ASK_SCANNER && token && TYPE_WORDS.has(token.text.toLowerCase()); token = next()) end = token.end;
  if (token === ASK_SCANNER) return ASK_SCANNER;
  if (end < 0) return undefined;
  if (token?.text === '(') {
    // Only digits, commas and whitespace up to the `)`, as in varchar(255) or numeric(12, 4).
    for (;;) {
      if (at >= text.length) return ASK_SCANNER;
      const c = text.charCodeAt(at++);
      if (c === 41) break;
      if (!(isSpace(c) || c === 44 || (c >= 48 && c <= 57))) return ASK_SCANNER;
    }
    end = at;
    token = next();
  }
  const zone = ['time', 'zone'];
  if (token === ASK_SCANNER) return ASK_SCANNER;
  if (!token || !['with', 'without'].includes(token.text.toLowerCase())) return { start, end };
  for (const word of zone) {
    token = next();
    if (token === ASK_SCANNER) return ASK_SCANNER;
    if (!token || token.text.toLowerCase() !== word) return { start, end };
  }
  return { start, end: token!.end };
}

/** Words that end a column's type in a column definition or ALTER COLUMN … TYPE. */
const AFTER_TYPE = new Set([
  'not', 'null', 'default', 'constraint', 'check', 'references', 'primary', 'unique', 'collate', 'generated', 'using',
  'storage', 'compression', 'deferrable', 'initially',
]);

/**
 * The column type as written at `start` in `text` (`numeric(12, 4)`, `timestamp with time zone`,
 * `"Status"[]`): up to the first constraint word, comma or closing parenthesis. Undefined when there
 * is no type there.
 */
export function typeText(text: string, start: number | undefined): string | undefined {
  if (start === undefined) return undefined;
  const toks = tokens(text);
  let i = toks.findIndex((t) => t.start === start);
  if (i < 0) return undefined;
  let depth = 0;
  let end = -1;
  for (; i < toks.length; i++) {
    const t = toks[i]!.text;
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (t === ',' || t === ';' || AFTER_TYPE.has(t.toLowerCase()))) break;
    end = toks[i]!.end;
  }
  return end < 0 ? undefined : text.slice(start, end);
}

/** Replaces a column type in the statement text; undefined when the type cannot be located. */
export function replaceType(text: string, start: number | undefined, replacement: string): string | undefined {
  if (start === undefined) return undefined;
  const span = typeSpan(text, start);
  if (!span) return undefined;
  return text.slice(0, span.start) + replacement + text.slice(span.end);
}
