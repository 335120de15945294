import { BoundedMemo } from '../bounded-memo.js';
import { scanSync } from './pg-query.js';
import { loadParser } from './parse.js';

// The scanner knows Postgres' keyword classes; load it once, when this module is first imported.
await loadParser();

/** libpg-query's keywordKind for a keyword that may stand as a name unquoted. */
const UNRESERVED_KEYWORD = 1;

/**
 * Quotes an identifier the way Postgres' quote_ident does: only when it is not a plain lowercase
 * name, or when it is a keyword other than an unreserved one (`order`, `user`, `group`…).
 */
export function quoteIdent(name: string): string {
  if (/^[a-z_][a-z0-9_$]*$/.test(name)) {
    if (plainNames.get(name, standsUnquoted)) return name;
  }
  return quoteIdentifier(name);
}

// Whether a lowercase name stands unquoted, by name: a lint asks for the same few table and column
// names over and over, and each answer is a scan in the WASM parser. Bounded for a long-lived App.
const plainNames = new BoundedMemo<string, boolean>(10_000);

function standsUnquoted(name: string): boolean {
  const token = scanSync(name).tokens[0];
  return !token || token.keywordKind === 0 || token.keywordKind === UNRESERVED_KEYWORD;
}

/** Always quotes: for names built by pgpro itself (database names) or read back from the catalog. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
