import { statementFix } from './lib/common.js';
import { meta } from './lib/helpers.js';
import { aLock } from '../text/grammar.js';
import { dangerousLock } from './lib/locks.js';
import type { Rule } from './types.js';

const rule: Rule = {
  meta: meta({
    id: 'require-timeout-settings',
    category: 'locking',
    defaultSeverity: 'warning',
    requires: 'ast',
    description: 'A file takes a blocking lock on an existing table without setting lock_timeout first.',
  }),
  create(ctx) {
    return {
      Statement() {
        if (ctx.fileState.lockTimeoutSet || ctx.fileMemo.has('reported')) return;
        const lock = dangerousLock(ctx);
        if (!lock) return;
        ctx.fileMemo.set('reported', true);
        ctx.report({
          message:
            `This statement waits for ${aLock(lock.mode)} on ${lock.relation} with no lock_timeout: while it ` +
            `waits behind a long query, every later query on ${lock.relation} queues behind it, and the outage lasts as long as the wait.`,
          fix: statementFix(
            ctx,
            'Set lock_timeout before the first blocking statement (and retry the migration on timeout)',
            `SET lock_timeout = '5s';\n${ctx.statement.text}`,
          ),
        });
      },
    };
  },
};

export default rule;
