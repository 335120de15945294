import { nameList } from './lib/ast.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-alter-domain-with-add-constraint',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'ALTER DOMAIN … ADD CONSTRAINT checks every column of every table that uses the domain, under lock.',
  }),
  create(ctx) {
    return {
      AlterDomainStmt(node) {
        if (node.subtype !== 'C') return;
        const c = node.def?.Constraint;
        if (!c || c.skip_validation) return;
        const domain = nameList(node.typeName).join('.');
        ctx.report({
          message:
            `ALTER DOMAIN ${domain} ADD CONSTRAINT scans every table with a column of type ${domain} while locking them ` +
            'against writes, and keeps the check hidden in the type rather than on the tables it slows down.',
          fix: {
            title: 'Put the constraint on the tables instead (NOT VALID, then VALIDATE)',
            sql:
              'ALTER TABLE <table> ADD CONSTRAINT <name> CHECK (<column> …) NOT VALID;\n' +
              '-- in a later migration:\nALTER TABLE <table> VALIDATE CONSTRAINT <name>;',
            steps: [`Or add it to the domain with NOT VALID and run ALTER DOMAIN ${domain} VALIDATE CONSTRAINT … separately.`],
          },
        });
      },
    };
  },
};

export default rule;
