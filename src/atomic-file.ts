// Cache files are shared by concurrent processes (CLI runs, App workers): each is written whole or not
// at all, so a reader never sees half of one.
import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { nodeCrypto } from './node-crypto.js';

/** A temporary name beside `file`, unique across processes and concurrent writers in one process. */
export function temporaryNameFor(file: string): string {
  return `${file}.${process.pid}.${nodeCrypto().randomUUID()}.tmp`;
}

/** Writes `data` to a temporary file beside `file`, then renames it over `file`; on failure the temporary is removed and the error rethrown. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = temporaryNameFor(file);
  try {
    await writeFile(temporary, data);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * writeFileAtomic for the synchronous paths (lint's cache, written as the process exits); `data` may come
 * in pieces, written one after the other (a large report is not copied into one buffer first).
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const temporary = temporaryNameFor(file);
  try {
    if (typeof data === 'string' || !Array.isArray(data)) writeFileSync(temporary, data as string | Uint8Array);
    else {
      const fd = openSync(temporary, 'w');
      try {
        for (const piece of data) for (let at = 0; at < piece.length; ) at += writeSync(fd, piece, at);
      } finally {
        closeSync(fd);
      }
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
