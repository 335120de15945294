import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { dirname, join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { cacheDir } from '../cache-dir.js';
import { extendFilesInPlace } from './memfs.js';

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

/** Where the fresh-cluster tarball of the installed PGlite is kept. */
export function freshClusterFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), `pglite-${pgliteVersion()}-fresh.tar.gz`);
}

async function loadOrCreateFreshCluster(): Promise<Uint8Array> {
  const file = freshClusterFile();
  const dir = dirname(file);
  try {
    return new Uint8Array(await readFile(file));
  } catch {
    // not cached yet
  }
  // Loaded only here and in openPglite: the main thread of a review never starts PGlite itself.
  const { PGlite } = await import('@electric-sql/pglite');
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

const gunzipAsync = promisify(gunzipCallback);
const gzipAsync = promisify(gzipCallback);
const GZIP_MAGIC = [0x1f, 0x8b];

export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * A data-dir tarball as a plain tar. PGlite would gunzip it with a web stream on the thread that
 * starts it; zlib here runs on libuv's pool, several times faster, while this thread goes on.
 */
export async function plainTar(bytes: Uint8Array): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const out = await gunzipAsync(bytes);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A plain data-dir tar gzipped for storage (level 1: a snapshot is written on the review's path). */
export async function gzipTar(bytes: Uint8Array): Promise<Uint8Array> {
  if (isGzip(bytes)) return bytes;
  const out = await gzipAsync(bytes, { level: 1 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

let freshClusterPlain: Promise<Uint8Array> | undefined;

/** The fresh cluster as a plain tar, unpacked once per process: every sandbox without a snapshot starts from it. */
export function freshClusterTar(): Promise<Uint8Array> {
  freshClusterPlain ??= freshClusterTarball()
    .then(plainTar)
    .catch((error: unknown) => {
      freshClusterPlain = undefined;
      throw error;
    });
  return freshClusterPlain;
}

/** An in-process PGlite started from a data-dir tarball (the fresh cluster unless one is given). */
export async function openPglite(
  options: Omit<PGliteOptions, 'loadDataDir'> & { tarball?: Uint8Array } = {},
): Promise<PGlite> {
  const { tarball, ...rest } = options;
  const bytes = tarball ? await plainTar(tarball) : await freshClusterTar();
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite({ ...rest, loadDataDir: new Blob([bytes]) });
  await db.waitReady;
  // Relations grow as on a disk, not by copying the whole file at each extension (memfs.ts).
  extendFilesInPlace(db);
  return db;
}
