// The history with its synthetic rows, cached: what a review computes before it applies anything new
// depends only on the base, so the next review of that base restores it instead of seeding every table
// and reading the whole catalog again.
import { createHash } from 'node:crypto';
import type { DiscardListener, SnapshotCache } from '../sandbox/snapshot-cache.js';
import type { CatalogSnapshot } from '../types.js';
import { GENERATOR_VERSION } from '../synthetic/plan.js';
import { codeId } from '../code-id.js';

/** Stored beside the seeded snapshot. */
export interface SeededDocument {
  v: 1;
  /** The catalog read after the history and before any synthetic row: the "before" every stage sees. */
  catalog: CatalogSnapshot;
  /** Rows each table holds from the seeding (schema.name → rows). */
  rows: Record<string, number>;
  /** The seeding's notes (tables it could not fill and why). */
  notes: string[];
  /** Tables that held no row before the seeding: only synthetic ones (re-runs without them empty these). */
  syntheticOnly: string[];
}

export interface Seeded {
  document: SeededDocument;
  tarball: Uint8Array;
}

/**
 * Names the seeded state of one history snapshot. The seeding depends on the rows per table and on
 * the generator, which may change with pgpro's version or within it (GENERATOR_VERSION).
 */
export function seededKey(historySnapshot: string, seedRows: number): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, pgpro: codeId(), generator: GENERATOR_VERSION, historySnapshot, seedRows })).digest('hex');
}

/** The seeded snapshot and its document, when both are cached. */
export async function cachedSeeded(cache: SnapshotCache, key: string, onDiscard?: DiscardListener): Promise<Seeded | undefined> {
  const document = await cachedSeededDocument(cache, key);
  const hit = document ? await cache.get([key], onDiscard) : undefined;
  return document && hit ? { document, tarball: hit.tarball } : undefined;
}

/**
 * The seeded snapshot's document alone: a review that finds its fill cached too restores that one, and
 * need not read (and check) the seeded snapshot's several MB as well.
 */
export async function cachedSeededDocument(cache: SnapshotCache, key: string): Promise<SeededDocument | undefined> {
  const document = await cache.getDocument<SeededDocument>(key);
  if (document?.v !== 1 || !Array.isArray(document.catalog?.tables) || !Array.isArray(document.syntheticOnly)) return undefined;
  return document;
}

export async function storeSeeded(cache: SnapshotCache, key: string, seeded: Seeded): Promise<void> {
  // The tarball first: a document whose snapshot is missing costs a look for it and a seeding, a
  // snapshot without its document is never found.
  await cache.set(key, seeded.tarball);
  await cache.setDocument(key, seeded.document);
}

/**
 * The document alone (data.ts: a base's first review): it leads the next review to the fill it stored
 * (stages/filled.ts, keyed by this key), and tells a later seeding that the base is seen again.
 */
export async function storeSeededDocument(cache: SnapshotCache, key: string, document: SeededDocument): Promise<void> {
  await cache.setDocument(key, document);
}
