import { optionEnabled, relationLabel } from './lib/ast.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'prefer-repack',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'VACUUM FULL and CLUSTER rewrite the table under an ACCESS EXCLUSIVE lock for the whole rewrite.',
  }),
  create(ctx) {
    return {
      VacuumStmt(node) {
        const full = optionEnabled(node.options, 'full');
        if (!node.is_vacuumcmd || !full) return;
        const rels = (node.rels ?? []).map((r: any) => r?.VacuumRelation?.relation).filter(Boolean);
        if (rels.length > 0 && !rels.some((r: any) => isExisting(ctx, r))) return;
        report(ctx, 'VACUUM FULL', rels.length ? rels.map(relationLabel).join(', ') : 'every table of the database');
      },
      ClusterStmt(node) {
        if (node.relation && !isExisting(ctx, node.relation)) return;
        report(ctx, 'CLUSTER', node.relation ? relationLabel(node.relation) : 'every previously clustered table');
      },
    };
  },
};

function report(ctx: RuleContext, what: string, target: string): void {
  const repack = ctx.settings.postgresVersion >= 19;
  ctx.report({
    message:
      `${what} rewrites ${target} while holding an ACCESS EXCLUSIVE lock: all reads and writes wait for the whole ` +
      'rewrite, which needs disk for a full second copy.',
    fix: repack
      ? {
          title: 'Use REPACK (CONCURRENTLY), which rewrites without blocking reads and writes',
          sql: `REPACK (CONCURRENTLY) ${target.includes(' ') ? '<table>' : target};`,
        }
      : {
          title: 'Rewrite online with pg_repack or pg_squeeze',
          steps: [
            `PostgreSQL ${ctx.settings.postgresVersion} has no online rewrite built in (REPACK (CONCURRENTLY) arrives in 19).`,
            'Run pg_repack (or pg_squeeze) outside the migration; it holds the heavy lock only briefly at the end.',
          ],
        },
  });
}

export default rule;
