// The seeded history with this change's own fill made (the EXPLAIN volume in the tables the change
// touches), cached: the state a review reaches just before it applies anything new. It depends on the
// base, the settings and which tables the change touches, not on the change's statements, so every
// later push of a pull request that touches the same tables restores it and goes straight to applying,
// and its snapshot is the starting point of the fix proofs as it is (no second dump).
import { createHash } from 'node:crypto';
import type { DiscardListener, SnapshotCache } from '../sandbox/snapshot-cache.js';

/** Stored beside the filled snapshot: what the fill said, as the data stage reports it. */
export interface FilledDocument {
  v: 1;
  /** The fill's notes (tables it could not fill as asked, and why). */
  notes: string[];
  /** Tables the fill put rows into that held none before it (or the seeding). */
  syntheticOnly: string[];
}

export interface Filled {
  key: string;
  document: FilledDocument;
  tarball: Uint8Array;
}

/** Names the state the fill `plan` (table → rows added) leaves on the seeded snapshot `seeded`. */
export function filledKey(seeded: string, plan: readonly [string, number][]): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, seeded, plan })).digest('hex');
}

export async function cachedFilled(cache: SnapshotCache, key: string, onDiscard?: DiscardListener): Promise<Filled | undefined> {
  const document = await cache.getDocument<FilledDocument>(key);
  if (document?.v !== 1 || !Array.isArray(document.notes) || !Array.isArray(document.syntheticOnly)) return undefined;
  const hit = await cache.get([key], onDiscard);
  return hit ? { key, document, tarball: hit.tarball } : undefined;
}

export async function storeFilled(cache: SnapshotCache, key: string, filled: { document: FilledDocument; tarball: Uint8Array }): Promise<void> {
  // The tarball first: a document without its snapshot is ignored, the reverse would be read.
  await cache.set(key, filled.tarball);
  await cache.setDocument(key, filled.document);
}
