import { nameList, relationKey } from './lib/ast.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'renaming-enum-value',
    category: 'compatibility',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'ALTER TYPE … RENAME VALUE: the application running during the deploy still reads and writes the old value.',
  }),
  create(ctx) {
    return {
      AlterEnumStmt(node) {
        if (!node.oldVal || !node.newVal) return;
        const names = nameList(node.typeName);
        if (ctx.created.enums.has(relationKey({ schemaname: names.length > 1 ? names[0] : undefined, relname: names[names.length - 1] }))) return;
        const type = names.join('.');
        ctx.report({
          message:
            `Renaming '${node.oldVal}' of ${type} to '${node.newVal}' takes effect at once: the application still running ` +
            `during the deploy fails on every write of '${node.oldVal}' ("invalid input value for enum") and does not ` +
            `recognise '${node.newVal}' when it reads it.`,
          fix: {
            title: 'Add the new value, migrate to it, then retire the old one',
            steps: [
              `ALTER TYPE ${type} ADD VALUE '${node.newVal.replace(/'/g, "''")}' AFTER '${node.oldVal.replace(/'/g, "''")}';`,
              'Deploy code that reads both values and writes the new one; update existing rows in batches.',
              `Stop using '${node.oldVal}' (an enum value cannot be dropped; a CHECK constraint can forbid it).`,
            ],
          },
        });
      },
    };
  },
};

export default rule;
