// Postgres' own scanner over a statement, for the few places that must find a name in migration text
// without parsing it: linear in the text, and no pattern is ever built from what the text contains.
import { scanSync } from './pg-query.js';
import { loadParser } from './parse.js';

await loadParser();

export interface SqlToken {
  /** The token as written. */
  text: string;
  /** As Postgres resolves a name: a quoted identifier unquoted, anything else lowercased. */
  name: string;
}

export function sqlTokens(sql: string): SqlToken[] {
  let tokens: { text: string }[];
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    return [];
  }
  return tokens.map(({ text }) => ({ text, name: nameOf(text) }));
}

function nameOf(text: string): string {
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return text.slice(1, -1).replace(/""/g, '"');
  return text.toLowerCase();
}

/** A possibly qualified name (`a`, `a.b`, `"A"."b"`) starting at tokens[i], as written, and where it ends. */
export function qualifiedNameAt(tokens: readonly SqlToken[], i: number): { text: string; next: number } | undefined {
  const first = tokens[i];
  if (!first || !isNameToken(first)) return undefined;
  let text = first.text;
  let next = i + 1;
  while (tokens[next]?.text === '.' && tokens[next + 1] && isNameToken(tokens[next + 1]!)) {
    text += `.${tokens[next + 1]!.text}`;
    next += 2;
  }
  return { text, next };
}

function isNameToken(token: SqlToken): boolean {
  return token.text.startsWith('"') || /^[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*$/.test(token.text);
}
