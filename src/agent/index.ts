export { runAgentReview, MISSING_KEY_NOTE } from './review.js';
export { MemoryAgentCache, DirectoryAgentCache, agentCacheKey } from './cache.js';
export { SYSTEM_PROMPT, PROMPT_VERSION, buildUserMessage, estimateTokens } from './prompt.js';
export { TOOL_DEFINITIONS, runTool, MAX_RESULT_ROWS, MAX_RESULT_CHARS } from './tools.js';
export { REVIEW_OUTPUT_FORMAT, reviewOutputSchema, agentFindingSchema } from './output.js';
export { checkReadOnlySql, isTableName } from './readonly.js';
export { scrubSecrets, scrubSecretsReport, scrubRow, isSecretColumn, REDACTED } from './scrub.js';
export { quotedPlainText } from './plain.js';
export { parseProductionStats } from './sizes.js';
export type {
  AgentCache,
  AgentDeps,
  AgentInput,
  AgentMigration,
  AgentOptions,
  AgentQueryPlan,
  AgentStatement,
  TableSize,
  AgentResult,
  AgentTools,
  AgentUsage,
} from './types.js';
