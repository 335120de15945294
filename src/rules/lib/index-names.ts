import { nameList, relationKey } from './ast.js';

/** Index keys ('schema.name') a `DROP INDEX … IF EXISTS` names: a concurrent build after it starts clean. */
export function droppedIndexKeys(dropStmt: any): string[] {
  if (dropStmt?.removeType !== 'OBJECT_INDEX' || !dropStmt.missing_ok) return [];
  return (dropStmt.objects ?? []).map((o: any) => {
    const parts = nameList(o?.List?.items);
    return relationKey(parts.length > 1 ? { schemaname: parts[0], relname: parts[1] } : { relname: parts[0] });
  });
}

/** The key ('schema.name') of the index an IndexStmt creates; its schema is its table's. */
export function createdIndexKey(indexStmt: any): string {
  return relationKey({ schemaname: indexStmt.relation?.schemaname, relname: indexStmt.idxname });
}
