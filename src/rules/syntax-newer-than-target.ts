import { nameList } from './lib/ast.js';
import { meta } from './lib/helpers.js';
import type { AncestorEntry, Rule } from './types.js';
import { walk } from './lib/walk.js';

interface Feature {
  /** First major version that accepts it. */
  since: number;
  what: string;
  /** The node types `matches` can answer true for (it is asked about no other). */
  types: readonly string[];
  matches(type: string, node: any, ancestors: readonly AncestorEntry[]): boolean;
}

const enforcedKinds = new Set(['CONSTR_CHECK', 'CONSTR_FOREIGN']);
const JSON_TYPES = ['JsonObjectConstructor', 'JsonArrayConstructor', 'JsonArrayQueryConstructor', 'JsonObjectAgg', 'JsonArrayAgg', 'JsonIsPredicate'];

// Version boundaries from the PostgreSQL release notes (E.x "Migration"/"Changes" sections).
export const FEATURES: readonly Feature[] = [
  { since: 11, what: 'CREATE INDEX … ON ONLY', types: ['IndexStmt'], matches: (t, n) => t === 'IndexStmt' && n.relation && n.relation.inh !== true },
  {
    since: 11,
    what: 'INCLUDE columns in an index',
    types: ['IndexStmt', 'Constraint'],
    matches: (t, n) => (t === 'IndexStmt' && (n.indexIncludingParams?.length ?? 0) > 0) || (t === 'Constraint' && (n.including?.length ?? 0) > 0),
  },
  { since: 11, what: 'CREATE PROCEDURE', types: ['CreateFunctionStmt'], matches: (t, n) => t === 'CreateFunctionStmt' && n.is_procedure === true },
  { since: 11, what: 'CALL', types: ['CallStmt'], matches: (t) => t === 'CallStmt' },
  { since: 12, what: 'generated columns (GENERATED ALWAYS AS … STORED)', types: ['Constraint'], matches: (t, n) => t === 'Constraint' && n.contype === 'CONSTR_GENERATED' && n.generated_kind === 's' },
  { since: 12, what: 'REINDEX … CONCURRENTLY', types: ['ReindexStmt'], matches: (t, n) => t === 'ReindexStmt' && (n.params ?? []).some((p: any) => p?.DefElem?.defname === 'concurrently') },
  { since: 14, what: 'DETACH PARTITION … CONCURRENTLY', types: ['PartitionCmd'], matches: (t, n) => t === 'PartitionCmd' && n.concurrent === true },
  { since: 14, what: 'CREATE OR REPLACE TRIGGER', types: ['CreateTrigStmt'], matches: (t, n) => t === 'CreateTrigStmt' && n.replace === true },
  { since: 14, what: 'column COMPRESSION', types: ['ColumnDef'], matches: (t, n) => t === 'ColumnDef' && typeof n.compression === 'string' },
  { since: 15, what: 'MERGE', types: ['MergeStmt'], matches: (t) => t === 'MergeStmt' },
  { since: 15, what: 'NULLS NOT DISTINCT', types: ['IndexStmt', 'Constraint'], matches: (t, n) => (t === 'IndexStmt' || t === 'Constraint') && n.nulls_not_distinct === true },
  { since: 15, what: 'ON DELETE SET NULL/SET DEFAULT (columns)', types: ['Constraint'], matches: (t, n) => t === 'Constraint' && (n.fk_del_set_cols?.length ?? 0) > 0 },
  { since: 15, what: 'ALTER TABLE … SET ACCESS METHOD', types: ['AlterTableCmd'], matches: (t, n) => t === 'AlterTableCmd' && n.subtype === 'AT_SetAccessMethod' },
  {
    since: 16,
    what: 'SQL/JSON constructors and IS JSON',
    types: JSON_TYPES,
    matches: (t) => JSON_TYPES.includes(t),
  },
  { since: 17, what: 'JSON_TABLE', types: ['JsonTable'], matches: (t) => t === 'JsonTable' },
  { since: 17, what: 'JSON_QUERY / JSON_VALUE / JSON_EXISTS', types: ['JsonFuncExpr'], matches: (t) => t === 'JsonFuncExpr' },
  { since: 17, what: 'MERGE … RETURNING', types: ['MergeStmt'], matches: (t, n) => t === 'MergeStmt' && (n.returningClause || n.returningList?.length) },
  { since: 17, what: 'MERGE … WHEN NOT MATCHED BY SOURCE', types: ['MergeWhenClause'], matches: (t, n) => t === 'MergeWhenClause' && n.matchKind === 'MERGE_WHEN_NOT_MATCHED_BY_SOURCE' },
  { since: 17, what: 'ALTER COLUMN … SET EXPRESSION', types: ['AlterTableCmd'], matches: (t, n) => t === 'AlterTableCmd' && n.subtype === 'AT_SetExpression' },
  {
    since: 18,
    what: 'virtual generated columns (GENERATED ALWAYS AS … without STORED)',
    types: ['Constraint'],
    matches: (t, n) => t === 'Constraint' && n.contype === 'CONSTR_GENERATED' && n.generated_kind === 'v',
  },
  { since: 18, what: 'NOT NULL constraints with NOT VALID', types: ['Constraint'], matches: (t, n) => t === 'Constraint' && n.contype === 'CONSTR_NOTNULL' && n.skip_validation === true },
  {
    since: 18,
    what: 'NOT ENFORCED constraints',
    types: ['Constraint'],
    matches: (t, n) => t === 'Constraint' && (n.contype === 'CONSTR_ATTR_NOT_ENFORCED' || (enforcedKinds.has(n.contype) && n.is_enforced !== true)),
  },
  { since: 18, what: 'WITHOUT OVERLAPS / PERIOD (temporal keys)', types: ['Constraint'], matches: (t, n) => t === 'Constraint' && (n.without_overlaps === true || n.fk_with_period === true) },
  { since: 18, what: 'uuidv7()', types: ['FuncCall'], matches: (t, n) => t === 'FuncCall' && nameList(n.funcname).pop()?.toLowerCase() === 'uuidv7' },
];

/**
 * The features newer than `target`, by node type, in FEATURES order: the walk asks a node only about
 * the features of its type (it asked every newer feature about every node, ~2 % of a no-cache lint).
 */
const byTarget = new Map<number, Map<string, Feature[]>>();
function featuresAfter(target: number): Map<string, Feature[]> {
  let index = byTarget.get(target);
  if (!index) {
    index = new Map();
    for (const f of FEATURES) {
      if (f.since <= target) continue;
      for (const type of f.types) index.set(type, [...(index.get(type) ?? []), f]);
    }
    byTarget.set(target, index);
  }
  return index;
}

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
        const features = featuresAfter(target);
        walk(statement.ast, (type, node, ancestors) => {
          const candidates = features.get(type);
          if (!candidates) return;
          for (const f of candidates) {
            if (!found.has(f.what) && f.matches(type, node, ancestors)) found.set(f.what, { since: f.since, node });
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
