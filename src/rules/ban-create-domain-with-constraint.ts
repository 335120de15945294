import { identSql, nameList } from './lib/ast.js';
import { columnTypeSql } from './lib/common.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'ban-create-domain-with-constraint',
    category: 'schema-design',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'A domain with a CHECK constraint cannot later change that constraint without scanning every table using it.',
  }),
  create(ctx) {
    return {
      CreateDomainStmt(node) {
        const checks = (node.constraints ?? []).map((c: any) => c?.Constraint).filter((c: any) => c?.contype === 'CONSTR_CHECK');
        if (checks.length === 0) return;
        const domain = nameList(node.domainname).join('.');
        ctx.report({
          message:
            `Domain ${domain} carries a CHECK constraint: changing it later (ALTER DOMAIN … ADD CONSTRAINT) scans every ` +
            'column of that type in every table under lock, and the check cannot be made NOT VALID per table.',
          line: ctx.lineOf(checks[0]),
          fix: {
            title: 'Keep the domain plain and put CHECK constraints on the table columns',
            sql: `CREATE DOMAIN ${nameList(node.domainname).map(identSql).join('.')} AS ${columnTypeSql(ctx, node)};\nALTER TABLE <table> ADD CONSTRAINT <name> CHECK (<column> …);`,
          },
        });
      },
    };
  },
};

export default rule;
