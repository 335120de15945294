import { parse } from '../sql/pg-query.js';

// The model's SQL is untrusted too. Before it reaches the sandbox it must be exactly one SELECT
// (or EXPLAIN of one) that writes nothing: no SELECT INTO, no FOR UPDATE/SHARE, no data-modifying
// CTE. The pipeline also runs it in a READ ONLY transaction; this check gives the model a clear
// error instead of a failed write.

const WRITING_NODES = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'IntoClause', 'LockingClause']);

/** Catalogs that hold password verifiers or connection secrets: never read, whatever the query. */
const CREDENTIAL_RELATIONS = new Set(['pg_authid', 'pg_shadow', 'pg_user_mapping', 'pg_user_mappings']);
/** Large objects are files kept outside the tables: a way around everything else this check refuses. */
const LARGE_OBJECT_RELATIONS = new Set(['pg_largeobject', 'pg_largeobject_metadata']);

/**
 * Functions that reach outside the database or change it from a SELECT: the server's files, large
 * objects, other backends, advisory locks, other servers, settings, and SQL run from a string (which
 * this check could not see). Matched by name, with or without a schema.
 */
const DENIED_FUNCTIONS = new Map<string, string>([
  ...['pg_read_file', 'pg_read_binary_file', 'pg_ls_dir', 'pg_stat_file', 'pg_ls_logdir', 'pg_ls_waldir', 'pg_ls_tmpdir',
    'pg_ls_archive_statusdir', 'pg_ls_logicalsnapdir', 'pg_ls_logicalmapdir', 'pg_ls_replslotdir', 'pg_current_logfile',
    'pg_file_write', 'pg_file_read', 'pg_file_rename', 'pg_file_unlink'].map((name) => [name, 'reads or writes server files'] as const),
  ...['lo_import', 'lo_export', 'lo_open', 'lo_creat', 'lo_create', 'lo_unlink', 'lo_get', 'lo_put', 'lo_from_bytea',
    'loread', 'lowrite', 'lo_truncate', 'lo_lseek'].map((name) => [name, 'uses large objects'] as const),
  ...['pg_terminate_backend', 'pg_cancel_backend', 'pg_signal_backend', 'pg_reload_conf', 'pg_rotate_logfile',
    'pg_log_backend_memory_contexts', 'pg_promote'].map((name) => [name, 'signals the server or its backends'] as const),
  ...['set_config'].map((name) => [name, 'changes settings'] as const),
  ...['pg_sleep', 'pg_sleep_for', 'pg_sleep_until'].map((name) => [name, 'only waits'] as const),
  ...['query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema', 'cursor_to_xml', 'cursor_to_xmlschema'].map(
    (name) => [name, 'runs SQL given as a string'] as const,
  ),
]);

function deniedBecause(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower.startsWith('pg_advisory_') || lower.startsWith('pg_try_advisory_')) return 'takes advisory locks';
  if (lower.startsWith('dblink')) return 'connects to another server';
  if (lower.startsWith('lo_')) return 'uses large objects';
  return DENIED_FUNCTIONS.get(lower);
}

/** The first call of a denied function anywhere in the tree, with why. */
function findDeniedFunction(node: unknown): { name: string; why: string } | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findDeniedFunction(item);
      if (found) return found;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const call = (node as { FuncCall?: { funcname?: { String?: { sval?: string } }[] } }).FuncCall;
  const name = call?.funcname?.at(-1)?.String?.sval;
  const why = name ? deniedBecause(name) : undefined;
  if (name && why) return { name, why };
  for (const value of Object.values(node)) {
    const found = findDeniedFunction(value);
    if (found) return found;
  }
  return undefined;
}

function findRelation(node: unknown, names: ReadonlySet<string>): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findRelation(item, names);
      if (found) return found;
    }
    return undefined;
  }
  if (node === null || typeof node !== 'object') return undefined;
  const record = node as Record<string, unknown>;
  if (typeof record.relname === 'string' && names.has(record.relname.toLowerCase())) return record.relname;
  for (const value of Object.values(record)) {
    const found = findRelation(value, names);
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
  const credentials = findRelation(select, CREDENTIAL_RELATIONS);
  if (credentials) return { ok: false, reason: `${credentials} holds credentials and is not readable by the review` };
  const largeObjects = findRelation(select, LARGE_OBJECT_RELATIONS);
  if (largeObjects) return { ok: false, reason: `read-only tools reject ${largeObjects}: it holds large objects` };
  const denied = findDeniedFunction(select);
  if (denied) return { ok: false, reason: `read-only tools reject ${denied.name}(): it ${denied.why}` };
  return { ok: true };
}

/** A table name as `name`, `schema.name` or with double-quoted parts; nothing else. */
export function isTableName(name: string): boolean {
  const part = '(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")';
  return new RegExp(`^${part}(?:\\.${part})?$`).test(name.trim());
}
