import { identSql, nearest, relationLabel, relationSql, typeInfo, type TypeInfo } from './lib/ast.js';
import { columnTypeSql } from './lib/common.js';
import { catalogTable, isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'changing-column-type',
    category: 'rewrite',
    defaultSeverity: 'error',
    requires: 'catalog',
    description: 'ALTER COLUMN TYPE that rewrites an existing table (every change that is not binary-coercible).',
  }),
  create(ctx) {
    return {
      AlterTableCmd(cmd, ancestors) {
        if (cmd.subtype !== 'AT_AlterColumnType') return;
        const stmt = nearest(ancestors, 'AlterTableStmt');
        const col = cmd.def?.ColumnDef;
        if (!stmt || !col || !isExisting(ctx, stmt.relation)) return;
        const next = typeInfo(col.typeName);
        const catalog = catalogTable(ctx, stmt.relation);
        const current = catalog?.columns.find((c) => c.name.toLowerCase() === cmd.name?.toLowerCase());
        const table = relationLabel(stmt.relation);
        if (next && current && !col.raw_default && binaryCoercible(current.type, next)) {
          // No rewrite, but PostgreSQL re-adds the column's CHECK constraints and validates them with a scan.
          const checks = (catalog?.constraints ?? []).filter((c) => c.type === 'c' && c.columns.some((n) => n.toLowerCase() === cmd.name?.toLowerCase()));
          if (checks.length === 0) return;
          ctx.report({
            message:
              `Changing the type of ${table}.${cmd.name} from ${current.type} needs no rewrite, but its CHECK constraint ` +
              `${checks.map((c) => c.name).join(', ')} is checked again against every row while the ACCESS EXCLUSIVE lock is ` +
              `held: all reads and writes of ${table} wait for the scan.`,
            line: ctx.lineOf(col),
            fix: {
              title: 'Drop the CHECK constraint, change the type, then add it back NOT VALID and validate it',
              steps: checks.flatMap((c) => [
                `ALTER TABLE ${table} DROP CONSTRAINT ${c.name}; -- in the same statement as the type change`,
                `ALTER TABLE ${table} ADD CONSTRAINT ${c.name} ${c.definition} NOT VALID; then VALIDATE CONSTRAINT ${c.name} in a later transaction`,
              ]),
            },
            evidence: sizeEvidence(ctx, stmt.relation),
          });
          return;
        }
        ctx.report({
          message:
            `Changing the type of ${table}.${cmd.name}${current ? ` from ${current.type}` : ''} rewrites ${table} and rebuilds ` +
            `its indexes while holding an ACCESS EXCLUSIVE lock: all reads and writes of ${table} wait until it ends.`,
          line: ctx.lineOf(col),
          fix: {
            title: 'Add a new column, backfill it, switch over, then drop the old one',
            steps: [
              `ALTER TABLE ${relationSql(stmt.relation)} ADD COLUMN ${identSql(`${cmd.name}_new`)} ${columnTypeSql(ctx, col).replace('<type>', '<new type>')};`,
              'Write both columns from the application (or a trigger) and backfill old rows in batches.',
              'Switch reads to the new column, then drop the old one and rename in a later release.',
            ],
          },
          evidence: sizeEvidence(ctx, stmt.relation),
        });
      },
    };
  },
};

/**
 * Changes PostgreSQL makes without a rewrite: widening or dropping a varchar limit, varchar → text,
 * widening numeric precision at the same scale, and the same type.
 */
export function binaryCoercible(currentType: string, next: TypeInfo): boolean {
  if (next.isArray) return false;
  const current = currentType.trim().toLowerCase();
  const varchar = /^character varying(?:\((\d+)\))?$/.exec(current);
  if (varchar) {
    if (next.name === 'text') return true;
    if (next.name !== 'varchar') return false;
    if (next.mods.length === 0) return true;
    return varchar[1] !== undefined && next.mods[0]! >= Number(varchar[1]);
  }
  if (current === 'text') return next.name === 'text' || (next.name === 'varchar' && next.mods.length === 0);
  const numeric = /^numeric(?:\((\d+),(\d+)\))?$/.exec(current);
  if (numeric && next.name === 'numeric') {
    if (next.mods.length === 0) return true;
    if (numeric[1] === undefined) return false;
    const [p, s = 0] = next.mods;
    return p! >= Number(numeric[1]) && s === Number(numeric[2]);
  }
  const simple: Record<string, string> = {
    integer: 'int4', bigint: 'int8', smallint: 'int2', boolean: 'bool', jsonb: 'jsonb', uuid: 'uuid', date: 'date',
    'timestamp with time zone': 'timestamptz', 'timestamp without time zone': 'timestamp', inet: 'inet',
  };
  return simple[current] === next.name && next.mods.length === 0;
}

export default rule;
