import { columnTypeVisitors, typeFix } from './lib/column-types.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'prefer-jsonb',
    category: 'schema-design',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'A json column has no equality operator: SELECT DISTINCT, GROUP BY and UNION over the table fail.',
  }),
  create(ctx) {
    return columnTypeVisitors((site) => {
      if (site.type.name !== 'json') return;
      ctx.report({
        message:
          `Column ${site.column} is json, which has no equality operator: existing queries with SELECT DISTINCT, ` +
          'UNION or GROUP BY over the row start failing with "could not identify an equality operator for type json", ' +
          'and it cannot be indexed.',
        line: ctx.lineOf({ location: site.type.location }),
        fix: typeFix(ctx, site, 'Use jsonb', 'jsonb'),
      });
    });
  },
};

export default rule;
