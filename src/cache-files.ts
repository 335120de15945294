// The files of a cache directory, newest first: what each cache's bound keeps (the newest N, or the
// newest up to a size) and what it removes. Cache directories are shared by concurrent processes, so a
// file another process removed between the listing and its stat is left out, not an error.
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface CacheFile {
  name: string;
  bytes: number;
  mtimeMs: number;
}

function newestFirst(files: (CacheFile | undefined)[]): CacheFile[] {
  return files.filter((f): f is CacheFile => f !== undefined).sort((a, b) => b.mtimeMs - a.mtimeMs);
}

/** `names` in `dir` with their size and modification time, newest first. */
export async function filesNewestFirst(dir: string, names: readonly string[]): Promise<CacheFile[]> {
  return newestFirst(
    await Promise.all(
      names.map((name) =>
        stat(join(dir, name)).then(
          (info) => ({ name, bytes: info.size, mtimeMs: info.mtimeMs }),
          () => undefined,
        ),
      ),
    ),
  );
}

/** filesNewestFirst for the synchronous paths. */
export function filesNewestFirstSync(dir: string, names: readonly string[]): CacheFile[] {
  return newestFirst(
    names.map((name) => {
      const info = statSync(join(dir, name), { throwIfNoEntry: false });
      return info ? { name, bytes: info.size, mtimeMs: info.mtimeMs } : undefined;
    }),
  );
}
