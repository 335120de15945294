import { mkdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { dirname, join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';
import { cacheDir } from '../cache-dir.js';
import { extendFilesInPlace } from './memfs.js';
import type { DumpFs } from './dump.js';
import { writeFileAtomic } from '../atomic-file.js';

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
 * A gzipped data directory of a freshly initialised cluster. initdb costs ~2-8 s and ~0.7-0.9 GB, so it
 * runs at build time (scripts/fresh-cluster.ts puts the tarball beside the build), or else once per
 * PGlite version on this machine; every sandbox starts from this tarball instead.
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

/**
 * The tarball the build made for the installed PGlite: dist/pglite-<version>-fresh.tar.gz, one level up
 * from this module (dist/sandbox/ in the library, dist/bundle/ in the CLI's bundle). From the sources,
 * a path where there is none.
 */
export function builtFreshClusterFile(): string {
  return fileURLToPath(new URL(`../pglite-${pgliteVersion()}-fresh.tar.gz`, import.meta.url));
}

/** A fresh cluster is at hand without initdb: built with pgpro, or cached on this machine. */
export function freshClusterAtHand(env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(freshClusterFile(env)) || existsSync(builtFreshClusterFile());
}

async function loadOrCreateFreshCluster(): Promise<Uint8Array> {
  const file = freshClusterFile();
  const dir = dirname(file);
  // The build's own first: made by the code that reads it, so a rebuilt pgpro starts from its own.
  for (const candidate of [builtFreshClusterFile(), file]) {
    try {
      return new Uint8Array(await readFile(candidate));
    } catch {
      // not cached, or not built with pgpro
    }
  }
  const bytes = await createFreshCluster();
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(file, bytes);
  return bytes;
}

/**
 * initdb in a new PGlite, its data directory gzipped: as PGlite archives it, less the log before its
 * checkpoint (7 MB of initdb's, a third of the gzipped archive), which no start reads (dump.ts).
 */
export async function createFreshCluster(): Promise<Uint8Array> {
  // Loaded only here and in openPglite: the main thread of a review never starts PGlite itself.
  const { PGlite } = await import('@electric-sql/pglite');
  const { dumpDataDir, walExtent } = await import('./dump.js');
  const db = new PGlite();
  try {
    await db.waitReady;
    const fs = (db as unknown as { mod?: { FS?: DumpFs } }).mod?.FS;
    if (!fs) return new Uint8Array(await (await db.dumpDataDir('gzip')).arrayBuffer());
    const out = await gzipAsync(dumpDataDir(fs, () => undefined, undefined, await walExtent(db)));
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } finally {
    await db.close();
  }
}

const gzipAsync = promisify(gzipCallback);

export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The size of a data-dir tarball unpacked: a gzip's trailer holds it (modulo 4 GB, beyond any sandbox's bound). */
export function unpackedBytes(bytes: Uint8Array): number {
  if (!isGzip(bytes) || bytes.byteLength < 18) return bytes.byteLength;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(bytes.byteLength - 4);
}

/** A plain data-dir tar gzipped for storage (level 1: a snapshot is written on the review's path). */
export async function gzipTar(bytes: Uint8Array): Promise<Uint8Array> {
  if (isGzip(bytes)) return bytes;
  const out = await gzipAsync(bytes, { level: 1 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * An in-process PGlite started from a data-dir tarball, gzipped or plain (the fresh cluster unless one
 * is given), unpacked into its file system without copies of the archive (archive-fs.ts).
 */
export async function openPglite(
  options: Omit<PGliteOptions, 'loadDataDir' | 'fs' | 'dataDir'> & { tarball?: Uint8Array } = {},
): Promise<PGlite> {
  const { tarball, ...rest } = options;
  // Loaded here, not at the top: the main thread of a review never starts PGlite itself.
  const { ArchiveFS } = await import('./archive-fs.js');
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite({ ...rest, fs: new ArchiveFS(tarball ?? (await freshClusterTarball())) });
  await db.waitReady;
  // Relations grow as on a disk, not by copying the whole file at each extension (memfs.ts).
  extendFilesInPlace(db);
  return db;
}
