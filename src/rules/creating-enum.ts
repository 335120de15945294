import { nameList } from './lib/ast.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'creating-enum',
    category: 'schema-design',
    defaultSeverity: 'info',
    requires: 'ast',
    description: 'A new enum type: a lookup table or a CHECK constraint can change later without locks or rewrites.',
  }),
  create(ctx) {
    return {
      CreateEnumStmt(node) {
        const type = nameList(node.typeName).join('.');
        ctx.report({
          message:
            `Enum ${type}: adding a value later is ALTER TYPE … ADD VALUE (which cannot be used until it commits, nor run in a ` +
            'transaction before PostgreSQL 12), and removing or renaming-and-merging values needs a new type and a rewrite ' +
            'of every column that uses it.',
          fix: {
            title: 'Consider a lookup table or a CHECK constraint',
            steps: [
              'A lookup table with a foreign key: values are rows, added and retired without DDL.',
              'Or a text column with CHECK (col IN (…)): replace the CHECK with NOT VALID + VALIDATE, which blocks no reads or writes.',
            ],
          },
        });
      },
    };
  },
};

export default rule;
