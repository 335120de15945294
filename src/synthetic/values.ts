import type { CatalogColumn } from '../types.js';
import { splitTypmod, type TypeFacts, type TypeMap } from './types.js';

/** What a CHECK constraint lets a column hold, as far as simple patterns tell. */
export interface ColumnHints {
  /** `col IN (…)` / `col = ANY (ARRAY[…])`: the literal SQL of each allowed value. */
  allowed?: string[];
  min?: number;
  max?: number;
  /** `octet_length(col) = n`, `length(col) = n` or `char_length(col) = n`: every value has exactly n bytes or characters. */
  length?: number;
}

export interface ValueContext {
  /** SQL expression of the 1-based row number. */
  g: string;
  /** Distinct per column, to decorrelate columns' pseudo-random values. */
  seed: number;
  /** Values should be distinct across rows: real data rarely repeats, and a new UNIQUE must not fail on rows pgpro made up. */
  unique: boolean;
  /** Values must be distinct (a declared PK/UNIQUE key): even a CHECK's list of allowed values gives way. */
  required?: boolean;
  /** Makes text keys distinct from those of earlier fills of the same table. */
  salt: string;
  /** Normalized names of enum types in the catalog. */
  enums: ReadonlySet<string>;
  hints?: ColumnHints;
  /** Domains, arrays, ranges and composite types of the live catalog (readTypeFacts). */
  types?: TypeMap;
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

/** Row g's value in [lo, hi]: distinct while there are fewer rows than values, then repeating. */
function wrapped(ctx: ValueContext, lo: number, hi: number): string {
  const width = hi - lo + 1;
  return width >= 2_000_000_000 ? `(${lo - 1} + ${ctx.g})` : `(${lo} + (${ctx.g} - 1) % ${Math.max(1, width)})`;
}

function integerValue(ctx: ValueContext, typeMax: number, spread: number): string {
  const { lo, hi } = intRange(ctx.hints, typeMax);
  if (ctx.unique) return wrapped(ctx, lo, hi);
  const width = Math.max(1, Math.min(hi - lo + 1, spread));
  return `(${lo} + ${skewed(ctx, width)})`;
}

/** pgvector's types, wherever the extension was created (their names are unqualified only on the search_path). */
const PGVECTOR_TYPES = new Set(['vector', 'halfvec', 'sparsevec']);

/**
 * A pgvector value of `dims` dimensions for row g. The first (up to three) components are g's digits
 * in base 2048, exact in real and in halfvec and distinct across rows; the rest share one
 * pseudo-random fraction per row, so a 1536-dimension embedding costs one array_fill, not 1536 terms.
 */
function pgvectorValue(kind: string, dims: number, type: string, ctx: ValueContext): string {
  const n = ctx.unique ? ctx.g : hash(ctx);
  if (kind === 'sparsevec') return `('{' || (1 + ${n} % ${dims}) || ':' || (1 + ${n} % 2048) || '}/${dims}')::${type}`;
  const digits = Math.min(dims, 3);
  const head = Array.from({ length: digits }, (_, i) => `((${n}::bigint / ${2048 ** i}) % 2048)::real`);
  const tail = `array_fill((${hash({ ...ctx, seed: ctx.seed + 1 })} % 1000)::real / 1000, ARRAY[${dims - digits}])`;
  return `(ARRAY[${head.join(', ')}] || ${tail})::${type}`;
}

/** Types with too few values to be distinct across rows. */
const FEW_VALUES = new Set(['boolean']);

/**
 * A SQL expression producing a value of `column`'s type for row `ctx.g`, or undefined when the
 * type is not one the generator knows. With `ctx.types` (read from the live catalog) domains, arrays,
 * ranges, multiranges, enums and composite types are followed to what they are made of.
 */
export function valueExpression(column: CatalogColumn, ctx: ValueContext, depth = 0): string | undefined {
  if (depth > 4) return undefined;
  const type = normalizeTypeName(column.type);
  if (ctx.hints?.allowed && ctx.hints.allowed.length > 0 && !ctx.required) {
    const list = ctx.hints.allowed;
    return `(ARRAY[${list.join(', ')}])[1 + ${skewed(ctx, list.length, 2)}]::${column.type}`;
  }
  const facts = ctx.types?.get(column.type);
  if (facts && facts.kind !== 'base') return composedValue(column, facts, ctx, depth);
  if (!facts && type.endsWith('[]')) {
    const element = valueExpression({ ...column, type: column.type.replace(/\[\]$/, '') }, { ...ctx, hints: undefined, unique: false }, depth + 1);
    return element === undefined ? undefined : arrayOf(element, column.type, ctx);
  }
  const { base, typmod } = splitTypmod(type);
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
      const precision = base === 'numeric' || base === 'decimal' ? typmod?.[0] : undefined;
      const scale = typmod?.[1] ?? 0;
      const typeMax = precision ? 10 ** (precision - scale) - 1 : 1_000_000;
      const { lo, hi } = intRange(ctx.hints, typeMax);
      const whole = ctx.unique ? wrapped(ctx, lo, hi) : `(${lo} + ${skewed(ctx, Math.max(1, Math.min(hi - lo, 10_000)))})`;
      const cents = !ctx.unique && (scale > 0 || !precision) ? ` + (${h} % 100) / 100.0` : '';
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
      const exact = ctx.hints?.length;
      const length = exact ?? typmod?.[0];
      const prefix = quoteLiteral(`${column.name.slice(0, 8)}-`);
      // The row number comes last so that a length limit cuts the prefix, not what makes values distinct.
      const text = ctx.unique ? `${prefix} || '${ctx.salt}-' || ${ctx.g}` : `${prefix} || ${skewed(ctx, 1000)}`;
      const cut = length ? `right(${text}, ${length})` : `(${text})`;
      return `${exact ? `lpad(${cut}, ${exact}, '0')` : cut}::${column.type}`;
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
    case 'time with time zone':
    case 'time':
    case 'timetz': {
      const seconds = ctx.unique ? `(${ctx.g} % 86400)` : `(${h} % 86400)`;
      return `(time '00:00' + ${seconds} * interval '1 second')::${column.type}`;
    }
    case 'interval':
      return ctx.unique ? `(${ctx.g} * interval '1 second')::${column.type}` : `((${h} % 10000) * interval '1 minute')::${column.type}`;
    case 'uuid':
      return ctx.unique ? `md5('${ctx.salt}-' || ${ctx.g} || '-${ctx.seed}')::uuid` : 'gen_random_uuid()';
    case 'json':
    case 'jsonb':
      return `jsonb_build_object('n', ${ctx.g}, 'kind', 'k' || ${skewed(ctx, 20)})::${base}`;
    case 'bytea': {
      const digest = `md5(${ctx.g}::text || '${ctx.salt}')`;
      const exact = ctx.hints?.length;
      // An md5 is 16 bytes: repeated and cut to the length a CHECK asks (a SHA-256 column's 32, say).
      return exact ? `decode(substr(repeat(${digest}, ${Math.ceil(exact / 16)}), 1, ${2 * exact}), 'hex')` : `decode(${digest}, 'hex')`;
    }
    case 'inet':
    case 'cidr':
      return `('10.' || (${ctx.g} / 65536) % 256 || '.' || (${ctx.g} / 256) % 256 || '.' || ${ctx.g} % 256)::${base}`;
    case 'macaddr':
    case 'macaddr8': {
      const digits = base === 'macaddr' ? 12 : 16;
      return `lpad(to_hex(${ctx.unique ? ctx.g : h}::bigint), ${digits}, '0')::${base}`;
    }
    case 'bit':
    case 'bit varying':
    case 'varbit': {
      const width = Math.min(typmod?.[0] ?? (base === 'bit' ? 1 : 32), 64);
      const n = ctx.unique ? ctx.g : h;
      return `substring((${n})::bigint::bit(64) from ${65 - width})::${column.type}`;
    }
    case 'tsvector':
      return `to_tsvector('simple', 'word' || ${ctx.unique ? ctx.g : skewed(ctx, 1000)})`;
    case 'tsquery':
      return `to_tsquery('simple', 'word' || ${ctx.unique ? ctx.g : skewed(ctx, 1000)})`;
    case 'point':
      return `point(${ctx.g}, ${h} % 1000)`;
    case 'box':
      return `box(point(${ctx.g}, 0), point(${ctx.g} + 1, 1))`;
    case 'lseg':
      return `lseg(point(${ctx.g}, 0), point(${ctx.g} + 1, 1))`;
    case 'line':
      return `line(point(${ctx.g}, 0), point(${ctx.g} + 1, 1))`;
    case 'circle':
      return `circle(point(${ctx.g}, 0), 1)`;
    case 'polygon':
      return `polygon(box(point(${ctx.g}, 0), point(${ctx.g} + 1, 1)))`;
    case 'path':
      return `path(polygon(box(point(${ctx.g}, 0), point(${ctx.g} + 1, 1))))`;
    case 'xml':
      return `('<n>' || ${ctx.g} || '</n>')::xml`;
    case 'hstore':
      return `hstore('n', ${ctx.g}::text)`;
    case 'ltree':
      return `('n' || ${ctx.g})::ltree`;
    case 'oid':
      return `(${ctx.g})::oid`;
    default: {
      if (ctx.enums.has(type)) return enumValue(column.type, ctx);
      const unqualified = base.slice(base.lastIndexOf('.') + 1);
      // Without a declared dimension any count is valid; three keeps rows small.
      if (PGVECTOR_TYPES.has(unqualified)) return pgvectorValue(unqualified, Math.max(1, typmod?.[0] ?? 3), column.type, ctx);
      return undefined;
    }
  }
}

/** Whether a type can hold as many distinct values as there are rows. */
export function canBeDistinct(type: string, types?: TypeMap): boolean {
  const facts = types?.get(type);
  if (facts?.kind === 'enum') return false;
  if (facts?.kind === 'domain') return canBeDistinct(facts.base, types);
  const { base, typmod } = splitTypmod(normalizeTypeName(type));
  if (FEW_VALUES.has(base)) return false;
  if ((base === 'bit' || base === 'character' || base === 'bpchar') && (typmod?.[0] ?? 1) < 8) return false;
  return true;
}

function enumValue(type: string, ctx: ValueContext): string {
  const range = `enum_range(NULL::${type})`;
  const index = ctx.unique ? `(${ctx.g} - 1)` : hash(ctx);
  return `(${range})[1 + ${index} % array_length(${range}, 1)]`;
}

function arrayOf(element: string, type: string, ctx: ValueContext): string {
  return `ARRAY[${element}, ${element.replaceAll(ctx.g, `(${ctx.g} + 1)`)}]::${type}`;
}

/** Values of types made of other types: domains, enums, arrays, ranges, multiranges, composites. */
function composedValue(column: CatalogColumn, facts: Exclude<TypeFacts, { kind: 'base' }>, ctx: ValueContext, depth: number): string | undefined {
  const inner = (type: string, over: Partial<ValueContext> = {}) =>
    valueExpression({ ...column, type }, { ...ctx, ...over }, depth + 1);
  switch (facts.kind) {
    case 'enum':
      return enumValue(column.type, ctx);
    case 'domain': {
      const domainHints = checkHints(facts.checks.map((c) => c.replace(/\bVALUE\b/g, 'value'))).get('value');
      const value = inner(facts.base, { hints: mergeHints(ctx.hints, domainHints) });
      return value === undefined ? undefined : `(${value})::${column.type}`;
    }
    case 'array': {
      const element = inner(facts.element, { hints: undefined, unique: false });
      return element === undefined ? undefined : arrayOf(element, column.type, ctx);
    }
    case 'range': {
      const lower = inner(facts.subtype, { hints: undefined, unique: true });
      if (lower === undefined) return undefined;
      const upper = lower.replaceAll(ctx.g, `(${ctx.g} + 1)`);
      return `${column.type}(LEAST(${lower}, ${upper}), GREATEST(${lower}, ${upper}), '[]')`;
    }
    case 'multirange': {
      const range = inner(facts.range);
      return range === undefined ? undefined : `${column.type}(${range})`;
    }
    case 'composite': {
      const parts: string[] = [];
      for (const [i, attribute] of facts.attributes.entries()) {
        const value = valueExpression({ name: attribute.name, type: attribute.type, notNull: false }, { ...ctx, hints: undefined, seed: ctx.seed * 31 + i }, depth + 1);
        parts.push(value ?? 'NULL');
      }
      return `ROW(${parts.join(', ')})::${column.type}`;
    }
  }
}

function mergeHints(a: ColumnHints | undefined, b: ColumnHints | undefined): ColumnHints | undefined {
  if (!a) return b;
  if (!b) return a;
  return {
    ...(a.allowed ?? b.allowed ? { allowed: a.allowed ?? b.allowed } : {}),
    ...(a.min !== undefined || b.min !== undefined ? { min: Math.max(a.min ?? -Infinity, b.min ?? -Infinity) } : {}),
    ...(a.max !== undefined || b.max !== undefined ? { max: Math.min(a.max ?? Infinity, b.max ?? Infinity) } : {}),
    ...((a.length ?? b.length) !== undefined ? { length: a.length ?? b.length } : {}),
  };
}

/** Read simple CHECK patterns (`IN` lists, numeric bounds, exact lengths) into per-column hints. */
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
    // octet_length(col) = 32, as pg_get_constraintdef writes it: CHECK ((octet_length(tar_sha256) = 32)).
    const lengths = /\b(?:octet_length|char_length|length)\(\(?("?[\w]+"?)\)?(?:::[\w ]+)?\)\s*=\s*(\d+)\b/gi;
    let l: RegExpExecArray | null;
    while ((l = lengths.exec(def)) !== null) {
      const n = Number(l[2]);
      if (l[1] && n > 0 && n <= 10_000) get(l[1]).length = n;
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
