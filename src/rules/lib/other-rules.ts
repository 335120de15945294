// Rule ids of findings that do not come from the lint registry (src/rules/index.ts): the parse, apply,
// change-split and ignore steps of the pipeline, the trace, the down-migration check and the EXPLAIN
// checks. Each has its page in docs/rules/<id>.md, as lint rules do; a test keeps both in step.
import { TRACE_RULES } from '../../trace/findings.js';

/** Findings of the pipeline itself: parse, apply, change split, ignore directives. */
export const PIPELINE_RULES = [
  'syntax-error',
  'apply-error',
  'review-incomplete',
  'fails-on-existing-rows',
  'not-reviewed',
  'unused-ignore',
  'modified-applied-migration',
  'removed-applied-migration',
  'out-of-order-migration',
] as const;

/** The down-migration check (src/trace/reversibility.ts), reported with source 'trace'. */
export const REVERSIBILITY_RULES = ['down-migration-fails', 'down-migration-incomplete', 'up-after-down-fails'] as const;

/** The EXPLAIN checks (src/explain/checks.ts). */
export const EXPLAIN_RULES = ['backfill-in-one-statement', 'fk-path-seq-scan', 'plan-regression', 'unused-new-index'] as const;

/** The rehearsals (src/rehearsal/): a retry after a failure halfway, lock time at production size; source 'trace'. */
export const REHEARSAL_RULES = ['retry-fails', 'retry-invalid-index', 'retry-not-idempotent', 'lock-time-estimate'] as const;

/** Non-lint rule ids by the stage that reports them. */
export const OTHER_RULES_BY_STAGE = {
  pipeline: PIPELINE_RULES,
  trace: [...Object.values(TRACE_RULES), ...REVERSIBILITY_RULES],
  explain: EXPLAIN_RULES,
  rehearsal: REHEARSAL_RULES,
} as const satisfies Record<string, readonly string[]>;

/** Every non-lint rule id. */
export const OTHER_RULE_IDS: readonly string[] = Object.values(OTHER_RULES_BY_STAGE).flat();

/** Agent findings are `agent/<topic>`, with a topic the model chooses; they share docs/rules/agent.md. */
export const AGENT_RULE_PREFIX = 'agent/';
export const AGENT_DOC_PAGE = 'agent';
