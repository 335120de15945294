// The fix proof (see prover.ts): the only way a fix becomes "verified" or a suggestion.
export { createFixProver, createSandboxPool, FileStarts, SandboxPool, type AppliedFile, type FixProver, type FixProverInput, type ProofFile, type ProofTarget, type ProveOptions } from './prover.js';
export { replaceLines, terminated, type Replaced } from './replace.js';
export { compareFindings, FILE_LEVEL_RULES, ruleIsRechecked } from './findings.js';
export { normalizeSchema, schemaDifferences } from './schema.js';
export { dataDifferences, tableChecksums, writtenData, ALL_TABLES } from './data.js';
