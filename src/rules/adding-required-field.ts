import { columnConstraints, defaultExpression, identSql, relationSql, SERIAL_TYPES, typeInfo } from './lib/ast.js';
import { columnTypeSql } from './lib/common.js';
import { catalogTable, meta, onExistingTableCommands } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'adding-required-field',
    category: 'compatibility',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'ADD COLUMN … NOT NULL without a DEFAULT fails on a table that has rows, and breaks inserts of old code.',
  }),
  create(ctx) {
    return onExistingTableCommands(ctx, (cmd, stmt, table) => {
      if (cmd.subtype !== 'AT_AddColumn') return;
      const col = cmd.def?.ColumnDef;
      if (!col) return;
      const constraints = columnConstraints(col);
      const notNull = col.is_not_null || constraints.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');
      if (!notNull) return;
      // A default, an identity, a serial or a generated column fills existing rows itself.
      const filled =
        (defaultExpression(col) && !defaultExpression(col).A_Const?.isnull) ||
        constraints.some((c) => c.contype === 'CONSTR_IDENTITY' || c.contype === 'CONSTR_GENERATED') ||
        SERIAL_TYPES.has(typeInfo(col.typeName)?.name ?? '');
      if (filled) return;
      const rows = catalogTable(ctx, stmt.relation)?.estimatedRows;
      ctx.report({
        message:
          `Adding ${table}.${col.colname} as NOT NULL without a DEFAULT fails with "contains null values" as soon as ` +
          `${table} has a row${rows !== undefined && rows > 0 ? ` (~${rows.toLocaleString('en-US')} estimated)` : ''}, and ` +
          `INSERTs of the running code, which do not know the column, fail after it is added.`,
        line: ctx.lineOf(col),
        fix: {
          title: 'Add the column with a DEFAULT, or nullable and made NOT NULL after a backfill',
          sql: `ALTER TABLE ${relationSql(stmt.relation)} ADD COLUMN ${identSql(col.colname)} ${columnTypeSql(ctx, col)} NOT NULL DEFAULT <value>; -- instant from PostgreSQL 11 for a non-volatile default`,
          steps: ['Or: add it nullable, backfill in batches, then make it NOT NULL (see adding-not-nullable-field).'],
        },
      });
    });
  },
};

export default rule;
