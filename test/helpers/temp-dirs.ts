import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A maker of fresh temporary directories, all removed when the test file is done; `removeLater`
 * adds one made elsewhere.
 */
export function tempDirs(prefix: string): (() => string) & { removeLater: (dir: string) => string } {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const removeLater = (dir: string) => {
    dirs.push(dir);
    return dir;
  };
  return Object.assign(() => removeLater(mkdtempSync(join(tmpdir(), prefix))), { removeLater });
}
