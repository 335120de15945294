import type { LockMode } from '../../types.js';
import { nameList, optionEnabled, relationLabel } from './ast.js';
import { isExisting } from './helpers.js';
import type { RuleContext } from '../types.js';
import { unwrapNode } from './walk.js';

// ALTER TABLE subcommands that take at most SHARE UPDATE EXCLUSIVE: they do not block reads or writes.
const LIGHT_ALTER_SUBTYPES = new Set([
  'AT_ValidateConstraint', 'AT_SetStatistics', 'AT_ClusterOn', 'AT_DropCluster', 'AT_SetRelOptions', 'AT_ResetRelOptions',
  'AT_DetachPartitionFinalize',
]);

export interface DangerousLock {
  mode: LockMode;
  relation: string;
}

/** The blocking lock a statement takes on a pre-existing table, if it takes one. */
export function dangerousLock(ctx: RuleContext): DangerousLock | undefined {
  const wrapped = unwrapNode(ctx.statement.ast);
  if (!wrapped) return undefined;
  const node = wrapped.node as any;
  switch (wrapped.type) {
    case 'AlterTableStmt': {
      if (!isExisting(ctx, node.relation)) return undefined;
      const subtypes: string[] = (node.cmds ?? []).map((c: any) => c?.AlterTableCmd?.subtype);
      if (subtypes.every((s) => LIGHT_ALTER_SUBTYPES.has(s))) return undefined;
      const onlyFk = (node.cmds ?? []).every(
        (c: any) => c?.AlterTableCmd?.def?.Constraint?.contype === 'CONSTR_FOREIGN',
      );
      return { mode: onlyFk ? 'ShareRowExclusiveLock' : 'AccessExclusiveLock', relation: relationLabel(node.relation) };
    }
    case 'IndexStmt':
      return !node.concurrent && isExisting(ctx, node.relation)
        ? { mode: 'ShareLock', relation: relationLabel(node.relation) }
        : undefined;
    case 'DropStmt': {
      if (node.concurrent || !['OBJECT_TABLE', 'OBJECT_INDEX', 'OBJECT_VIEW', 'OBJECT_MATVIEW'].includes(node.removeType)) {
        return undefined;
      }
      const names: string[][] = (node.objects ?? []).map((o: any) => nameList(o?.List?.items));
      const existing = names.filter((p) => {
        const rv = p.length > 1 ? { schemaname: p[0], relname: p[1] } : { relname: p[0] };
        return node.removeType === 'OBJECT_INDEX' ? !ctx.created.hasIndex(key(rv)) : isExisting(ctx, rv);
      });
      if (existing.length === 0) return undefined;
      // DROP INDEX locks the index's table: name the table, which is what every query waits on.
      const relations = node.removeType === 'OBJECT_INDEX' ? existing.map((p) => tableOfIndex(ctx, p)) : existing.map((p) => p.join('.'));
      return { mode: 'AccessExclusiveLock', relation: [...new Set(relations)].join(', ') };
    }
    case 'RenameStmt':
      // ALTER INDEX … RENAME takes SHARE UPDATE EXCLUSIVE (PostgreSQL 12+): it blocks no reads or writes.
      if (node.renameType === 'OBJECT_INDEX') {
        return ctx.settings.postgresVersion >= 12 || !node.relation
          ? undefined
          : { mode: 'AccessExclusiveLock', relation: tableOfIndex(ctx, [node.relation.schemaname, node.relation.relname].filter(Boolean)) };
      }
      return node.relation && isExisting(ctx, node.relation)
        ? { mode: 'AccessExclusiveLock', relation: relationLabel(node.relation) }
        : undefined;
    case 'TruncateStmt': {
      const rels = (node.relations ?? []).map((r: any) => r?.RangeVar).filter((r: any) => r && isExisting(ctx, r));
      return rels.length ? { mode: 'AccessExclusiveLock', relation: rels.map(relationLabel).join(', ') } : undefined;
    }
    case 'CreateTrigStmt':
      return isExisting(ctx, node.relation) ? { mode: 'ShareRowExclusiveLock', relation: relationLabel(node.relation) } : undefined;
    case 'ReindexStmt': {
      if (optionEnabled(node.params, 'concurrently') || !node.relation) return undefined;
      if (node.kind === 'REINDEX_OBJECT_TABLE') {
        return isExisting(ctx, node.relation) ? { mode: 'ShareLock', relation: relationLabel(node.relation) } : undefined;
      }
      if (node.kind !== 'REINDEX_OBJECT_INDEX' || ctx.created.hasIndex(key(node.relation))) return undefined;
      // Queries that would use the index wait on it; writes wait on the table's SHARE lock.
      return { mode: 'ShareLock', relation: tableOfIndex(ctx, [node.relation.schemaname, node.relation.relname].filter(Boolean)) };
    }
    case 'VacuumStmt': {
      if (!node.is_vacuumcmd || !optionEnabled(node.options, 'full')) return undefined;
      const rels = (node.rels ?? []).map((r: any) => r?.VacuumRelation?.relation).filter((r: any) => r && isExisting(ctx, r));
      return rels.length ? { mode: 'AccessExclusiveLock', relation: rels.map(relationLabel).join(', ') } : undefined;
    }
    case 'ClusterStmt':
    case 'RefreshMatViewStmt':
      if (!node.relation || !isExisting(ctx, node.relation) || node.concurrent) return undefined;
      return { mode: 'AccessExclusiveLock', relation: relationLabel(node.relation) };
    case 'LockStmt': {
      const rels = (node.relations ?? []).map((r: any) => r?.RangeVar).filter((r: any) => r && isExisting(ctx, r));
      return rels.length ? { mode: 'AccessExclusiveLock', relation: rels.map(relationLabel).join(', ') } : undefined;
    }
    default:
      return undefined;
  }
}

/** The table an existing index belongs to, from the catalog; "the table of index x" when unknown. */
export function tableOfIndex(ctx: RuleContext, parts: string[]): string {
  const name = parts[parts.length - 1]!.toLowerCase();
  const schema = parts.length > 1 ? parts[0]!.toLowerCase() : undefined;
  const table = ctx.catalog?.tables.find(
    (t) => (!schema || t.schema.toLowerCase() === schema) && t.indexes.some((i) => i.name.toLowerCase() === name),
  );
  if (!table) return `the table of index ${parts.join('.')}`;
  return table.schema === 'public' ? table.name : `${table.schema}.${table.name}`;
}

function key(rv: { schemaname?: string; relname?: string }): string {
  return `${rv.schemaname ?? 'public'}.${rv.relname ?? ''}`.toLowerCase();
}

// The SQL names of the lock modes live with the conflict table they belong to.
export { LOCK_NAME as LOCK_LABEL } from '../../trace/locks.js';
