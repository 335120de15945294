import { INT16_TYPES } from './lib/ast.js';
import { columnTypeVisitors, isKeyColumn, typeFix } from './lib/column-types.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'prefer-bigint-over-smallint',
    category: 'schema-design',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'A primary key or id column declared as smallint/smallserial runs out of values at 32,767.',
  }),
  create(ctx) {
    return columnTypeVisitors((site) => {
      if (site.kind === 'alter' || !INT16_TYPES.has(site.type.name) || !isKeyColumn(site)) return;
      const serial = site.type.name.includes('serial');
      ctx.report({
        message:
          `${site.column} is a 16-bit ${serial ? 'smallserial' : 'smallint'} key: it stops at 32,767, and widening it later ` +
          'rewrites the table under an ACCESS EXCLUSIVE lock.',
        line: ctx.lineOf(site.columnDef),
        fix: typeFix(ctx, site, `Declare it as ${serial ? 'bigserial' : 'bigint'}`, serial ? 'bigserial' : 'bigint'),
      });
    });
  },
};

export default rule;
