// The model's summary is shown to people as its words, never as pgpro's verdict, and never as live
// markup: a quoted line of plain text in which links, images, mentions and HTML cannot come alive.

const MAX_SUMMARY = 600;

/** One line, quoted, with every way to a live link or image taken apart. */
export function quotedPlainText(text: string, max = MAX_SUMMARY): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const clipped = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  const defused = clipped
    .replace(/!\[/g, '! [') // image syntax
    .replace(/\]\s*\(/g, '] (') // inline link syntax
    .replace(/\]\s*\[/g, '] [') // reference link syntax
    .replace(/<(?=[a-z!/?])/gi, '‹') // HTML and autolinks
    .replace(/\b([a-z][a-z0-9+.-]*):\/\//gi, '$1:/\u200b/') // bare URLs (GitHub autolinks them)
    .replace(/\bwww\./gi, 'www\u200b.')
    .replace(/@(?=[a-z0-9])/gi, '@\u200b') // @mentions
    .replace(/`/g, "'")
    .replace(/"/g, '”');
  return `“${defused}”`;
}
