// pgpro as a library: `import { review, lintStatic } from 'pgpro'`. The review runs the migrations of a
// ChangeSet in a sandbox; lintStatic lints them without one; the reporters render either result.
export { review, SandboxUnavailableError, type ReviewDeps, type ReviewOptions } from './review.js';
export { lintStatic, type LintCache, type LintedFile, type StaticLintInput } from './lint/index.js';
export { StaticCatalog } from './lint/static-catalog.js';
export { ConfigError, defaultConfig, parseConfig, validateConfig } from './config/parse.js';
export { configSchema, type PgproConfig } from './config/schema.js';
export { directoryTree, loadMigrations, memoryTree, type LoadedMigrations, type LoadOptions } from './migrations/index.js';
export { FORMATS, render, type Format, type RenderOptions } from './report/index.js';
export { rules, ruleById, type Rule, type RuleMeta } from './rules/index.js';
export { VERSION } from './version.js';
export type {
  CatalogSnapshot,
  ChangeSet,
  Conclusion,
  FileTree,
  Finding,
  MigrationFile,
  MigrationStatus,
  ReviewResult,
  Severity,
  Source,
} from './types.js';
