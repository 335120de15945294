import { INT32_TYPES } from './lib/ast.js';
import { columnTypeVisitors, isKeyColumn, typeFix } from './lib/column-types.js';
import { nameList } from './lib/ast.js';
import { catalogTable, meta } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'prefer-bigint-over-int',
    category: 'schema-design',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'A primary key or id column declared as integer/serial can run out of values at 2^31.',
  }),
  create(ctx) {
    return columnTypeVisitors((site) => {
      if (site.kind === 'alter' || !INT32_TYPES.has(site.type.name) || !isKeyColumn(site)) return;
      if (!site.primaryKey && referencesInt32Key(ctx, site.columnDef)) return;
      const serial = site.type.name.startsWith('serial');
      ctx.report({
        message:
          `${site.column} is a ${serial ? 'serial' : '32-bit integer'} key: it stops at 2,147,483,647, and widening it later ` +
          'rewrites the table (and every referencing column) under an ACCESS EXCLUSIVE lock.',
        line: ctx.lineOf(site.columnDef),
        fix: typeFix(ctx, site, `Declare it as ${serial ? 'bigserial' : 'bigint'}`, serial ? 'bigserial' : 'bigint'),
      });
    });
  },
};

/**
 * The column REFERENCES a key the catalog knows to be 32-bit (crates-io's crate_id → crates.id integer):
 * its values are that key's, so the limit is the referenced table's, and a bigint here changes nothing.
 */
function referencesInt32Key(ctx: RuleContext, columnDef: any): boolean {
  for (const c of columnDef?.constraints ?? []) {
    const fk = c?.Constraint;
    if (fk?.contype !== 'CONSTR_FOREIGN') continue;
    const table = catalogTable(ctx, fk.pktable);
    if (!table) continue;
    const columns = nameList(fk.pk_attrs);
    const referenced = columns.length ? columns : (table.constraints.find((k) => k.type === 'p')?.columns ?? []);
    if (referenced.length !== 1) continue;
    const type = table.columns.find((col) => col.name === referenced[0])?.type;
    if (type === 'integer') return true;
  }
  return false;
}

export default rule;
