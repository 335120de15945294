import type { CatalogTable } from '../../types.js';
import { nearest, relationKey, relationLabel, type RangeVarLike } from './ast.js';
import type { RuleContext, RuleMeta, Visitors } from '../types.js';

export function docsPath(id: string): string {
  return `docs/rules/${id}.md`;
}

export function meta(m: Omit<RuleMeta, 'docs'>): RuleMeta {
  return { ...m, docs: docsPath(m.id) };
}

/** True unless the relation was created earlier in this change (new objects carry no traffic). */
export function isExisting(ctx: RuleContext, rv: RangeVarLike | undefined): boolean {
  return !ctx.created.hasTable(relationKey(rv));
}

/**
 * The visitors of a rule about ALTER TABLE commands on tables that existed before the change (a table the
 * change created carries no traffic): `visit` gets each command, its statement and the table's label.
 */
export function onExistingTableCommands(ctx: RuleContext, visit: (cmd: any, stmt: any, table: string) => void): Visitors {
  return {
    AlterTableCmd(cmd, ancestors) {
      const stmt = nearest(ancestors, 'AlterTableStmt');
      if (!stmt || !isExisting(ctx, stmt.relation)) return;
      visit(cmd, stmt, relationLabel(stmt.relation));
    },
  };
}

export function catalogTable(ctx: RuleContext, rv: RangeVarLike | undefined): CatalogTable | undefined {
  if (!ctx.catalog || !rv?.relname) return undefined;
  const key = relationKey(rv);
  return ctx.catalog.tables.find((t) => `${t.schema}.${t.name}`.toLowerCase() === key);
}

/** Evidence line from the catalog: the table's estimated size, which scales the lock's duration. */
export function sizeEvidence(ctx: RuleContext, rv: RangeVarLike | undefined): string | undefined {
  const table = catalogTable(ctx, rv);
  if (!table) return undefined;
  // The replayed history rarely holds data, so a zero estimate says nothing about production.
  const rows = table.estimatedRows > 0 ? ` (~${table.estimatedRows.toLocaleString('en-US')} rows estimated)` : '';
  return `${relationLabel(rv)} exists before this change${rows}`;
}

export { relationLabel };
