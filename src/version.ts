import { readFileSync } from 'node:fs';

/** pgpro's own version, from package.json (one directory above src/ and dist/). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
