import addingFieldWithDefault from './adding-field-with-default.js';
import addingForeignKeyConstraint from './adding-foreign-key-constraint.js';
import addingNotNullableField from './adding-not-nullable-field.js';
import banConcurrentIndexCreationInTransaction from './ban-concurrent-index-creation-in-transaction.js';
import banCharField from './ban-char-field.js';
import banDropColumn from './ban-drop-column.js';
import banDropDatabase from './ban-drop-database.js';
import banDropTable from './ban-drop-table.js';
import banTruncateCascade from './ban-truncate-cascade.js';
import changingColumnType from './changing-column-type.js';
import constraintMissingNotValid from './constraint-missing-not-valid.js';
import disallowedUniqueConstraint from './disallowed-unique-constraint.js';
import preferBigintOverInt from './prefer-bigint-over-int.js';
import preferBigintOverSmallint from './prefer-bigint-over-smallint.js';
import preferIdentity from './prefer-identity.js';
import preferTextField from './prefer-text-field.js';
import preferTimestamptz from './prefer-timestamptz.js';
import renamingColumn from './renaming-column.js';
import renamingTable from './renaming-table.js';
import requireConcurrentIndexCreation from './require-concurrent-index-creation.js';
import requireConcurrentIndexDeletion from './require-concurrent-index-deletion.js';
import requireTimeoutSettings from './require-timeout-settings.js';
import addingSerialPrimaryKeyField from './adding-serial-primary-key-field.js';
import addingRequiredField from './adding-required-field.js';
import banAlterDomainWithAddConstraint from './ban-alter-domain-with-add-constraint.js';
import banCreateDomainWithConstraint from './ban-create-domain-with-constraint.js';
import banDropNotNull from './ban-drop-not-null.js';
import preferRobustStmts from './prefer-robust-stmts.js';
import transactionNesting from './transaction-nesting.js';
import banUncommittedTransaction from './ban-uncommitted-transaction.js';
import requireEnumValueOrdering from './require-enum-value-ordering.js';
import requireConcurrentReindex from './require-concurrent-reindex.js';
import requireConcurrentPartitionDetach from './require-concurrent-partition-detach.js';
import preferRepack from './prefer-repack.js';
import identifierTooLong from './identifier-too-long.js';
import preferJsonb from './prefer-jsonb.js';
import renamingSchema from './renaming-schema.js';
import addingEnumValueInTransaction from './adding-enum-value-in-transaction.js';
import requireConcurrentRefresh from './require-concurrent-refresh.js';
import addingExclusionConstraint from './adding-exclusion-constraint.js';
import banLockTable from './ban-lock-table.js';
import statementAfterAccessExclusiveLock from './statement-after-access-exclusive-lock.js';
import syntaxNewerThanTarget from './syntax-newer-than-target.js';
import concurrentIndexIfNotExists from './concurrent-index-if-not-exists.js';
import disablingTriggers from './disabling-triggers.js';
import creatingEnum from './creating-enum.js';
import droppingPrimaryKey from './dropping-primary-key.js';
import unboundedDataChange from './unbounded-data-change.js';
import partitionedTableIndex from './partitioned-table-index.js';
import attachPartitionWithoutCheck from './attach-partition-without-check.js';
import partialIndexOnForeignKey from './partial-index-on-foreign-key.js';
import renamingEnumValue from './renaming-enum-value.js';
import type { Rule } from './types.js';

/** The one registry: every rule, by file name = id = doc page. */
export const rules: readonly Rule[] = [
  addingFieldWithDefault,
  addingForeignKeyConstraint,
  addingNotNullableField,
  banConcurrentIndexCreationInTransaction,
  banCharField,
  banDropColumn,
  banDropDatabase,
  banDropTable,
  banTruncateCascade,
  changingColumnType,
  constraintMissingNotValid,
  disallowedUniqueConstraint,
  preferBigintOverInt,
  preferBigintOverSmallint,
  preferIdentity,
  preferTextField,
  preferTimestamptz,
  renamingColumn,
  renamingTable,
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireTimeoutSettings,
  addingSerialPrimaryKeyField,
  addingRequiredField,
  banAlterDomainWithAddConstraint,
  banCreateDomainWithConstraint,
  banDropNotNull,
  preferRobustStmts,
  transactionNesting,
  banUncommittedTransaction,
  requireEnumValueOrdering,
  requireConcurrentReindex,
  requireConcurrentPartitionDetach,
  preferRepack,
  identifierTooLong,
  preferJsonb,
  renamingSchema,
  addingEnumValueInTransaction,
  requireConcurrentRefresh,
  addingExclusionConstraint,
  banLockTable,
  statementAfterAccessExclusiveLock,
  syntaxNewerThanTarget,
  concurrentIndexIfNotExists,
  disablingTriggers,
  creatingEnum,
  droppingPrimaryKey,
  unboundedDataChange,
  partitionedTableIndex,
  attachPartitionWithoutCheck,
  partialIndexOnForeignKey,
  renamingEnumValue,
];

export function ruleById(id: string): Rule | undefined {
  return rules.find((r) => r.meta.id === id);
}

export type { Rule, RuleContext, RuleMeta, Visitors } from './types.js';
