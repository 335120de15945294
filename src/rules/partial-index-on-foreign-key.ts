import { nameList, relationKey, relationLabel } from './lib/ast.js';
import { runsInTransaction } from './lib/common.js';
import { isCommit, laterStatements } from './lib/file-scan.js';
import { catalogTable, isExisting, meta } from './lib/helpers.js';
import type { CatalogTable } from '../types.js';
import type { Rule, RuleContext } from './types.js';

type ForeignKey = CatalogTable['constraints'][number];

const rule: Rule = {
  meta: meta({
    id: 'partial-index-on-foreign-key',
    category: 'locking',
    defaultSeverity: 'warning',
    requires: 'catalog',
    description:
      'A partial index on foreign-key columns that no full index covers, or dropping the full index an existing foreign key relies on.',
  }),
  create(ctx) {
    return {
      IndexStmt(node) {
        if (!node.whereClause) {
          const key = `full:${relationKey(node.relation)}`;
          ctx.fileMemo.set(key, [...((ctx.fileMemo.get(key) as string[][] | undefined) ?? []), leadingColumns(node.indexParams)]);
          return;
        }
        if (!isExisting(ctx, node.relation)) return;
        const table = catalogTable(ctx, node.relation);
        if (!table) return;
        const leading = leadingColumns(node.indexParams);
        for (const fk of foreignKeys(table)) {
          if (!leads(leading, fk.columns) || servedByFullIndex(table, fk)) continue;
          ctx.report({
            message:
              `${node.idxname ?? 'This index'} is partial (it has a WHERE), so it cannot serve the foreign key ${fk.name} ` +
              `(${fk.columns.join(', ')}) of ${relationLabel(node.relation)}, and no full index does: every DELETE or key UPDATE ` +
              `on ${fk.references} still scans ${relationLabel(node.relation)} for referencing rows, under its lock.`,
            fix: {
              title: 'Index the foreign-key columns without a WHERE',
              steps: [`CREATE INDEX CONCURRENTLY <name> ON ${relationLabel(node.relation)} (${fk.columns.join(', ')});`],
            },
          });
        }
      },
      DropStmt(node) {
        if (node.removeType !== 'OBJECT_INDEX') return;
        for (const item of node.objects ?? []) {
          const parts = nameList(item?.List?.items);
          const name = parts[parts.length - 1];
          const schema = parts.length > 1 ? parts[0] : undefined;
          if (!name || ctx.created.hasIndex(`${schema ?? 'public'}.${name}`.toLowerCase())) continue;
          const table = ctx.catalog?.tables.find((t) => (!schema || t.schema === schema) && t.indexes.some((i) => i.name === name));
          if (!table) continue;
          for (const fk of foreignKeys(table)) {
            if (!servedByFullIndex(table, fk) || servedByFullIndex(table, fk, name) || recreatedInChange(ctx, table, fk)) continue;
            if (replacedLaterInBlock(ctx, table, fk)) continue;
            ctx.report({
              message:
                `${name} is the only full index on the columns of the foreign key ${fk.name} (${fk.columns.join(', ')}) of ` +
                `${table.name}: without it, every DELETE or key UPDATE on ${fk.references} scans ${table.name} for referencing rows, under its lock.`,
              fix: {
                title: 'Build the replacement before dropping it',
                steps: [`CREATE INDEX CONCURRENTLY <name> ON ${table.name} (${fk.columns.join(', ')}); -- before the DROP`],
              },
            });
          }
        }
      },
    };
  },
};

function foreignKeys(table: CatalogTable): ForeignKey[] {
  return table.constraints.filter((c) => c.type === 'f' && c.columns.length > 0);
}

/** Plain column names at the start of an index's column list; an expression ends it. */
function leadingColumns(params: any[] | undefined): string[] {
  const out: string[] = [];
  for (const p of params ?? []) {
    const name = p?.IndexElem?.name;
    if (typeof name !== 'string') break;
    out.push(name);
  }
  return out;
}

/** The index's first columns are the key's columns, in any order: equality lookups on the key can use it. */
function leads(indexColumns: string[], keyColumns: string[]): boolean {
  const head = new Set(indexColumns.slice(0, keyColumns.length));
  return keyColumns.every((c) => head.has(c));
}

function servedByFullIndex(table: CatalogTable, fk: ForeignKey, except?: string): boolean {
  return table.indexes.some((i) => i.name !== except && i.valid && !/\sWHERE\s/i.test(i.definition) && leads(i.columns, fk.columns));
}

/** A full index on the key's columns created earlier in the change. */
function recreatedInChange(ctx: RuleContext, table: CatalogTable, fk: ForeignKey): boolean {
  const key = `${table.schema}.${table.name}`.toLowerCase();
  return (ctx.fileMemo.get(`full:${key}`) as string[][] | undefined)?.some((cols) => leads(cols, fk.columns)) ?? false;
}

/**
 * A later statement of the same transaction block builds a full index on the key's columns (Prisma's
 * DropIndex then CreateIndex): no other session ever sees the key without an index.
 */
function replacedLaterInBlock(ctx: RuleContext, table: CatalogTable, fk: ForeignKey): boolean {
  if (!runsInTransaction(ctx)) return false;
  // An unqualified name is the table the DROP found (the file's search_path reaches it).
  const names = (rv: any) => rv?.relname === table.name && (!rv.schemaname || rv.schemaname === table.schema);
  for (const s of laterStatements(ctx) ?? []) {
    if (isCommit(s)) return false;
    if (s.type === 'IndexStmt' && !s.node.whereClause && names(s.node.relation) && leads(leadingColumns(s.node.indexParams), fk.columns)) {
      return true;
    }
  }
  return false;
}

export default rule;
