import type { CatalogColumn } from '../types.js';

/** What a CHECK constraint lets a column hold, as far as simple patterns tell. */
export interface ColumnHints {
  /** `col IN (…)` / `col = ANY (ARRAY[…])`: the literal SQL of each allowed value. */
  allowed?: string[];
  min?: number;
  max?: number;
}

export interface ValueContext {
  /** SQL expression of the 1-based row number. */
  g: string;
  /** Distinct per column, to decorrelate columns' pseudo-random values. */
  seed: number;
  /** Values must be distinct across rows (PK/UNIQUE). */
  unique: boolean;
  /** Makes text keys distinct from those of earlier fills of the same table. */
  salt: string;
  /** Normalized names of enum types in the catalog. */
  enums: ReadonlySet<string>;
  hints?: ColumnHints;
}

const HASH_MOD = 1_000_003;

/** A pseudo-random integer in [0, 1000003) from the row number, different per seed. */
function hash(ctx: ValueContext): string {
  const mult = 2_654_435_761 + ctx.seed * 40_503;
  return `((${ctx.g}::bigint * ${mult} + ${ctx.seed * 7919}) % ${HASH_MOD})`;
}

/** A skewed integer in [0, k): small values are common, large ones rare, so selective indexes pay off. */
function skewed(ctx: ValueContext, k: number, power = 3): string {
  return `floor(${k} * power(${hash(ctx)}::float8 / ${HASH_MOD}, ${power}))::bigint`;
}

export function normalizeTypeName(type: string): string {
  return type
    .replace(/"/g, '')
    .replace(/^public\./, '')
    .trim()
    .toLowerCase();
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Integer range allowed by hints, within the type's own range. */
function intRange(hints: ColumnHints | undefined, typeMax: number): { lo: number; hi: number } {
  const lo = Math.max(hints?.min ?? 1, -typeMax);
  const hi = Math.min(hints?.max ?? typeMax, typeMax);
  return { lo: Math.ceil(lo), hi: Math.floor(hi) };
}

function integerValue(ctx: ValueContext, typeMax: number, spread: number): string {
  const { lo, hi } = intRange(ctx.hints, typeMax);
  if (ctx.unique) return `(${lo - 1} + ${ctx.g})`;
  const width = Math.max(1, Math.min(hi - lo + 1, spread));
  return `(${lo} + ${skewed(ctx, width)})`;
}

/**
 * A SQL expression producing a value of `column`'s type for row `ctx.g`, or undefined when the
 * type is not one the generator knows.
 */
export function valueExpression(column: CatalogColumn, ctx: ValueContext): string | undefined {
  const type = normalizeTypeName(column.type);
  if (ctx.hints?.allowed && ctx.hints.allowed.length > 0 && !ctx.unique) {
    const list = ctx.hints.allowed;
    return `(ARRAY[${list.join(', ')}])[1 + ${skewed(ctx, list.length, 2)}]::${column.type}`;
  }
  if (type.endsWith('[]')) {
    const element = valueExpression({ ...column, type: column.type.replace(/\[\]$/, '') }, { ...ctx, hints: undefined, unique: false });
    return element === undefined ? undefined : `ARRAY[${element}, ${element.replaceAll(ctx.g, `(${ctx.g} + 1)`)}]::${column.type}`;
  }
  const base = type.replace(/\(.*\)$/, '').trim();
  const typmod = /\(([^)]*)\)/.exec(type)?.[1]?.split(',').map((s) => Number(s.trim()));
  const h = hash(ctx);
  switch (base) {
    case 'smallint':
      return `${integerValue(ctx, 32_000, 1000)}::smallint`;
    case 'integer':
      return `${integerValue(ctx, 2_000_000_000, 100_000)}::integer`;
    case 'bigint':
      return `${integerValue(ctx, 2_000_000_000, 100_000)}::bigint`;
    case 'numeric':
    case 'decimal':
    case 'real':
    case 'double precision':
    case 'money': {
      const precision = typmod?.[0];
      const scale = typmod?.[1] ?? 0;
      const typeMax = precision ? 10 ** (precision - scale) - 1 : 1_000_000;
      const { lo, hi } = intRange(ctx.hints, typeMax);
      const whole = ctx.unique ? `(${lo - 1} + ${ctx.g})` : `(${lo} + ${skewed(ctx, Math.max(1, Math.min(hi - lo, 10_000)))})`;
      const cents = scale > 0 || !precision ? ` + (${h} % 100) / 100.0` : '';
      const value = ctx.unique || hi - lo < 1 ? whole : `LEAST(${hi}, ${whole}${cents})`;
      return base === 'money' ? `(${value})::numeric::money` : `(${value})::${column.type}`;
    }
    case 'text':
    case 'character varying':
    case 'varchar':
    case 'character':
    case 'char':
    case 'bpchar':
    case 'citext':
    case 'name': {
      const length = typmod?.[0];
      const text = ctx.unique
        ? `'${column.name.slice(0, 8)}-' || ${ctx.g} || '-${ctx.salt}'`
        : `'${column.name.slice(0, 8)}-' || ${skewed(ctx, 1000)}`;
      const cut = length ? `left(${text}, ${length})` : `(${text})`;
      return `${cut}::${column.type}`;
    }
    case 'boolean':
      return `(${h} % 10 = 0)`;
    case 'date':
      return ctx.unique ? `(date '2000-01-01' + ${ctx.g}::int)` : `(date '2024-01-01' - ${skewed(ctx, 1500, 2)}::int)`;
    case 'timestamp with time zone':
    case 'timestamp without time zone':
    case 'timestamptz':
    case 'timestamp': {
      const expr = ctx.unique
        ? `timestamp '2000-01-01' + ${ctx.g} * interval '1 second'`
        : `timestamp '2024-01-01' - ${skewed(ctx, 1_000_000, 2)} * interval '1 minute'`;
      return `(${expr})::${column.type}`;
    }
    case 'time without time zone':
    case 'time':
      return `(time '00:00' + (${h} % 86400) * interval '1 second')`;
    case 'interval':
      return `((${h} % 10000) * interval '1 minute')`;
    case 'uuid':
      return 'gen_random_uuid()';
    case 'json':
    case 'jsonb':
      return `jsonb_build_object('n', ${ctx.g}, 'kind', 'k' || ${skewed(ctx, 20)})::${base}`;
    case 'bytea':
      return `decode(md5(${ctx.g}::text || '${ctx.salt}'), 'hex')`;
    case 'inet':
    case 'cidr':
      return `('10.' || (${ctx.g} / 65536) % 256 || '.' || (${ctx.g} / 256) % 256 || '.' || ${ctx.g} % 256)::${base}`;
    case 'tsvector':
      return `to_tsvector('simple', 'word' || ${skewed(ctx, 1000)})`;
    default:
      if (ctx.enums.has(type)) {
        const range = `enum_range(NULL::${column.type})`;
        return `(${range})[1 + ${hash(ctx)} % array_length(${range}, 1)]`;
      }
      return undefined;
  }
}

/** Read simple CHECK patterns (`IN` lists, numeric bounds) into per-column hints. */
export function checkHints(definitions: string[]): Map<string, ColumnHints> {
  const hints = new Map<string, ColumnHints>();
  const get = (column: string): ColumnHints => {
    const key = column.replace(/"/g, '');
    let h = hints.get(key);
    if (!h) hints.set(key, (h = {}));
    return h;
  };
  for (const def of definitions) {
    // A disjunction can allow anything: only conjunctions of simple terms are used.
    if (/\bOR\b/i.test(def)) continue;
    const any = /\(?("?[\w]+"?)(?:\)?::[\w ]+)?\s*=\s*ANY\s*\(\s*\(?ARRAY\[(.*)\]/i.exec(def);
    if (any?.[1] && any[2]) {
      const items = any[2].match(/'(?:[^']|'')*'(?:::[\w ]+)?|-?\d+(?:\.\d+)?/g) ?? [];
      if (items.length > 0) get(any[1]).allowed = items.map((i) => i.replace(/::[\w ]+$/, ''));
      continue;
    }
    const bound = /\(*("?[\w]+"?)\s*(>=|>|<=|<)\s*\(?(-?\d+(?:\.\d+)?)\)?/g;
    let m: RegExpExecArray | null;
    while ((m = bound.exec(def)) !== null) {
      const [, col, op, num] = m;
      if (!col || !op || !num || /^(length|char_length)$/i.test(col)) continue;
      const value = Number(num);
      const h = get(col);
      if (op === '>') h.min = Math.max(h.min ?? -Infinity, Math.floor(value) + 1);
      if (op === '>=') h.min = Math.max(h.min ?? -Infinity, Math.ceil(value));
      if (op === '<') h.max = Math.min(h.max ?? Infinity, Math.ceil(value) - 1);
      if (op === '<=') h.max = Math.min(h.max ?? Infinity, Math.floor(value));
    }
  }
  return hints;
}

export { quoteLiteral };
