// Cache files are shared by concurrent processes (CLI runs, App workers): each is written whole or not
// at all, so a reader never sees half of one.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
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

/** writeFileAtomic for the synchronous paths (lint's cache, written as the process exits). */
export function writeFileAtomicSync(file: string, data: string | Uint8Array): void {
  const temporary = temporaryNameFor(file);
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
