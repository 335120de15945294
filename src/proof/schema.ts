// "The schema the original statement intended": the schema objects after the original file and after
// the fixed one, compared modulo what a safe rewrite legitimately changes. Index and constraint names
// are ignored (a fix may name them), and so is a constraint's validation state (NOT VALID now, VALIDATE
// in a later migration is the whole point of such fixes). Everything else must be equal: tables,
// columns with their types, nullability and defaults, index definitions, constraint definitions,
// views, sequences, triggers, functions, types and extensions.

/**
 * Rules whose fix is a type swap (`varchar(20)` → `text CHECK (…)`, `timestamp` → `timestamptz`, `serial`
 * → identity): what they intend is the same columns with another type. For them a column's type and
 * default may differ, and a length CHECK may be added; nothing else.
 */
export const TYPE_SWAP_RULES: ReadonlySet<string> = new Set([
  'prefer-text-field',
  'ban-char-field',
  'prefer-timestamptz',
  'prefer-bigint-over-int',
  'prefer-bigint-over-smallint',
  'prefer-jsonb',
  'prefer-identity',
]);

/** The differences a fix of `rule` is meant to make (see TYPE_SWAP_RULES). */
export function intendedDifference(rule: string, difference: string): boolean {
  // DETACH PARTITION … CONCURRENTLY leaves the partition bound as a CHECK constraint on the detached table.
  if (rule === 'require-concurrent-partition-detach') return /^extra: constraint on [^:]+: CHECK /.test(difference);
  if (!TYPE_SWAP_RULES.has(rule)) return false;
  return difference.startsWith('differs: column ') || /^extra: constraint on [^:]+: CHECK \(+char_length\(/i.test(difference);
}

/** Schema objects keyed so that a rename-free comparison is a map comparison. */
export function normalizeSchema(objects: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const add = (key: string, def: string) => {
    let unique = key;
    for (let n = 2; out.has(unique); n++) unique = `${key} #${n}`;
    out.set(unique, def);
  };
  for (const [key, def] of [...objects].sort(([a], [b]) => a.localeCompare(b))) {
    if (key.startsWith('index ')) {
      add(`index ${withoutIndexName(def)}`, '');
    } else if (key.startsWith('constraint ')) {
      const table = key.slice('constraint '.length).split('.').slice(0, 2).join('.');
      add(`constraint on ${table}: ${def.replace(/\s+NOT VALID$/i, '')}`, '');
    } else {
      out.set(key, def);
    }
  }
  return out;
}

/** `CREATE UNIQUE INDEX name ON public.t USING btree (c)` → `CREATE UNIQUE INDEX ON public.t USING btree (c)`. */
function withoutIndexName(definition: string): string {
  return definition.replace(/^(CREATE (?:UNIQUE )?INDEX )(?:"(?:[^"]|"")+"|\S+) (ON )/i, '$1$2');
}

/** What the fixed schema lacks, has in excess, or has differently, as short lines. */
export function schemaDifferences(intended: Map<string, string>, fixed: Map<string, string>): string[] {
  const a = normalizeSchema(intended);
  const b = normalizeSchema(fixed);
  const out: string[] = [];
  for (const [key, def] of a) {
    if (!b.has(key)) out.push(`missing: ${key}${def ? ` (${def})` : ''}`);
    else if (b.get(key) !== def) out.push(`differs: ${key}: ${def || '(empty)'} → ${b.get(key) || '(empty)'}`);
  }
  for (const [key, def] of b) if (!a.has(key)) out.push(`extra: ${key}${def ? ` (${def})` : ''}`);
  return out;
}
