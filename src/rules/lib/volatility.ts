import { nameList } from './ast.js';
import { BUILTIN_NON_VOLATILE_FUNCTIONS, BUILTIN_VOLATILE_FUNCTIONS } from './builtin-functions.js';
import type { RuleContext } from '../types.js';
import { walk } from './walk.js';

// Built-in volatile functions commonly used as column defaults: each call yields a new value, so
// ADD COLUMN must compute and store it for every existing row.
const BUILTIN_VOLATILE = new Set([
  'random', 'random_normal', 'gen_random_uuid', 'uuidv4', 'uuidv7', 'uuid_generate_v1', 'uuid_generate_v1mc',
  'uuid_generate_v4', 'clock_timestamp', 'timeofday', 'statement_timestamp', 'nextval', 'setval', 'txid_current',
  'pg_current_xact_id', 'gen_random_bytes', 'nanoid',
]);

// Built-ins that are stable or immutable and frequent in defaults: known safe without a catalog.
const BUILTIN_NON_VOLATILE = new Set([
  'now', 'transaction_timestamp', 'current_timestamp', 'lower', 'upper', 'coalesce', 'to_jsonb', 'jsonb_build_object',
  'json_build_object', 'array', 'make_interval', 'to_timestamp', 'length', 'concat', 'md5', 'current_setting',
  'timezone', 'date_trunc', 'abs', 'round', 'greatest', 'least', 'nullif', 'jsonb_build_array', 'json_build_array',
]);

/** Unqualified names resolve to pg_catalog first; a name qualified with another schema is not a built-in. */
function isBuiltinSchema(schema: string | undefined): boolean {
  return schema === undefined || schema === 'pg_catalog';
}

export interface VolatileCall {
  name: string;
  /**
   * 'volatile': known volatile; 'unknown': neither a built-in nor a function of the schema, so its
   * volatility cannot be told (no schema was read, or the schema before the change does not define it).
   */
  kind: 'volatile' | 'unknown';
}

/** The first call in an expression that makes it volatile (or possibly volatile), if any. */
export function volatileCall(ctx: RuleContext, expr: unknown): VolatileCall | undefined {
  let found: VolatileCall | undefined;
  walk({ Root: { expr } }, (type, node) => {
    if (found || type !== 'FuncCall') return;
    const names = nameList(node.funcname).map((n) => n.toLowerCase());
    const name = names[names.length - 1]!;
    const schema = names.length > 1 ? names[0] : undefined;
    const created = ctx.created.functions.get(name);
    if (created) {
      if (created === 'v') found = { name, kind: 'volatile' };
      return;
    }
    const fromCatalog = ctx.catalog?.functions.find(
      (f) => f.name.toLowerCase() === name && (schema === undefined || f.schema.toLowerCase() === schema),
    );
    if (fromCatalog) {
      if (fromCatalog.volatility === 'v') found = { name, kind: 'volatile' };
      return;
    }
    if (BUILTIN_VOLATILE.has(name) || (isBuiltinSchema(schema) && BUILTIN_VOLATILE_FUNCTIONS.has(name))) found = { name, kind: 'volatile' };
    else if (BUILTIN_NON_VOLATILE.has(name) || (isBuiltinSchema(schema) && BUILTIN_NON_VOLATILE_FUNCTIONS.has(name))) return;
    else if (schema !== 'pg_catalog') found = { name, kind: 'unknown' };
  });
  return found;
}
