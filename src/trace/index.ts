// The trace stage: observed facts per statement → findings (merged with the other stages' in src/hazards/).
export { traceFindings, TRACE_RULES, type TraceInput } from './findings.js';
export { checkReversibility, schemaDifferences, schemaObjects, type ReversibilityInput, type ReversibilityResult } from './reversibility.js';
export { lockTimelines, observedSteps, renderTimeline, type TableTimeline } from './timeline.js';
export { blockedOperations, CONFLICTS, conflicts, describeBlocking, isDangerous, LOCK_NAME } from './locks.js';
