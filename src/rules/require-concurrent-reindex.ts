import { optionEnabled, relationLabel } from './lib/ast.js';
import { ownMigrationStep, runsInTransaction, statementFix } from './lib/common.js';
import { insertAfterTokens, tokens } from './lib/fix.js';
import { isExisting, meta } from './lib/helpers.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'require-concurrent-reindex',
    category: 'locking',
    defaultSeverity: 'error',
    requires: 'ast',
    description: 'REINDEX without CONCURRENTLY blocks writes to the table (and reads that use the index) while it rebuilds.',
  }),
  create(ctx) {
    return {
      ReindexStmt(node) {
        if (optionEnabled(node.params, 'concurrently')) return;
        if (node.kind === 'REINDEX_OBJECT_SYSTEM') return; // system catalogs cannot be reindexed concurrently
        if (node.relation && node.kind === 'REINDEX_OBJECT_TABLE' && !isExisting(ctx, node.relation)) return;
        if (node.relation && node.kind === 'REINDEX_OBJECT_INDEX' && ctx.created.hasIndex(`${node.relation.schemaname ?? 'public'}.${node.relation.relname}`.toLowerCase())) return;
        const target = node.relation ? relationLabel(node.relation) : (node.name ?? 'the database');
        const lock =
          `REINDEX of ${target} holds a SHARE lock on the table (writes wait) and an ACCESS EXCLUSIVE lock on each index ` +
          '(queries planning to use it wait) until the rebuild ends.';
        if (ctx.settings.postgresVersion < 12) {
          ctx.report({
            message: `${lock} REINDEX CONCURRENTLY needs PostgreSQL 12; the target is ${ctx.settings.postgresVersion}.`,
            fix: {
              title: 'Build a replacement index CONCURRENTLY and swap it in',
              steps: [
                'CREATE INDEX CONCURRENTLY <name>_new ON <table> (…same definition…);',
                'DROP INDEX CONCURRENTLY <name>; ALTER INDEX <name>_new RENAME TO <name>;',
              ],
            },
          });
          return;
        }
        const inTx = runsInTransaction(ctx);
        ctx.report({
          message: lock,
          fix: statementFix(
            ctx,
            'Rebuild the index CONCURRENTLY',
            concurrentlyText(ctx.statement.text),
            inTx ? [ownMigrationStep(ctx, 'REINDEX CONCURRENTLY')] : undefined,
            !inTx,
          ),
        });
      },
    };
  },
};

/** The statement with CONCURRENTLY on: its `(CONCURRENTLY false)` option's value dropped, or the keyword added. */
function concurrentlyText(text: string): string | undefined {
  const toks = tokens(text);
  const at = toks.findIndex((t, i) => t.text.toLowerCase() === 'concurrently' && toks[i + 1] && toks[i + 1]!.text !== ',' && toks[i + 1]!.text !== ')');
  if (at >= 0) return text.slice(0, toks[at]!.end) + text.slice(toks[at + 1]!.end);
  return insertAfterTokens(text, ['REINDEX', '?(', '?VERBOSE', '?)', '?INDEX', '?TABLE', '?SCHEMA', '?DATABASE'], ' CONCURRENTLY');
}

export default rule;
