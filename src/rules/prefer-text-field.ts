import { identSql } from './lib/ast.js';
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
      if (site.type.name !== 'varchar' || site.type.mods.length === 0) return;
      const limit = site.type.mods[0];
      // An array's elements are limited one by one: no column CHECK written in place says that.
      const inline = site.kind !== 'alter' && !site.type.isArray;
      ctx.report({
        message:
          `${site.column} is varchar(${limit}): lowering the limit later rewrites the table under an ACCESS EXCLUSIVE lock, ` +
          'while a CHECK constraint on text can be replaced NOT VALID without blocking.',
        line: ctx.lineOf(site.columnDef),
        fix: typeFix(
          ctx,
          site,
          'Use text with a CHECK constraint on its length',
          inline ? `text CHECK (char_length(${identSql(site.column)}) <= ${limit})` : 'text',
          site.type.isArray
            ? [`If the limit matters, check it per element in a CHECK that calls an IMMUTABLE function over the array's elements.`]
            : !inline
              ? [`Add the limit as a separate CHECK (char_length(${identSql(site.column)}) <= ${limit}) NOT VALID constraint.`]
              : undefined,
        ),
      });
    });
  },
};

export default rule;
