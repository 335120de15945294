import { columnTypeVisitors, typeFix } from './lib/column-types.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'prefer-timestamptz',
    category: 'schema-design',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'timestamp without time zone stores wall-clock time with no zone; timestamptz stores an instant.',
  }),
  create(ctx) {
    return columnTypeVisitors((site) => {
      if (site.type.name !== 'timestamp') return;
      const precision = site.type.mods.length ? `(${site.type.mods[0]})` : '';
      ctx.report({
        message:
          `${site.column} is timestamp without time zone: values carry no zone, so they shift meaning when a server or ` +
          'client time zone differs, and converting the column later rewrites the table under an ACCESS EXCLUSIVE lock.',
        line: ctx.lineOf(site.columnDef),
        fix: typeFix(ctx, site, 'Use timestamptz', `timestamptz${precision}`),
      });
    });
  },
};

export default rule;
