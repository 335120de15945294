// The CLI's JSON contract (version 1). Keys are emitted in a fixed order so output diffs stay quiet;
// fields this module does not know (later optional additions) follow the known ones, never dropped.
import type { Finding, MigrationStatus, ReviewResult, ReviewStats } from '../types.js';

export interface JsonReport {
  version: 1;
  conclusion: ReviewResult['conclusion'];
  migrations: MigrationStatus[];
  findings: Finding[];
  notes: string[];
  stats: ReviewStats;
  /** New migrations not applied and observed, and why (any of them keeps the conclusion from success). */
  notReviewed: NonNullable<ReviewResult['notReviewed']>;
  /** `-- pgpro-ignore-file` directives of the new migrations. */
  waivers: NonNullable<ReviewResult['waivers']>;
}

const FINDING_KEYS = [
  'rule',
  'severity',
  'source',
  'file',
  'line',
  'endLine',
  'message',
  'fix',
  'evidence',
  'fingerprint',
  'confidence',
] as const;
const FIX_KEYS = ['title', 'sql', 'steps', 'replacesStatement', 'verified'] as const;
const MIGRATION_KEYS = ['file', 'status', 'statements', 'durationMs', 'error', 'reason', 'edit'] as const;
const MIGRATION_ERROR_KEYS = ['message', 'line', 'sqlstate'] as const;
const STATS_KEYS = ['migrationsTotal', 'migrationsNew', 'statements', 'durationMs', 'stages', 'engine', 'agent'] as const;

/** A copy of `value` with `keys` first (in that order), then any other own keys; undefined values dropped. */
function ordered<T extends object>(value: T, keys: readonly string[]): T {
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of [...keys, ...Object.keys(source).filter((k) => !keys.includes(k))]) {
    if (source[key] !== undefined) out[key] = source[key];
  }
  return out as T;
}

function orderFinding(finding: Finding): Finding {
  const out = ordered(finding, FINDING_KEYS);
  if (finding.fix) out.fix = ordered(finding.fix, FIX_KEYS);
  return out;
}

function orderMigration(migration: MigrationStatus): MigrationStatus {
  const out = ordered(migration, MIGRATION_KEYS);
  if (migration.error) out.error = ordered(migration.error, MIGRATION_ERROR_KEYS);
  if (migration.reason) out.reason = ordered(migration.reason, ['code', 'message']);
  return out;
}

/** The contract object: everything but `sources`. */
export function toJsonReport(result: ReviewResult): JsonReport {
  return {
    version: 1,
    conclusion: result.conclusion,
    migrations: result.migrations.map(orderMigration),
    findings: result.findings.map(orderFinding),
    notes: [...result.notes],
    stats: ordered(result.stats, STATS_KEYS),
    notReviewed: [...(result.notReviewed ?? [])],
    waivers: [...(result.waivers ?? [])],
  };
}

export function renderJson(result: ReviewResult): string {
  return `${JSON.stringify(toJsonReport(result), null, 2)}\n`;
}
