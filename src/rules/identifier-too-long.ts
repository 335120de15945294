import { scannedTokens } from './lib/fix.js';
import { meta } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const MAX_BYTES = 63; // NAMEDATALEN - 1
/** An identifier character: ASCII letter, digit, `_`, `$`; PostgreSQL takes every non-ASCII character as one. */
function identifierChar(code: number): boolean {
  return code >= 0x80 || (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || (code >= 48 && code <= 57) || code === 95 || code === 36;
}

/**
 * Whether `text` may hold a name over 63 bytes (never false when it does): an unquoted word that long,
 * or text between double quotes that long, counted across `""` escapes.
 */
function hasLongWord(text: string): boolean {
  // Each run of identifier characters (UTF-16 units) at least 16 long: fewer can hold no 64 bytes.
  for (let i = 0; i < text.length; ) {
    if (!identifierChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && identifierChar(text.charCodeAt(i))) i++;
    if (i - start >= 16 && Buffer.byteLength(text.slice(start, i), 'utf8') > MAX_BYTES) return true;
  }
  if (!text.includes('"')) return false;
  // Between double quotes, counted across `""` escapes: each escape leaves an empty piece between the
  // parts of one name, and is one byte of it.
  let run = 0;
  let joined = false;
  for (const [i, segment] of text.split('"').entries()) {
    if (segment === '' && i > 0) {
      run += 1;
      joined = true;
      continue;
    }
    const bytes = Buffer.byteLength(segment, 'utf8');
    run = joined ? run + bytes : bytes;
    joined = false;
    if (run > MAX_BYTES) return true;
  }
  return false;
}

const rule: Rule = {
  meta: meta({
    id: 'identifier-too-long',
    category: 'schema-design',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'Names longer than 63 bytes are silently truncated, so the object gets a different name than written.',
  }),
  create(ctx) {
    return {
      // The parser already truncates names in the tree, so the long ones are found in the tokens.
      Statement(statement) {
        // Scanning is the cost of this rule: skip statements with no word or quoted name over 63 bytes.
        if (!hasLongWord(statement.text)) return;
        const toks = scannedTokens(statement.text);
        if (!toks) return;
        const bytes = Buffer.from(statement.text, 'utf8');
        const seen = new Set<string>();
        for (const tok of toks) {
          if (tok.tokenName !== 'IDENT') continue;
          const name = tok.text.startsWith('"') ? tok.text.slice(1, -1).replace(/""/g, '"') : tok.text.toLowerCase();
          if (Buffer.byteLength(name, 'utf8') <= MAX_BYTES || seen.has(name)) continue;
          seen.add(name);
          const before = bytes.subarray(0, tok.start).toString('utf8');
          report(ctx, name, statement.line + (before.match(/\n/g)?.length ?? 0));
        }
      },
    };
  },
};

function report(ctx: RuleContext, name: string, line: number): void {
  const truncated = Buffer.from(name, 'utf8').subarray(0, MAX_BYTES).toString('utf8').replace(/\uFFFD$/, '');
  ctx.report({
    message:
      `"${name}" is ${Buffer.byteLength(name, 'utf8')} bytes; PostgreSQL truncates names to 63 bytes, so it becomes ` +
      `"${truncated}" and code that uses the full name, or another name with the same first 63 bytes, collides or misses it.`,
    line,
    fix: { title: 'Use a name of at most 63 bytes', steps: ['Shorten the name so what you write is what PostgreSQL stores.'] },
  });
}

export default rule;
