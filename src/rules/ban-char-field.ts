import { columnTypeVisitors, typeFix } from './lib/column-types.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-char-field',
    category: 'schema-design',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'char(n) pads values with spaces and is never faster than text.',
  }),
  create(ctx) {
    return columnTypeVisitors((site) => {
      if (site.type.name !== 'bpchar') return;
      ctx.report({
        message: `${site.column} is char(n): values are blank-padded, comparisons ignore trailing spaces, and it is no faster than text.`,
        line: ctx.lineOf(site.columnDef),
        fix: typeFix(ctx, site, 'Use text (with a CHECK on the length if it matters)', 'text'),
      });
    });
  },
};

export default rule;
