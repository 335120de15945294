import { nameList } from './lib/ast.js';
import { statementFix } from './lib/common.js';
import { appendToStatement } from './lib/fix.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'require-enum-value-ordering',
    category: 'schema-design',
    defaultSeverity: 'info',
    requires: 'catalog',
    description: 'ALTER TYPE … ADD VALUE without BEFORE/AFTER appends the value, which sorts after every existing one.',
  }),
  create(ctx) {
    return {
      AlterEnumStmt(node) {
        if (!node.newVal || node.newValNeighbor || node.oldVal) return;
        const names = nameList(node.typeName);
        const type = names.join('.');
        const known = ctx.catalog?.enums.find(
          (e) => e.name.toLowerCase() === names[names.length - 1]!.toLowerCase() && (names.length < 2 || e.schema.toLowerCase() === names[0]!.toLowerCase()),
        );
        const last = known?.values[known.values.length - 1];
        ctx.report({
          message:
            `ADD VALUE '${node.newVal}' appends to enum ${type}${last ? ` after '${last}'` : ''}: enums sort by declaration ` +
            'order, so ORDER BY, <, > and range checks on the column place it last. Say where it belongs.',
          fix: last
            ? statementFix(ctx, `Place the value explicitly (here: AFTER '${last}', the current order)`, appendToStatement(ctx.statement.text, ` AFTER '${last.replace(/'/g, "''")}'`))
            : { title: 'Place the value with BEFORE or AFTER', steps: [`ALTER TYPE ${type} ADD VALUE '${node.newVal}' AFTER '<existing value>';`] },
        });
      },
    };
  },
};

export default rule;
