import { nearest, relationKey, relationLabel } from './lib/ast.js';
import { catalogTable, isExisting, meta, sizeEvidence } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'attach-partition-without-check',
    category: 'locking',
    defaultSeverity: 'warning',
    requires: 'catalog',
    description:
      'ATTACH PARTITION of an existing table with no validated CHECK constraint proving the bound: the table is scanned under an ACCESS EXCLUSIVE lock.',
  }),
  create(ctx) {
    return {
      AlterTableCmd(cmd, ancestors) {
        if (cmd.subtype !== 'AT_AttachPartition') return;
        const stmt = nearest(ancestors, 'AlterTableStmt');
        const partition = cmd.def?.PartitionCmd?.name;
        if (!stmt || !partition || !isExisting(ctx, partition) || hasValidatedCheck(ctx, partition)) return;
        const child = relationLabel(partition);
        const parent = relationLabel(stmt.relation);
        const parentLock = ctx.settings.postgresVersion >= 12 ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
        ctx.report({
          message:
            `ATTACH PARTITION ${child} scans every row of ${child} to prove it fits the partition bound, holding an ACCESS ` +
            `EXCLUSIVE lock on ${child} (all its reads and writes wait) and ${parentLock} on ${parent}, unless a validated CHECK ` +
            'constraint already proves the bound.',
          fix: {
            title: 'Prove the bound with a CHECK constraint first, then attach',
            steps: [
              `ALTER TABLE ${child} ADD CONSTRAINT ${partition.relname}_bound CHECK (<the partition bound as a condition>) NOT VALID;`,
              `ALTER TABLE ${child} VALIDATE CONSTRAINT ${partition.relname}_bound; -- scans without blocking reads or writes`,
              `ALTER TABLE ${parent} ATTACH PARTITION ${child} …; -- skips the scan`,
              `ALTER TABLE ${child} DROP CONSTRAINT ${partition.relname}_bound;`,
            ],
          },
          evidence: sizeEvidence(ctx, partition),
        });
      },
    };
  },
};

/** The partition has a validated CHECK constraint, from before the change or validated earlier in it. */
function hasValidatedCheck(ctx: RuleContext, partition: any): boolean {
  if (catalogTable(ctx, partition)?.constraints.some((c) => c.type === 'c' && c.validated)) return true;
  const key = relationKey(partition);
  return [...ctx.created.constraints.values()].some((c) => c.table === key && c.contype === 'CONSTR_CHECK' && c.validated);
}

export default rule;
