// Down migrations: apply up, down, up, and compare schemas. A down that fails, a schema after down that
// differs from the one before up, or an up that cannot run again are findings (source 'trace').
import { fingerprint } from '../finding.js';
import { nameList } from '../rules/lib/ast.js';
import type { Finding, ParsedStatement, Queryable } from '../types.js';

export interface ReversibilityInput {
  /** The up file (repo-relative) and its statements. */
  file: string;
  up: ParsedStatement[];
  /** The down file (may be the same path, e.g. dbmate sections) and its statements. */
  downFile: string;
  down: ParsedStatement[];
  /**
   * Run everything in one transaction (savepoint per statement) and roll back at the end, leaving the
   * database as it was. Default: true unless a statement cannot run in a transaction block
   * (CONCURRENTLY, VACUUM); otherwise the caller must give a throwaway database.
   */
  transactional?: boolean;
  /**
   * The schema before up (schemaObjects) when up has already been applied: the check then runs
   * down and up again from there, inside a transaction it rolls back, so it needs `transactional`.
   */
  before?: Map<string, string>;
  /** With `before`: the schema as up left it, when the caller has just read it (one catalog read less). */
  afterUp?: Map<string, string>;
}

export interface ReversibilityResult {
  findings: Finding[];
  /** Schema objects that differ after down from before up, as text. Empty when down restores it. */
  differences: string[];
  /**
   * Objects the down creates that did not exist before up, where the up drops them with IF EXISTS: the
   * history never made them, but production may have them (made by hand), so they are not differences.
   */
  unseenBeforeUp?: { object: string; line: number }[];
  /** Why the check stopped early (the up migration itself failed), if it did. */
  skipped?: string;
}

// One line per schema object, keyed so that differences name the object. Portable to PostgreSQL 15.
const SCHEMA_SQL = `
with ns as (
  select oid, nspname from pg_catalog.pg_namespace
  where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg\\_toast%' and nspname not like 'pg\\_temp%'
)
select key, def from (
  select 'schema ' || n.nspname as key, '' as def from ns n
  union all
  select case c.relkind when 'r' then 'table ' when 'p' then 'table ' when 'v' then 'view ' when 'm' then 'materialized view '
           when 'S' then 'sequence ' when 'f' then 'foreign table ' else 'relation ' end || n.nspname || '.' || c.relname,
         case when c.relkind in ('v', 'm') then pg_catalog.pg_get_viewdef(c.oid) else '' end
  from pg_catalog.pg_class c join ns n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
  union all
  select 'column ' || n.nspname || '.' || c.relname || '.' || a.attname,
         pg_catalog.format_type(a.atttypid, a.atttypmod) || case when a.attnotnull then ' not null' else '' end
           || coalesce(' default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), '')
  from pg_catalog.pg_attribute a
  join pg_catalog.pg_class c on c.oid = a.attrelid and c.relkind in ('r', 'p', 'v', 'm', 'f')
  join ns n on n.oid = c.relnamespace
  left join pg_catalog.pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
  where a.attnum > 0 and not a.attisdropped
  union all
  select 'index ' || n.nspname || '.' || c.relname, pg_catalog.pg_get_indexdef(c.oid)
  from pg_catalog.pg_class c join ns n on n.oid = c.relnamespace where c.relkind in ('i', 'I')
  union all
  select 'constraint ' || n.nspname || '.' || t.relname || '.' || k.conname, pg_catalog.pg_get_constraintdef(k.oid)
  from pg_catalog.pg_constraint k join pg_catalog.pg_class t on t.oid = k.conrelid join ns n on n.oid = t.relnamespace
  where k.contype <> 'n'
  union all
  select 'trigger ' || n.nspname || '.' || c.relname || '.' || g.tgname, pg_catalog.pg_get_triggerdef(g.oid)
  from pg_catalog.pg_trigger g join pg_catalog.pg_class c on c.oid = g.tgrelid join ns n on n.oid = c.relnamespace
  where not g.tgisinternal
  union all
  select 'function ' || n.nspname || '.' || p.proname || '(' || pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
         pg_catalog.md5(coalesce(p.prosrc, ''))
  from pg_catalog.pg_proc p join ns n on n.oid = p.pronamespace
  where not exists (select 1 from pg_catalog.pg_depend dep where dep.objid = p.oid and dep.deptype = 'e')
  union all
  select 'type ' || n.nspname || '.' || t.typname,
         coalesce((select string_agg(e.enumlabel, ', ' order by e.enumsortorder) from pg_catalog.pg_enum e where e.enumtypid = t.oid), t.typtype::text)
  from pg_catalog.pg_type t join ns n on n.oid = t.typnamespace
  where t.typtype in ('e', 'd') or (t.typtype = 'c' and exists (select 1 from pg_catalog.pg_class c where c.oid = t.typrelid and c.relkind = 'c'))
  union all
  select 'extension ' || x.extname, x.extversion from pg_catalog.pg_extension x
) objects`;

export async function schemaObjects(db: Queryable): Promise<Map<string, string>> {
  const { rows } = await db.query<{ key: string; def: string | null }>(SCHEMA_SQL);
  return new Map(rows.map((r) => [r.key, r.def ?? '']));
}

/** Human-readable differences between two schema descriptions ("before" is the reference). */
export function schemaDifferences(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [key, def] of before) {
    if (!after.has(key)) out.push(`${key} is missing (it existed before up${def ? `: ${def}` : ''})`);
    else if (after.get(key) !== def) out.push(`${key} differs: was ${def || '(empty)'}, now ${after.get(key) || '(empty)'}`);
  }
  for (const [key, def] of after) if (!before.has(key)) out.push(`${key} remains (it did not exist before up${def ? `: ${def}` : ''})`);
  return out.sort();
}

const DROPPED_KINDS: Record<string, string[]> = {
  OBJECT_TABLE: ['table'],
  OBJECT_INDEX: ['index'],
  OBJECT_VIEW: ['view'],
  OBJECT_MATVIEW: ['materialized view'],
  OBJECT_SEQUENCE: ['sequence'],
  OBJECT_FOREIGN_TABLE: ['foreign table'],
};

/**
 * What the up drops with IF EXISTS, as a test on schema-description keys (`constraint ns.table.name`),
 * with the statement's line. Names are compared without their schema.
 */
function droppedIfExists(up: readonly ParsedStatement[]): { matches: (key: string) => boolean; line: number }[] {
  const out: { matches: (key: string) => boolean; line: number }[] = [];
  const lastParts = (key: string, kinds: string[], count: number): string[] | undefined => {
    const kind = kinds.find((k) => key.startsWith(`${k} `));
    return kind === undefined ? undefined : key.slice(kind.length + 1).split('.').slice(-count);
  };
  for (const statement of up) {
    const ast = statement.ast as Record<string, any>;
    const drop = ast.DropStmt;
    if (drop?.missing_ok && DROPPED_KINDS[drop.removeType]) {
      for (const object of drop.objects ?? []) {
        const name = nameList(object?.List?.items).at(-1);
        if (name !== undefined) {
          out.push({ matches: (key) => lastParts(key, DROPPED_KINDS[drop.removeType]!, 1)?.[0] === name, line: statement.line });
        }
      }
    }
    const alter = ast.AlterTableStmt;
    const table = alter?.relation?.relname;
    for (const entry of alter?.cmds ?? []) {
      const cmd = entry?.AlterTableCmd;
      if (!cmd?.missing_ok || typeof cmd.name !== 'string') continue;
      const kind = cmd.subtype === 'AT_DropConstraint' ? 'constraint' : cmd.subtype === 'AT_DropColumn' ? 'column' : undefined;
      if (!kind) continue;
      out.push({
        matches: (key) => {
          const parts = lastParts(key, [kind], 2);
          return parts?.[0] === table && parts?.[1] === cmd.name;
        },
        line: statement.line,
      });
    }
  }
  return out;
}

function needsAutocommit(statement: ParsedStatement): boolean {
  const ast = statement.ast as Record<string, { concurrent?: boolean; params?: unknown[] } | undefined>;
  if (ast.IndexStmt?.concurrent || ast.DropStmt?.concurrent || ast.VacuumStmt) return true;
  return /\bconcurrently\b/i.test(statement.text) && Boolean(ast.ReindexStmt || ast.RefreshMatViewStmt);
}

interface RunFailure {
  statement: ParsedStatement;
  message: string;
}

async function runAll(db: Queryable, statements: ParsedStatement[], transactional: boolean): Promise<RunFailure | undefined> {
  for (const statement of statements) {
    if (statement.kind === 'TransactionStmt') continue;
    try {
      if (transactional) await db.exec('savepoint pgpro_reversibility');
      await db.exec(statement.text);
      if (transactional) await db.exec('release savepoint pgpro_reversibility');
    } catch (error) {
      if (transactional) await db.exec('rollback to savepoint pgpro_reversibility');
      return { statement, message: error instanceof Error ? error.message : String(error) };
    }
  }
  return undefined;
}

export async function checkReversibility(db: Queryable, input: ReversibilityInput): Promise<ReversibilityResult> {
  const transactional = input.transactional ?? ![...input.up, ...input.down].some(needsAutocommit);
  const findings: Finding[] = [];
  const make = (rule: string, file: string, statement: ParsedStatement | undefined, message: string, evidence: string): Finding => ({
    rule,
    severity: 'error',
    source: 'trace',
    file,
    line: statement?.line ?? 1,
    endLine: statement?.endLine ?? 1,
    message,
    evidence,
    fingerprint: fingerprint(rule, file, statement?.text ?? ''),
  });

  if (input.before && !transactional) {
    return { findings, differences: [], skipped: 'CONCURRENTLY or VACUUM cannot run inside the transaction the check rolls back' };
  }
  if (transactional) await db.exec('begin');
  try {
    const before = input.before ?? (await schemaObjects(db));
    if (!input.before) {
      const upFailure = await runAll(db, input.up, transactional);
      if (upFailure) return { findings, differences: [], skipped: `up failed at line ${upFailure.statement.line}: ${upFailure.message}` };
    }
    const afterUp = input.before && input.afterUp ? input.afterUp : await schemaObjects(db);

    const downFailure = await runAll(db, input.down, transactional);
    if (downFailure) {
      findings.push(make(
        'down-migration-fails', input.downFile, downFailure.statement,
        `The down migration fails after up: ${downFailure.message}. Rolling back this change in production would stop here.`,
        `applied ${input.file} (up), then ${input.downFile} (down): error at line ${downFailure.statement.line}: ${downFailure.message}`,
      ));
      return { findings, differences: [] };
    }
    const afterDown = await schemaObjects(db);
    const dropped = droppedIfExists(input.up);
    const unseenBeforeUp: { object: string; line: number }[] = [];
    for (const key of afterDown.keys()) {
      if (before.has(key)) continue;
      const drop = dropped.find((d) => d.matches(key));
      if (drop) unseenBeforeUp.push({ object: key, line: drop.line });
    }
    unseenBeforeUp.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
    const differences = schemaDifferences(before, new Map([...afterDown].filter(([key]) => !unseenBeforeUp.some((u) => u.object === key))));
    if (differences.length) {
      findings.push(make(
        'down-migration-incomplete', input.downFile, input.down[0],
        `The down migration does not restore the schema that existed before up: ${differences.length} ` +
          `difference${differences.length === 1 ? '' : 's'} (${differences.slice(0, 3).join('; ')}${differences.length > 3 ? '; …' : ''}).`,
        `schema before up vs after up+down:\n${differences.map((d) => `  ${d}`).join('\n')}`,
      ));
    }

    const upAgain = await runAll(db, input.up, transactional);
    if (upAgain) {
      findings.push(make(
        'up-after-down-fails', input.file, upAgain.statement,
        `The up migration fails when re-applied after down: ${upAgain.message}. The down migration leaves something behind.`,
        `applied up, down, then up again: error at line ${upAgain.statement.line}: ${upAgain.message}`,
      ));
    } else {
      const again = schemaDifferences(afterUp, await schemaObjects(db));
      if (again.length && differences.length === 0) {
        findings.push(make(
          'up-after-down-fails', input.file, input.up[0],
          `Re-applying up after down gives a different schema than the first up: ${again.slice(0, 3).join('; ')}.`,
          `schema after up vs after up+down+up:\n${again.map((d) => `  ${d}`).join('\n')}`,
        ));
      }
    }
    return { findings, differences, ...(unseenBeforeUp.length > 0 ? { unseenBeforeUp } : {}) };
  } finally {
    if (transactional) await db.exec('rollback');
  }
}
