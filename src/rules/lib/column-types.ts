import type { Fix } from '../../types.js';
import { columnConstraints, nameList, nearest, type TypeInfo, typeInfo } from './ast.js';
import { statementFix } from './common.js';
import { replaceType, typeSpan } from './fix.js';
import type { AncestorEntry, RuleContext, Visitors } from '../types.js';

export interface ColumnSite {
  column: string;
  type: TypeInfo;
  columnDef: any;
  /** The column is (part of) the primary key. */
  primaryKey: boolean;
  /** 'create' (CREATE TABLE), 'add' (ADD COLUMN) or 'alter' (ALTER COLUMN TYPE). */
  kind: 'create' | 'add' | 'alter';
}

// The columns of a CREATE TABLE's own PRIMARY KEY (…) constraint, once per statement tree: asked for
// every column by each of the column-type rules, a wide table made this quadratic.
const primaryKeys = new WeakMap<object, string[]>();
function tablePrimaryKey(createStmt: any): string[] {
  let keys = primaryKeys.get(createStmt);
  if (!keys) {
    keys = (createStmt.tableElts ?? [])
      .map((e: any) => e?.Constraint)
      .filter((c: any) => c?.contype === 'CONSTR_PRIMARY')
      .flatMap((c: any) => nameList(c.keys)) as string[];
    primaryKeys.set(createStmt, keys);
  }
  return keys;
}

/** Visitors that call `check` for every column whose type a statement declares (tables only). */
export function columnTypeVisitors(check: (site: ColumnSite) => void): Visitors {
  return {
    ColumnDef(columnDef, ancestors: readonly AncestorEntry[]) {
      const type = typeInfo(columnDef.typeName);
      if (!type) return;
      const parent = ancestors[ancestors.length - 1];
      if (parent?.type === 'CreateStmt') {
        const primaryKey =
          columnConstraints(columnDef).some((c) => c.contype === 'CONSTR_PRIMARY') || tablePrimaryKey(parent.node).includes(columnDef.colname);
        check({ column: columnDef.colname, type, columnDef, primaryKey, kind: 'create' });
      } else if (parent?.type === 'AlterTableCmd' && nearest(ancestors, 'AlterTableStmt')) {
        const cmd = parent.node;
        if (cmd.subtype === 'AT_AddColumn') {
          const primaryKey = columnConstraints(columnDef).some((c) => c.contype === 'CONSTR_PRIMARY');
          check({ column: columnDef.colname, type, columnDef, primaryKey, kind: 'add' });
        } else if (cmd.subtype === 'AT_AlterColumnType') {
          check({ column: cmd.name, type, columnDef, primaryKey: false, kind: 'alter' });
        }
      }
    },
  };
}

interface TypeEdits {
  edits: { start: number; end: number; text: string }[];
  fixes: Fix[];
}

/**
 * A fix replacing the column's type in place when its text can be located. When the rule reports
 * several columns of one statement (`id serial, customer_id integer`), every one of its fixes there
 * replaces all of them: the statement's hazard is gone only when each column is changed, whichever
 * finding (or the merged one) carries the fix.
 */
export function typeFix(ctx: RuleContext, site: ColumnSite, title: string, replacement: string, ruleSteps?: string[]): Fix {
  const prisma = prismaSchemaStep(ctx, site, replacement);
  const steps = prisma ? [...(ruleSteps ?? []), prisma] : ruleSteps;
  const at = ctx.textOffset({ location: site.type.location });
  const span = at === undefined ? undefined : typeSpan(ctx.statement.text, at);
  if (!span) return statementFix(ctx, title, replaceType(ctx.statement.text, at, replacement), steps);
  const key = `type-edits:${ctx.statement.index}`;
  const memo = (ctx.fileMemo.get(key) as TypeEdits | undefined) ?? { edits: [], fixes: [] };
  ctx.fileMemo.set(key, memo);
  memo.edits.push({ ...span, text: replacement });
  let text = ctx.statement.text;
  for (const edit of [...memo.edits].sort((a, b) => b.start - a.start)) text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  const fix = statementFix(ctx, title, text, steps);
  memo.fixes.push(fix);
  for (const earlier of memo.fixes) if (fix.sql !== undefined) earlier.sql = fix.sql;
  return fix;
}

/** How schema.prisma declares a column of the replacement type; undefined when it cannot. */
function prismaFieldFor(replacement: string): string | undefined {
  if (/^text CHECK /.test(replacement)) {
    return (
      'a String without `@db.VarChar` or `@db.Char` (text is what Prisma makes of a String); its schema has no CHECK ' +
      'constraints, so the CHECK stays written in this file only, as Prisma expects of constraints it cannot declare'
    );
  }
  const zoned = /^timestamptz(\(\d+\))?$/.exec(replacement);
  if (zoned) return `a DateTime with \`@db.Timestamptz${zoned[1] ?? ''}\``;
  switch (replacement) {
    case 'text':
      return 'a String without `@db.VarChar` or `@db.Char` (text is what Prisma makes of a String)';
    case 'jsonb':
      return 'a Json without `@db.Json` (jsonb is what Prisma makes of a Json)';
    case 'bigint':
      return 'a BigInt';
    case 'bigserial':
      return 'a BigInt with `@default(autoincrement())`';
    default:
      return undefined;
  }
}

function undeclarable(replacement: string): string {
  return /\bIDENTITY\b/i.test(replacement) ? 'an identity column' : `a ${replacement} column`;
}

/**
 * Prisma writes migration.sql from schema.prisma, and `prisma migrate dev` compares the two: a type
 * changed in the SQL alone is drift, which its next run undoes with a migration of its own. So a
 * verified type fix says what to declare in the schema, or that the schema cannot declare it.
 */
function prismaSchemaStep(ctx: RuleContext, site: ColumnSite, replacement: string): string | undefined {
  if (ctx.file.convention !== 'prisma') return undefined;
  const field = prismaFieldFor(replacement);
  if (!field) {
    return (
      `Prisma writes this file from schema.prisma, which cannot declare ${undeclarable(replacement)}: the column would ` +
      'differ from what the schema describes, so check what `prisma migrate diff` makes of the change before merging it.'
    );
  }
  return (
    `Prisma writes this file from schema.prisma: declare ${site.column} there as ${field} too, so that the schema and ` +
    'this migration agree; changed here alone, the next `prisma migrate dev` sees the difference and writes a migration ' +
    'that changes the column back.'
  );
}

/** Looks like a key: the primary key, `id`, or a `…_id` reference. */
export function isKeyColumn(site: ColumnSite): boolean {
  const name = site.column?.toLowerCase() ?? '';
  return site.primaryKey || name === 'id' || name.endsWith('_id');
}
