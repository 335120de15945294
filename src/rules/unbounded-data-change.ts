import { relationKey, relationLabel, nameList } from './lib/ast.js';
import { isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'unbounded-data-change',
    category: 'locking',
    defaultSeverity: 'warning',
    requires: 'ast',
    description:
      'UPDATE or DELETE of every row of an existing table (no WHERE, or one every row passes), or INSERT … SELECT of a whole existing table, in one statement.',
  }),
  create(ctx) {
    const report = (what: string, table: string, why: string, rv: any) =>
      ctx.report({
        message:
          `This statement ${what} ${table} in one transaction (${why}): it holds a lock on every row it changes until it ` +
          'commits, so concurrent writes of those rows wait; it writes a new version of each row, bloating the table and ' +
          'its indexes; and replicas lag behind the one large transaction.',
        // When EXPLAIN plans the statement, its backfill-in-one-statement (with a batched rewrite) speaks for
        // the hazard and this finding becomes its evidence; this one stands alone when it could not plan it.
        fix: {
          title: 'Change the rows in batches that each commit',
          steps: [
            `Walk ${table} by its key in ranges (WHERE id > last AND id <= last + 10000), committing after each range, outside the migration's transaction (a job or a separate autocommit migration).`,
            'Ship the schema change first and backfill afterwards; add NOT NULL or foreign keys as NOT VALID + VALIDATE once the data is in place.',
          ],
        },
        evidence: sizeEvidence(ctx, rv),
      });
    return {
      UpdateStmt(node) {
        if (!node.relation || !isExisting(ctx, node.relation)) return;
        const why = everyRow(ctx, node.relation, node.whereClause);
        if (why) report('updates every row of', relationLabel(node.relation), why, node.relation);
      },
      DeleteStmt(node) {
        if (!node.relation || !isExisting(ctx, node.relation)) return;
        const why = everyRow(ctx, node.relation, node.whereClause);
        if (why) report('deletes every row of', relationLabel(node.relation), why, node.relation);
      },
      InsertStmt(node) {
        const select = node.selectStmt?.SelectStmt;
        if (!select || select.valuesLists || select.whereClause || select.limitCount || select.op !== 'SETOP_NONE') return;
        const source = (select.fromClause ?? []).map((f: any) => f?.RangeVar).find((rv: any) => rv && isExisting(ctx, rv));
        if (!source || (select.fromClause ?? []).length !== 1) return;
        report(`copies every row of ${relationLabel(source)} into`, relationLabel(node.relation), 'INSERT … SELECT with no WHERE', source);
      },
    };
  },
};

/** Why the WHERE selects every row, when it can be told statically. */
function everyRow(ctx: RuleContext, relation: any, where: any): string | undefined {
  if (!where) return 'no WHERE clause';
  if (where.A_Const?.boolval?.boolval === true) return 'WHERE true';
  const e = where.A_Expr;
  if (e?.kind === 'AEXPR_OP' && nameList(e.name)[0] === '=' && e.lexpr?.A_Const && JSON.stringify(stripLocations(e.lexpr)) === JSON.stringify(stripLocations(e.rexpr))) {
    return 'a WHERE that is always true';
  }
  // `WHERE col IS NULL` on a column this change added: every row that existed before matches.
  const test = where.NullTest;
  const fields = nameList(test?.arg?.ColumnRef?.fields);
  if (test?.nulltesttype === 'IS_NULL' && fields.length === 1 && ctx.created.addedColumns.has(`${relationKey(relation)}.${fields[0]!.toLowerCase()}`)) {
    return `${fields[0]} was added by this change, so every existing row has it NULL`;
  }
  return undefined;
}

function stripLocations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripLocations);
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'location').map(([k, v]) => [k, stripLocations(v)]));
  }
  return node;
}

export default rule;
