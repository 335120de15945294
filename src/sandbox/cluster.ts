import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { cacheDir } from '../cache-dir.js';

export { cacheDir };

let cachedVersion: string | undefined;

/** The installed PGlite's version (its package.json is not exported, so walk up from the entry). */
export function pgliteVersion(): string {
  if (cachedVersion) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  cachedVersion = pkg.version;
  return cachedVersion;
}

let freshCluster: Promise<Uint8Array> | undefined;

/**
 * A gzipped data directory of a freshly initialised cluster. initdb costs ~2-4 s and ~0.8 GB, so it
 * runs once per PGlite version on this machine; every sandbox starts from this tarball instead.
 */
export function freshClusterTarball(): Promise<Uint8Array> {
  freshCluster ??= loadOrCreateFreshCluster().catch((error: unknown) => {
    freshCluster = undefined;
    throw error;
  });
  return freshCluster;
}

async function loadOrCreateFreshCluster(): Promise<Uint8Array> {
  const dir = cacheDir();
  const file = join(dir, `pglite-${pgliteVersion()}-fresh.tar.gz`);
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    // not cached yet
  }
  const db = new PGlite();
  try {
    await db.waitReady;
    const blob = await db.dumpDataDir('gzip');
    const bytes = new Uint8Array(await blob.arrayBuffer());
    await mkdir(dir, { recursive: true });
    // Write then rename, so that concurrent processes never read a half-written tarball.
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
    return bytes;
  } finally {
    await db.close();
  }
}

/** An in-process PGlite started from a data-dir tarball (the fresh cluster unless one is given). */
export async function openPglite(
  options: Omit<PGliteOptions, 'loadDataDir'> & { tarball?: Uint8Array } = {},
): Promise<PGlite> {
  const { tarball, ...rest } = options;
  const bytes = tarball ?? (await freshClusterTarball());
  const db = new PGlite({ ...rest, loadDataDir: new Blob([bytes]) });
  await db.waitReady;
  return db;
}
