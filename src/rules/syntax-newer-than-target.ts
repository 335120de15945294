import { nameList } from './lib/ast.js';
import { meta } from './lib/helpers.js';
import type { AncestorEntry, Rule } from './types.js';
import { walk } from './lib/walk.js';

interface Feature {
  /** First major version that accepts it. */
  since: number;
  what: string;
  matches(type: string, node: any, ancestors: readonly AncestorEntry[]): boolean;
}

const enforcedKinds = new Set(['CONSTR_CHECK', 'CONSTR_FOREIGN']);

// Version boundaries from the PostgreSQL release notes (E.x "Migration"/"Changes" sections).
export const FEATURES: readonly Feature[] = [
  { since: 11, what: 'CREATE INDEX … ON ONLY', matches: (t, n) => t === 'IndexStmt' && n.relation && n.relation.inh !== true },
  {
    since: 11,
    what: 'INCLUDE columns in an index',
    matches: (t, n) => (t === 'IndexStmt' && (n.indexIncludingParams?.length ?? 0) > 0) || (t === 'Constraint' && (n.including?.length ?? 0) > 0),
  },
  { since: 11, what: 'CREATE PROCEDURE', matches: (t, n) => t === 'CreateFunctionStmt' && n.is_procedure === true },
  { since: 11, what: 'CALL', matches: (t) => t === 'CallStmt' },
  { since: 12, what: 'generated columns (GENERATED ALWAYS AS … STORED)', matches: (t, n) => t === 'Constraint' && n.contype === 'CONSTR_GENERATED' && n.generated_kind === 's' },
  { since: 12, what: 'REINDEX … CONCURRENTLY', matches: (t, n) => t === 'ReindexStmt' && (n.params ?? []).some((p: any) => p?.DefElem?.defname === 'concurrently') },
  { since: 14, what: 'DETACH PARTITION … CONCURRENTLY', matches: (t, n) => t === 'PartitionCmd' && n.concurrent === true },
  { since: 14, what: 'CREATE OR REPLACE TRIGGER', matches: (t, n) => t === 'CreateTrigStmt' && n.replace === true },
  { since: 14, what: 'column COMPRESSION', matches: (t, n) => t === 'ColumnDef' && typeof n.compression === 'string' },
  { since: 15, what: 'MERGE', matches: (t) => t === 'MergeStmt' },
  { since: 15, what: 'NULLS NOT DISTINCT', matches: (t, n) => (t === 'IndexStmt' || t === 'Constraint') && n.nulls_not_distinct === true },
  { since: 15, what: 'ON DELETE SET NULL/SET DEFAULT (columns)', matches: (t, n) => t === 'Constraint' && (n.fk_del_set_cols?.length ?? 0) > 0 },
  { since: 15, what: 'ALTER TABLE … SET ACCESS METHOD', matches: (t, n) => t === 'AlterTableCmd' && n.subtype === 'AT_SetAccessMethod' },
  {
    since: 16,
    what: 'SQL/JSON constructors and IS JSON',
    matches: (t) => ['JsonObjectConstructor', 'JsonArrayConstructor', 'JsonArrayQueryConstructor', 'JsonObjectAgg', 'JsonArrayAgg', 'JsonIsPredicate'].includes(t),
  },
  { since: 17, what: 'JSON_TABLE', matches: (t) => t === 'JsonTable' },
  { since: 17, what: 'JSON_QUERY / JSON_VALUE / JSON_EXISTS', matches: (t) => t === 'JsonFuncExpr' },
  { since: 17, what: 'MERGE … RETURNING', matches: (t, n) => t === 'MergeStmt' && (n.returningClause || n.returningList?.length) },
  { since: 17, what: 'MERGE … WHEN NOT MATCHED BY SOURCE', matches: (t, n) => t === 'MergeWhenClause' && n.matchKind === 'MERGE_WHEN_NOT_MATCHED_BY_SOURCE' },
  { since: 17, what: 'ALTER COLUMN … SET EXPRESSION', matches: (t, n) => t === 'AlterTableCmd' && n.subtype === 'AT_SetExpression' },
  {
    since: 18,
    what: 'virtual generated columns (GENERATED ALWAYS AS … without STORED)',
    matches: (t, n) => t === 'Constraint' && n.contype === 'CONSTR_GENERATED' && n.generated_kind === 'v',
  },
  { since: 18, what: 'NOT NULL constraints with NOT VALID', matches: (t, n) => t === 'Constraint' && n.contype === 'CONSTR_NOTNULL' && n.skip_validation === true },
  {
    since: 18,
    what: 'NOT ENFORCED constraints',
    matches: (t, n) => t === 'Constraint' && (n.contype === 'CONSTR_ATTR_NOT_ENFORCED' || (enforcedKinds.has(n.contype) && n.is_enforced !== true)),
  },
  { since: 18, what: 'WITHOUT OVERLAPS / PERIOD (temporal keys)', matches: (t, n) => t === 'Constraint' && (n.without_overlaps === true || n.fk_with_period === true) },
  { since: 18, what: 'uuidv7()', matches: (t, n) => t === 'FuncCall' && nameList(n.funcname).pop()?.toLowerCase() === 'uuidv7' },
];

const rule: Rule = {
  meta: meta({
    id: 'syntax-newer-than-target',
    category: 'version',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'Syntax the production server (config postgres-version) does not have yet: the migration fails there.',
  }),
  create(ctx) {
    return {
      Statement(statement) {
        const target = ctx.settings.postgresVersion;
        const found = new Map<string, { since: number; node: any }>();
        walk(statement.ast, (type, node, ancestors) => {
          for (const f of FEATURES) {
            if (f.since > target && !found.has(f.what) && f.matches(type, node, ancestors)) found.set(f.what, { since: f.since, node });
          }
        });
        for (const [what, { since, node }] of found) {
          ctx.report({
            message:
              `${what} needs PostgreSQL ${since}, but postgres-version is ${target}: the statement fails on the production ` +
              'server (the sandbox runs a newer PostgreSQL, so it passed there).',
            line: ctx.lineOf(node),
            fix: {
              title: `Write it without ${what}, or raise postgres-version once production runs ${since}+`,
            },
          });
        }
      },
    };
  },
};

export default rule;
