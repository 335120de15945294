// The oracle: the same history applied to a scratch database on a real PostgreSQL server, file by
// file, the way its tool runs it. What it applies is what pgpro's sandbox should apply too.
//
// It shares pgpro's discovery and transaction-mode model (src/migrations/): it measures the sandbox's
// fidelity, not discovery. Each file runs in a fresh session (a new connection), as a tool's run would
// see it: database- and role-level settings apply, session SETs and temp tables of earlier files do
// not. A file the tool runs in one transaction is wrapped in BEGIN/COMMIT (unless it has its own
// transaction control); otherwise each statement commits on its own. After a failed file the oracle
// goes on with the next one, as pgpro's history replay does, so both report every file.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PgproConfig } from '../../src/config/schema.js';
import { presetSetup } from '../../src/sandbox/presets.js';
import { transactionControl } from '../../src/sandbox/statements.js';
import { splitTopLevel } from '../../src/sql/lexer.js';
import type { FileTree, MigrationFile } from '../../src/types.js';
import type { FileResult } from './results.js';

export interface OracleResult {
  database: string;
  serverVersion: string;
  setupError?: string;
  files: FileResult[];
  /** Roles the run created on the server (they are cluster-wide) and that were dropped afterwards. */
  rolesDropped: string[];
  durationMs: number;
}

/** The setup scripts review() runs (preset, then sandbox.setup), read the same way. */
export async function setupScripts(config: PgproConfig, tree: FileTree): Promise<{ name: string; sql: string }[]> {
  const scripts = [...presetSetup(config.sandbox.preset)];
  for (const [i, entry] of config.sandbox.setup.entries()) {
    if ('sql' in entry) {
      scripts.push({ name: `sandbox.setup[${i}]`, sql: entry.sql });
      continue;
    }
    const sql = await tree.read(entry.file);
    if (sql === undefined) throw new Error(`sandbox.setup[${i}]: the file ${entry.file} does not exist.`);
    scripts.push({ name: entry.file, sql });
  }
  return scripts;
}

/** Top-level statements of a migration with their 1-based file lines (psql's splitting). */
export function statementsOf(migration: Pick<MigrationFile, 'sql' | 'lineOffset'>): { text: string; line: number }[] {
  const { sql } = migration;
  return splitTopLevel(sql).pieces.map((piece) => ({
    text: sql.slice(piece.start, piece.end),
    line: migration.lineOffset + 1 + (sql.slice(0, piece.start).match(/\n/g)?.length ?? 0),
  }));
}

function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

interface PgError {
  message: string;
  code?: string;
}

export async function runOracle(
  name: string,
  config: PgproConfig,
  tree: FileTree,
  migrations: readonly MigrationFile[],
  url: string,
): Promise<OracleResult> {
  const started = performance.now();
  const database = `pgpro_corpus_${name.replace(/[^a-z0-9]/g, '_')}_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const roleNames = async () => new Set((await admin.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map((r) => r.rolname));
  const rolesBefore = await roleNames();
  const serverVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  await admin.query(`CREATE DATABASE ${database}`);
  const target = databaseUrl(url, database);
  const session = async <T>(work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: target });
    client.on('error', () => undefined); // a terminated backend must not crash the harness
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const files: FileResult[] = [];
  let setupError: string | undefined;
  try {
    for (const script of await setupScripts(config, tree)) {
      try {
        await session((c) => c.query(script.sql));
      } catch (error) {
        setupError = `${script.name}: ${(error as PgError).message}`;
        break;
      }
    }
    for (const migration of migrations) {
      const t0 = performance.now();
      const outcome = await session((client) => applyFile(client, migration));
      files.push({ file: migration.path, ...outcome, durationMs: Math.round(performance.now() - t0) });
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
  }
  const rolesDropped: string[] = [];
  for (const role of await roleNames()) {
    if (rolesBefore.has(role)) continue;
    const dropped = await admin.query(`DROP ROLE IF EXISTS "${role.replace(/"/g, '""')}"`).then(() => true, () => false);
    if (dropped) rolesDropped.push(role);
  }
  await admin.end();
  return { database, serverVersion, ...(setupError ? { setupError } : {}), files, rolesDropped, durationMs: Math.round(performance.now() - started) };
}

async function applyFile(client: pg.Client, migration: MigrationFile): Promise<Pick<FileResult, 'status' | 'error'>> {
  const statements = statementsOf(migration);
  const wrap = migration.inTransaction && !statements.some((s) => transactionControl(s.text));
  let open = false;
  if (wrap) {
    await client.query('BEGIN');
    open = true;
  }
  for (const statement of statements) {
    if (/^copy\b[\s\S]*\bfrom\s+stdin\b/i.test(statement.text)) {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      return { status: 'failed', error: { message: 'oracle: COPY FROM stdin is not supported by the harness', line: statement.line } };
    }
    try {
      await client.query(statement.text);
    } catch (error) {
      const e = error as PgError;
      await client.query('ROLLBACK').catch(() => undefined); // a no-op outside a transaction block
      return { status: 'failed', error: { message: e.message, line: statement.line, ...(e.code ? { sqlstate: e.code } : {}) } };
    }
    const control = transactionControl(statement.text);
    if (control === 'begin') open = true;
    if (control === 'end') open = false;
  }
  if (open) {
    try {
      await client.query('COMMIT');
    } catch (error) {
      const e = error as PgError;
      return { status: 'failed', error: { message: e.message, line: statements.at(-1)?.line ?? 1, ...(e.code ? { sqlstate: e.code } : {}) } };
    }
  }
  return { status: 'applied' };
}
