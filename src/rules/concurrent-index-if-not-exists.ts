import { quoteIdent } from '../sql/quote.js';
import { relationLabel } from './lib/ast.js';
import { statementFix } from './lib/common.js';
import { tokens } from './lib/fix.js';
import { catalogTable, meta } from './lib/helpers.js';
import { createdIndexKey, droppedIndexKeys } from './lib/index-names.js';
import type { Rule, RuleContext } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'concurrent-index-if-not-exists',
    category: 'locking',
    defaultSeverity: 'warning',
    requires: 'ast',
    description:
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS: a failed build leaves an INVALID index that the retry then keeps, silently.',
  }),
  create(ctx) {
    return {
      DropStmt(node) {
        for (const key of droppedIndexKeys(node)) ctx.fileMemo.set(key, true);
      },
      IndexStmt(node) {
        if (!node.concurrent || !node.if_not_exists || !node.idxname) return;
        // A DROP INDEX … IF EXISTS of the name earlier in the file clears a leftover first: the recipe.
        if (ctx.fileMemo.has(createdIndexKey(node))) return;
        const name = node.idxname as string;
        const existing = catalogTable(ctx, node.relation)?.indexes.find((i) => i.name === name);
        ctx.report({
          message:
            `When a concurrent build of ${name} fails (a deadlock, a unique violation, lock_timeout, a cancel), it leaves ` +
            `${name} behind as an INVALID index. IF NOT EXISTS then makes the retry skip the build with only a notice: ` +
            `the migration passes, and ${relationLabel(node.relation)} keeps an index no query uses but every write maintains.`,
          ...(existing ? { evidence: `${name} already exists before this change (${existing.valid ? 'valid' : 'INVALID'})` } : {}),
          fix: statementFix(
            ctx,
            'Drop any leftover of the index first, then build it without IF NOT EXISTS',
            rebuildText(ctx, node),
          ),
        });
      },
    };
  },
};

/** `DROP INDEX CONCURRENTLY IF EXISTS <name>;` then the statement without its IF NOT EXISTS. */
function rebuildText(ctx: RuleContext, node: any): string | undefined {
  const text = ctx.statement.text;
  const toks = tokens(text);
  const at = toks.findIndex((t, i) => t.text.toLowerCase() === 'if' && toks[i + 1]?.text.toLowerCase() === 'not' && toks[i + 2]?.text.toLowerCase() === 'exists');
  if (at < 0) return undefined;
  const without = text.slice(0, toks[at]!.start) + text.slice(toks[at + 3]!.start);
  // The name as the statement wrote it (its quoting kept); the index lives in its table's schema.
  const target = toks[at + 3]!.text;
  const schema: string | undefined = node.relation?.schemaname;
  return `DROP INDEX CONCURRENTLY IF EXISTS ${schema ? `${quoteIdent(schema)}.` : ''}${target};\n${without}`;
}

export default rule;
