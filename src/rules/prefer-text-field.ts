import { columnTypeVisitors, typeFix } from './lib/column-types.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'prefer-text-field',
    category: 'schema-design',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'varchar(n) columns: changing the limit later can rewrite the table; text with a CHECK is easier to change.',
  }),
  create(ctx) {
    return columnTypeVisitors((site) => {
      if (site.type.name !== 'varchar' || site.type.mods.length === 0 || site.type.isArray) return;
      const limit = site.type.mods[0];
      ctx.report({
        message:
          `${site.column} is varchar(${limit}): lowering the limit later rewrites the table under an ACCESS EXCLUSIVE lock, ` +
          'while a CHECK constraint on text can be replaced NOT VALID without blocking.',
        line: ctx.lineOf(site.columnDef),
        fix: typeFix(
          ctx,
          site,
          'Use text with a CHECK constraint on its length',
          site.kind === 'alter' ? 'text' : `text CHECK (char_length(${site.column}) <= ${limit})`,
          site.kind === 'alter' ? [`Add the limit as a separate CHECK (char_length(${site.column}) <= ${limit}) NOT VALID constraint.`] : undefined,
        ),
      });
    });
  },
};

export default rule;
