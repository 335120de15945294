// A schema dump as the starting state (config sandbox.schema): `pg_dump --schema-only` output, Rails'
// db/structure.sql and the like, for repositories whose history cannot be replayed (squashed, edited,
// or managed elsewhere). The dump replaces the history: history files are not replayed. It is loaded
// statement by statement and tolerantly: what only production's roles and privileges need is skipped,
// and a statement the sandbox cannot run costs a note, not the review.
import type { PgproConfig } from '../config/schema.js';
import { isSupportedExtension, type Sandbox } from '../sandbox/index.js';
import { extensionsIn } from '../sandbox/extensions.js';
import { parseMigrationSql } from '../sql/parse.js';
import type { ChangeSet, ParsedStatement } from '../types.js';
import { messageOf, statusOf, type ReviewState, type SetupScript } from './state.js';

/** The dump named by sandbox.schema, read from the base tree (the state before the change) when there is one. */
export async function readSchemaDump(config: PgproConfig, change: ChangeSet): Promise<SetupScript | undefined> {
  const path = config.sandbox.schema;
  if (!path) return undefined;
  const sql = (change.base ? await change.base.read(path) : undefined) ?? (await change.head.read(path));
  if (sql === undefined) throw new Error(`sandbox.schema: the file ${path} does not exist.`);
  return { name: path, sql, dump: true };
}

/** With a schema dump, the history is in it: its files are not replayed. */
export function historyInDump(state: ReviewState): void {
  const dump = state.setup.find((s) => s.dump);
  if (!dump || state.historyParsed.length === 0) return;
  for (const { migration, parsed } of state.historyParsed) {
    state.historyStatuses.set(migration.path, statusOf(migration, 'skipped', parsed.statements.length, 0));
  }
  state.notes.push(
    `The schema dump ${dump.name} (sandbox.schema) is the starting state: the ${state.historyParsed.length} history migrations were not replayed.`,
  );
  state.historyParsed = [];
}

/** Statements a dump holds for production's roles and privileges, which the sandbox has no use for. */
const PRIVILEGE_KINDS = new Set(['AlterOwnerStmt', 'GrantStmt', 'GrantRoleStmt', 'AlterDefaultPrivilegesStmt', 'CreateRoleStmt', 'AlterRoleStmt']);

function onlyChangesOwner(statement: ParsedStatement): boolean {
  if (statement.kind !== 'AlterTableStmt') return false;
  const cmds = (statement.ast.AlterTableStmt as { cmds?: { AlterTableCmd?: { subtype?: string } }[] } | undefined)?.cmds ?? [];
  return cmds.length > 0 && cmds.every((c) => c.AlterTableCmd?.subtype === 'AT_ChangeOwner');
}

/** psql meta-commands (`\restrict`, `\connect`) are not SQL: pg_dump writes them on lines of their own. */
export function withoutMetaCommands(sql: string): string {
  return sql
    .split('\n')
    .map((line) => (line.startsWith('\\') ? '' : line))
    .join('\n');
}

/**
 * Runs a schema dump in the sandbox and returns the note saying what was loaded, skipped and failed.
 * Never throws for the dump's own statements.
 */
export async function loadSchemaDump(sandbox: Sandbox, script: SetupScript): Promise<string> {
  const parsed = await parseMigrationSql(withoutMetaCommands(script.sql), script.name);
  let loaded = 0;
  let skipped = 0;
  const failed: string[] = [];
  const missingExtensions = new Set<string>();
  for (const statement of parsed.statements) {
    if (sandbox.stopped) break;
    if (PRIVILEGE_KINDS.has(statement.kind) || onlyChangesOwner(statement)) {
      skipped++;
      continue;
    }
    const extensions = extensionsIn(statement.text).filter((name) => !isSupportedExtension(name));
    if (extensions.length > 0) {
      extensions.forEach((name) => missingExtensions.add(name));
      continue;
    }
    try {
      await sandbox.exec(statement.text);
      loaded++;
    } catch (error) {
      failed.push(`line ${statement.line}: ${messageOf(error)}`);
    }
  }
  // pg_dump empties search_path for the session (set_config(..., false)); the history must not inherit it.
  await sandbox.exec('RESET ALL').catch(() => undefined);
  const parts = [`Loaded the schema dump ${script.name}: ${loaded} statements`];
  if (skipped > 0) parts.push(`${skipped} ownership and privilege statements skipped`);
  if (missingExtensions.size > 0) parts.push(`extensions the sandbox lacks left out (${[...missingExtensions].join(', ')})`);
  if (parsed.errors.length > 0) parts.push(`${parsed.errors.length} statements that do not parse left out (first at line ${parsed.errors[0]!.line})`);
  if (failed.length > 0) parts.push(`${failed.length} statements failed (${failed.slice(0, 3).join('; ')}${failed.length > 3 ? '; …' : ''})`);
  return `${parts.join('; ')}.`;
}
