// Whether a text names an identifier, by plain string search. Names come from migrations and their
// catalogs: turning one into a regular expression would let a crafted name (`"(.*a){25}!"`) backtrack
// forever on the main thread, or (`"qty(units"`) throw.

/** A character that may continue an unquoted Postgres identifier. */
function isIdentifierChar(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const code = ch.charCodeAt(0);
  return (
    (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || ch === '_' || ch === '$'
  );
}

/**
 * `name` appears in `text` as a whole identifier (bare or double-quoted: a quote is not an identifier
 * character). Case-sensitive: callers lowercase both sides when they want Postgres' folding.
 */
export function mentionsName(text: string, name: string): boolean {
  if (name.length === 0) return false;
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    if (!isIdentifierChar(text[at - 1]) && !isIdentifierChar(text[at + name.length])) return true;
  }
  return false;
}
