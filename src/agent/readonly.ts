import { parse } from 'libpg-query';

// The model's SQL is untrusted too. Before it reaches the sandbox it must be exactly one SELECT
// (or EXPLAIN of one) that writes nothing: no SELECT INTO, no FOR UPDATE/SHARE, no data-modifying
// CTE. The pipeline also runs it in a READ ONLY transaction; this check gives the model a clear
// error instead of a failed write.

const WRITING_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'IntoClause', 'LockingClause']);

/** Catalogs that hold password verifiers or connection secrets: never read, whatever the query. */
const CREDENTIAL_RELATIONS = new Set(['pg_authid', 'pg_shadow', 'pg_user_mapping', 'pg_user_mappings']);

function findCredentialRelation(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findCredentialRelation(item);
      if (found) return found;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const record = node as Record<string, unknown>;
  if (typeof record.relname === 'string' && CREDENTIAL_RELATIONS.has(record.relname.toLowerCase())) return record.relname;
  for (const value of Object.values(record)) {
    const found = findCredentialRelation(value);
    if (found) return found;
  }
  return undefined;
}

export type ReadOnlyCheck = { ok: true } | { ok: false; reason: string };

function findWritingNode(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findWritingNode(item);
      if (found) return found;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  for (const [key, value] of Object.entries(node)) {
    if (WRITING_NODES.has(key)) return key;
    // SelectStmt carries SELECT … INTO as `intoClause` and FOR UPDATE as `lockingClause`.
    if (key === 'intoClause') return 'IntoClause';
    if (key === 'lockingClause') return 'LockingClause';
    const found = findWritingNode(value);
    if (found) return found;
  }
  return undefined;
}

const DESCRIBE_WRITE: Record<string, string> = {
  InsertStmt: 'an INSERT',
  UpdateStmt: 'an UPDATE',
  DeleteStmt: 'a DELETE',
  MergeStmt: 'a MERGE',
  IntoClause: 'SELECT … INTO (creates a table)',
  LockingClause: 'FOR UPDATE/SHARE (takes row locks)',
};

/**
 * `allowExplain`: whether `EXPLAIN <select>` is accepted (the query tool) or only a bare SELECT
 * (the explain tool, which adds EXPLAIN itself).
 */
export async function checkReadOnlySql(sql: string, allowExplain: boolean): Promise<ReadOnlyCheck> {
  let parsed: Awaited<ReturnType<typeof parse>>;
  try {
    parsed = await parse(sql);
  } catch (error) {
    return { ok: false, reason: `SQL does not parse: ${(error as Error).message}` };
  }
  const statements = parsed.stmts ?? [];
  if (statements.length !== 1) {
    return { ok: false, reason: `exactly one statement is allowed, got ${statements.length}` };
  }
  const stmt = (statements[0]?.stmt ?? {}) as Record<string, unknown>;
  const kind = Object.keys(stmt)[0] ?? 'unknown';
  let select: unknown;
  if (kind === 'SelectStmt') {
    select = stmt.SelectStmt;
  } else if (kind === 'ExplainStmt' && allowExplain) {
    const inner = ((stmt.ExplainStmt as { query?: Record<string, unknown> }).query ?? {}) as Record<string, unknown>;
    const innerKind = Object.keys(inner)[0] ?? 'unknown';
    if (innerKind !== 'SelectStmt') {
      return { ok: false, reason: `only EXPLAIN of a SELECT is allowed, got EXPLAIN of ${innerKind}` };
    }
    select = inner.SelectStmt;
  } else {
    return {
      ok: false,
      reason: `only ${allowExplain ? 'a SELECT or EXPLAIN of a SELECT' : 'a SELECT'} is allowed, got ${kind}`,
    };
  }
  const writing = findWritingNode(select);
  if (writing) return { ok: false, reason: `read-only tools reject ${DESCRIBE_WRITE[writing] ?? writing}` };
  const credentials = findCredentialRelation(select);
  if (credentials) return { ok: false, reason: `${credentials} holds credentials and is not readable by the review` };
  return { ok: true };
}

/** A table name as `name`, `schema.name` or with double-quoted parts; nothing else. */
export function isTableName(name: string): boolean {
  const part = '(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")';
  return new RegExp(`^${part}(?:\\.${part})?$`).test(name.trim());
}
