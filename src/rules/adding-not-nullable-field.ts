import { identSql, nameList, nearest, relationKey, relationLabel, relationSql } from './lib/ast.js';
import { lineOfTokens } from './lib/common.js';
import { catalogTable, isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'adding-not-nullable-field',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'catalog',
    description: 'SET NOT NULL on an existing column scans the table under an ACCESS EXCLUSIVE lock.',
  }),
  create(ctx) {
    return {
      AlterTableCmd(cmd, ancestors) {
        const stmt = nearest(ancestors, 'AlterTableStmt');
        if (!stmt || !isExisting(ctx, stmt.relation)) return;
        let column: string | undefined;
        if (cmd.subtype === 'AT_SetNotNull') column = cmd.name;
        // PG 18: ALTER TABLE t ADD CONSTRAINT c NOT NULL col (validated unless NOT VALID).
        const c = cmd.subtype === 'AT_AddConstraint' ? cmd.def?.Constraint : undefined;
        if (c?.contype === 'CONSTR_NOTNULL' && !c.skip_validation) column = nameList(c.keys)[0];
        if (!column || alreadyProven(ctx, stmt.relation, column)) return;
        const table = relationLabel(stmt.relation);
        ctx.report({
          message:
            `Making ${table}.${column} NOT NULL scans all of ${table} for NULLs while holding an ACCESS EXCLUSIVE lock: ` +
            `every read and write of ${table} waits until the scan ends.`,
          line: c ? ctx.lineOf(c) : lineOfTokens(ctx, ['ALTER', '?COLUMN', column, 'SET', 'NOT', 'NULL']),
          fix: safeSteps(ctx, stmt.relation, column),
          evidence: sizeEvidence(ctx, stmt.relation),
        });
      },
    };
  },
};

/** The column is already NOT NULL, or a validated CHECK (col IS NOT NULL) lets PG 12+ skip the scan. */
function alreadyProven(ctx: RuleContext, rv: any, column: string): boolean {
  const col = column.toLowerCase();
  const table = catalogTable(ctx, rv);
  if (table?.columns.some((c) => c.name.toLowerCase() === col && c.notNull)) return true;
  if (ctx.settings.postgresVersion < 12) return false;
  if (table?.constraints.some((c) => c.type === 'c' && c.validated && isNotNullCheck(c.definition, col))) return true;
  const key = relationKey(rv);
  for (const c of ctx.created.constraints.values()) {
    if (c.table === key && c.notNullColumn === col && c.validated) return true;
  }
  return false;
}

/** The safe sequence in the source's quoting. */
function safeSteps(ctx: RuleContext, rv: any, name: string) {
  const table = relationSql(rv);
  const column = identSql(name);
  const check = identSql(`${rv.relname}_${name}_not_null`.slice(0, 63));
  if (ctx.settings.postgresVersion >= 18) {
    return {
      title: 'Add the NOT NULL constraint NOT VALID, then validate it separately',
      sql:
        `ALTER TABLE ${table} ADD CONSTRAINT ${check} NOT NULL ${column} NOT VALID;\n` +
        `-- in a later migration (its own transaction):\nALTER TABLE ${table} VALIDATE CONSTRAINT ${check};`,
    };
  }
  if (ctx.settings.postgresVersion >= 12) {
    return {
      title: 'Prove NOT NULL with a validated CHECK constraint first',
      sql:
        `ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${column} IS NOT NULL) NOT VALID;\n` +
        `-- in a later migration (its own transaction):\nALTER TABLE ${table} VALIDATE CONSTRAINT ${check};\n` +
        `ALTER TABLE ${table} ALTER COLUMN ${column} SET NOT NULL; -- skips the scan: the check proves it\n` +
        `ALTER TABLE ${table} DROP CONSTRAINT ${check};`,
    };
  }
  return {
    title: 'Enforce it with a CHECK constraint added NOT VALID and validated separately',
    sql:
      `ALTER TABLE ${table} ADD CONSTRAINT ${check} CHECK (${column} IS NOT NULL) NOT VALID;\n` +
      `-- in a later migration (its own transaction):\nALTER TABLE ${table} VALIDATE CONSTRAINT ${check};`,
    steps: ['Before PostgreSQL 12, SET NOT NULL always scans; keep the CHECK constraint instead.'],
  };
}

/** `CHECK ((col IS NOT NULL))` as pg_get_constraintdef writes it; compared as text, never as a pattern. */
function isNotNullCheck(definition: string, column: string): boolean {
  let body = definition.trim().toLowerCase();
  if (!body.startsWith('check (')) return false;
  body = body.slice('check '.length);
  while (body.startsWith('(') && body.endsWith(')')) body = body.slice(1, -1).trim();
  return body === `${column} is not null` || body === `"${column}" is not null`;
}

export default rule;
