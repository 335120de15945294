import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where pgpro keeps its caches: PGPRO_CACHE_DIR, else ~/.cache/pgpro. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PGPRO_CACHE_DIR ?? join(homedir(), '.cache', 'pgpro');
}
