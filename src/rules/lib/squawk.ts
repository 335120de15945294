// squawk's rule ids (https://squawkhq.com) and the pgpro rule that reports the same hazard. pgpro
// kept squawk's id wherever it has the rule, so teams moving over keep their config and waivers.

/** squawk id → pgpro ids; an empty list where pgpro has no counterpart (docs/rules/README.md says why). */
export const SQUAWK_RULES: Readonly<Record<string, readonly string[]>> = {
  'adding-field-with-default': ['adding-field-with-default'],
  'adding-foreign-key-constraint': ['adding-foreign-key-constraint'],
  'adding-not-nullable-field': ['adding-not-nullable-field'],
  'adding-required-field': ['adding-required-field'],
  'adding-serial-primary-key-field': ['adding-serial-primary-key-field'],
  'ban-alter-domain-with-add-constraint': ['ban-alter-domain-with-add-constraint'],
  'ban-char-field': ['ban-char-field'],
  'ban-concurrent-index-creation-in-transaction': ['ban-concurrent-index-creation-in-transaction'],
  'ban-create-domain-with-constraint': ['ban-create-domain-with-constraint'],
  'ban-drop-column': ['ban-drop-column'],
  'ban-drop-database': ['ban-drop-database'],
  'ban-drop-not-null': ['ban-drop-not-null'],
  'ban-drop-table': ['ban-drop-table'],
  'ban-duplicate-column-assignments': [],
  'ban-truncate-cascade': ['ban-truncate-cascade'],
  'ban-uncommitted-transaction': ['ban-uncommitted-transaction'],
  'changing-column-type': ['changing-column-type'],
  'constraint-missing-not-valid': ['constraint-missing-not-valid'],
  'disallowed-unique-constraint': ['disallowed-unique-constraint'],
  'identifier-too-long': ['identifier-too-long'],
  'prefer-bigint-over-int': ['prefer-bigint-over-int'],
  'prefer-bigint-over-smallint': ['prefer-bigint-over-smallint'],
  'prefer-identity': ['prefer-identity'],
  'prefer-repack': ['prefer-repack'],
  'prefer-robust-stmts': ['prefer-robust-stmts'],
  'prefer-text-field': ['prefer-text-field'],
  'prefer-timestamptz': ['prefer-timestamptz'],
  'prefer-timestamp-tz': ['prefer-timestamptz'],
  'renaming-column': ['renaming-column'],
  'renaming-table': ['renaming-table'],
  'require-concurrent-index-creation': ['require-concurrent-index-creation'],
  'require-concurrent-index-deletion': ['require-concurrent-index-deletion'],
  'require-concurrent-partition-detach': ['require-concurrent-partition-detach'],
  'require-concurrent-reindex': ['require-concurrent-reindex'],
  'require-enum-value-ordering': ['require-enum-value-ordering'],
  'require-lock-timeout': ['require-timeout-settings'],
  'require-statement-timeout': ['require-timeout-settings'],
  'require-table-schema': [],
  'require-timeout-settings': ['require-timeout-settings'],
  'transaction-nesting': ['transaction-nesting'],
  'unused-ignore': ['unused-ignore'],
};

/** The pgpro ids a squawk rule id stands for; undefined for a name squawk does not know. */
export function pgproIdsOfSquawkRule(squawkId: string): readonly string[] | undefined {
  return SQUAWK_RULES[squawkId.trim().toLowerCase()];
}

/** Every pgpro id that stands for a squawk rule. */
export function sharedWithSquawk(): string[] {
  return [...new Set(Object.values(SQUAWK_RULES).flat())].filter((id) => id !== 'unused-ignore');
}
