import { INT32_TYPES } from './lib/ast.js';
import { columnTypeVisitors, isKeyColumn, typeFix } from './lib/column-types.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

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

export default rule;
