import { nameList, relationKey } from './lib/ast.js';
import { ownMigrationStep, runsInTransaction, statementFix } from './lib/common.js';
import { insertAfterTokens } from './lib/fix.js';
import { meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'require-concurrent-index-deletion',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'catalog',
    description: 'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the indexed table.',
  }),
  create(ctx) {
    return {
      DropStmt(node) {
        if (node.removeType !== 'OBJECT_INDEX' || node.concurrent) return;
        const names = (node.objects ?? []).map((o: any) => nameList(o?.List?.items));
        const existing = names.filter((parts: string[]) => {
          const rv = parts.length > 1 ? { schemaname: parts[0], relname: parts[1] } : { relname: parts[0] };
          return !ctx.created.hasIndex(relationKey(rv));
        });
        if (existing.length === 0) return;
        const labels = existing.map((p: string[]) => p.join('.'));
        const tables = labels.map((label: string) => tableOfIndex(label)).filter(Boolean);
        const on = tables.length ? ` on ${[...new Set(tables)].join(', ')}` : ' on the indexed table';
        const steps: string[] = [];
        if (names.length > 1) steps.push('DROP INDEX CONCURRENTLY takes one index: write one statement per index.');
        if (node.behavior === 'DROP_CASCADE') steps.push('CONCURRENTLY does not allow CASCADE: drop dependent objects first.');
        if (runsInTransaction(ctx)) steps.push(ownMigrationStep(ctx, 'DROP INDEX CONCURRENTLY'));
        const mechanical = names.length === 1 && node.behavior !== 'DROP_CASCADE';
        ctx.report({
          message:
            `DROP INDEX ${labels.join(', ')} takes an ACCESS EXCLUSIVE lock${on}: every read and write of the table ` +
            'waits, and queues behind any running query.',
          fix: statementFix(
            ctx,
            'Drop the index CONCURRENTLY',
            mechanical ? insertAfterTokens(ctx.statement.text, ['DROP', 'INDEX'], ' CONCURRENTLY') : undefined,
            steps,
            !runsInTransaction(ctx),
          ),
        });

        function tableOfIndex(label: string): string | undefined {
          const name = label.split('.').pop()!.toLowerCase();
          const table = ctx.catalog?.tables.find((t) => t.indexes.some((i) => i.name.toLowerCase() === name));
          return table ? (table.schema === 'public' ? table.name : `${table.schema}.${table.name}`) : undefined;
        }
      },
    };
  },
};

export default rule;
