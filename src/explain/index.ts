export { collectQueries, splitSql, type QuerySource } from './queries.js';
export { explainQuery, summarizePlan, renderPlan, type PlanSummary, type PlanNode } from './plan.js';
export {
  explainQueries,
  explainFindings,
  explainReadsData,
  type ExplainedQuery,
  type ExplainInput,
  type ExplainOutcome,
  type NewStatement,
} from './checks.js';
