// pgvector in the PGlite sandbox: a history that creates the extension and a vector column (replayed,
// then restored from the snapshot cache), and a new migration that builds hnsw and ivfflat indexes on
// it, are applied and observed like any other migration — no not-run, no missing-extension note.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse.js';
import { review } from '../../src/review.js';
import { SnapshotCache } from '../../src/sandbox/snapshot-cache.js';
import type { ChangeSet, ReviewResult } from '../../src/types.js';
import { memoryTree } from '../helpers/tree.js';

const deps = { env: {} };
const config = parseConfig('explain:\n  enabled: false\n', 'test.yml');

const files = {
  'db/migrations/0001_documents.sql': [
    'CREATE SCHEMA extensions;',
    'CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA extensions;',
    'CREATE TABLE documents (',
    '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
    '  body text NOT NULL,',
    '  embedding extensions.vector(3) NOT NULL,',
    '  small extensions.halfvec(4) NOT NULL,',
    '  sparse extensions.sparsevec(1536) NOT NULL,',
    '  wide extensions.vector(1536)',
    ');',
    '',
  ].join('\n'),
  'db/migrations/0002_vector_indexes.sql': [
    'CREATE INDEX documents_embedding_hnsw ON documents USING hnsw (embedding extensions.vector_l2_ops);',
    'CREATE INDEX documents_embedding_ivfflat ON documents USING ivfflat (embedding extensions.vector_cosine_ops) WITH (lists = 4);',
    'CREATE INDEX documents_small_hnsw ON documents USING hnsw (small extensions.halfvec_l2_ops);',
    'CREATE UNIQUE INDEX documents_embedding_key ON documents (embedding);',
    'ALTER TABLE documents ADD COLUMN summary extensions.vector(3);',
    '',
  ].join('\n'),
};
const NEW = 'db/migrations/0002_vector_indexes.sql';
const change: ChangeSet = { head: memoryTree(files), changed: [NEW] };

describe('pgvector in the PGlite sandbox', () => {
  const cache = new SnapshotCache();
  let first: ReviewResult;
  let second: ReviewResult;
  beforeAll(async () => {
    first = await review(change, { config }, { ...deps, snapshotCache: cache });
    second = await review(change, { config }, { ...deps, snapshotCache: cache });
  });

  it('the history creating vector WITH SCHEMA and the new hnsw/ivfflat indexes are applied, nothing is skipped', () => {
    expect(first.migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/0001_documents.sql', 'applied'],
      [NEW, 'applied'],
    ]);
    expect(first.notReviewed ?? []).toEqual([]);
    expect(first.notes.filter((n) => n.includes('extension "vector"'))).toEqual([]);
    // The vector, halfvec and sparsevec columns got values: the table was filled (a unique index on
    // the embedding builds on them) and no "not filled" note was written.
    expect(first.notes.filter((n) => n.startsWith('synthetic data'))).toEqual([]);
    expect(first.findings.filter((f) => f.severity === 'error' && f.source !== 'lint')).toEqual([]);
  });

  it('a restored history gives the same review', () => {
    expect(second.notes).toContain('Restored 1 history migrations from the snapshot cache.');
    const comparable = (r: ReviewResult) => ({ findings: r.findings, statuses: r.migrations.map((m) => [m.file, m.status]) });
    expect(comparable(second)).toEqual(comparable(first));
  });
});
