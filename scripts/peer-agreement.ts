// Measures how often pgpro agrees with the published test cases of other PostgreSQL migration
// linters, rule by rule. It reads a checkout of the peer (fetched by you; nothing of theirs is in
// this repository) and prints the agreement; `--out <dir>` also writes each disagreement's SQL there
// for judging by hand.
//
//   npx tsx scripts/peer-agreement.ts squawk <squawk checkout> [--out dir]
//     Every `lint_errors` / `lint_ok` case of crates/squawk_linter/src/rules/*.rs, with its settings
//     (pg_version, assume_in_transaction), run through pgpro's static rules (no sandbox, as squawk runs):
//     pgpro agrees when its rule for the hazard (src/rules/lib/squawk.ts) fires exactly when squawk's does.
//
//   npx tsx scripts/peer-agreement.ts eugene <eugene checkout> [--out dir] [--only E15,W14]
//     Every eugene/examples/<hint>/{bad,good}.sql, a history of `-- N.sql` scripts: all but the last are
//     replayed as history, the last is reviewed by the whole pipeline (sandbox, trace, EXPLAIN; no agent),
//     each script in a transaction as eugene runs it (BEGIN … COMMIT, except a CONCURRENTLY script).
//     `--bad-only` skips the good examples; `--only E15,W14` picks hints. A bad example is caught when a finding of pgpro's
//     rule for that hint is reported; a good one is clean when none is.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config/parse.js';
import type { PgproConfig } from '../src/config/schema.js';
import { lintMigrations } from '../src/rules/lib/lint.js';
import { pgproIdsOfSquawkRule } from '../src/rules/lib/squawk.js';
import { parseMigrationSql } from '../src/sql/parse.js';
import type { MigrationFile } from '../src/types.js';

interface Outcome {
  peerRule: string;
  name: string;
  sql: string;
  expected: boolean;
  found: boolean;
  /** pgpro cannot parse the SQL (or pgpro has no rule for the hazard). */
  skipped?: string;
}

const [mode, root, ...rest] = process.argv.slice(2);
const outIndex = rest.indexOf('--out');
const outDir = outIndex >= 0 ? rest[outIndex + 1] : undefined;
if ((mode !== 'squawk' && mode !== 'eugene') || !root) {
  console.error('usage: peer-agreement.ts squawk|eugene <checkout> [--out dir]');
  process.exit(2);
}


// ---------------------------------------------------------------- squawk

interface SquawkCase {
  rule: string;
  name: string;
  sql: string;
  expected: boolean;
  pgVersion?: number;
  assumeInTransaction?: boolean;
}

/** Where squawk reports one hazard under two ids and pgpro under the other: a foreign key without NOT VALID. */
const SAME_HAZARD_IN_PGPRO: Record<string, string[]> = { 'constraint-missing-not-valid': ['adding-foreign-key-constraint'] };

async function squawkCases(checkout: string): Promise<Outcome[]> {
  const src = join(checkout, 'crates/squawk_linter/src');
  const ruleIds = new Map<string, string>();
  for (const m of readFileSync(join(src, 'lib.rs'), 'utf8').matchAll(/Rule::(\w+) => "([a-z0-9-]+)"/g)) ruleIds.set(m[1]!, m[2]!);
  const cases: SquawkCase[] = [];
  for (const file of readdirSync(join(src, 'rules')).filter((f) => f.endsWith('.rs'))) {
    cases.push(...extractRustCases(readFileSync(join(src, 'rules', file), 'utf8'), ruleIds));
  }
  const out: Outcome[] = [];
  for (const c of cases) {
    const ids = [...(pgproIdsOfSquawkRule(c.rule) ?? []), ...(SAME_HAZARD_IN_PGPRO[c.rule] ?? [])];
    const base = { peerRule: c.rule, name: c.name, sql: c.sql, expected: c.expected };
    if (ids.length === 0) {
      out.push({ ...base, found: false, skipped: 'no pgpro rule' });
      continue;
    }
    const parsed = await parseMigrationSql(c.sql, 'case.sql');
    if (parsed.errors.length > 0) {
      out.push({ ...base, found: false, skipped: `pgpro cannot parse it: ${parsed.errors[0]!.message}` });
      continue;
    }
    const config: PgproConfig = {
      ...defaultConfig(),
      'postgres-version': Math.min(19, Math.max(10, c.pgVersion ?? 15)),
      ...(c.assumeInTransaction ? { 'assume-in-transaction': true } : {}),
    };
    const findings = lintMigrations([{ migration: migrationOf('case.sql', c.sql), parsed }], { config });
    out.push({ ...base, found: findings.some((f) => ids.includes(f.rule)) });
  }
  return out;
}

/** The cases of one rule file: each `#[test]` function's lint_errors/lint_ok calls, with the SQL they lint. */
function extractRustCases(text: string, ruleIds: Map<string, string>): SquawkCase[] {
  const ownRule = mostFrequent([...text.matchAll(/Rule::(\w+)/g)].map((m) => m[1]!));
  const cases: SquawkCase[] = [];
  for (const chunk of text.split('#[test]').slice(1)) {
    const name = /fn (\w+)\s*\(/.exec(chunk)?.[1] ?? '?';
    const literals = new Map<string, string>();
    for (const m of chunk.matchAll(/let (?:mut )?(\w+)\s*=\s*(r#*"|")/g)) {
      const value = rustString(chunk, m.index! + m[0].length - m[2]!.length);
      if (value !== undefined) literals.set(m[1]!, value);
    }
    const pg = /pg_version:\s*"(\d+)/.exec(chunk);
    const assume = /assume_in_transaction:\s*true/.test(chunk);
    for (const call of chunk.matchAll(/\b(lint_errors_with|lint_ok_with|lint_errors|lint_ok)\(\s*(&?\w+|r#*"|")/g)) {
      const arg = call[2]!;
      const sql = arg.startsWith('r') || arg === '"' ? rustString(chunk, call.index! + call[0].length - arg.length) : literals.get(arg.replace(/^&/, ''));
      if (sql === undefined) continue;
      const after = chunk.slice(call.index!, call.index! + 400);
      const rule = /Rule::(\w+)/.exec(after)?.[1] ?? ownRule;
      const id = rule ? ruleIds.get(rule) : undefined;
      if (!id) continue;
      cases.push({
        rule: id,
        name,
        sql,
        expected: call[1]!.startsWith('lint_errors'),
        ...(pg ? { pgVersion: Number(pg[1]) } : {}),
        ...(assume ? { assumeInTransaction: true } : {}),
      });
    }
  }
  return cases;
}

/** A Rust string literal starting at `at` (`r#"…"#`, `r"…"` or `"…"` with escapes). */
function rustString(text: string, at: number): string | undefined {
  const raw = /^r(#*)"/.exec(text.slice(at));
  if (raw) {
    const close = `"${raw[1]}`;
    const start = at + raw[0].length;
    const end = text.indexOf(close, start);
    return end < 0 ? undefined : text.slice(start, end);
  }
  if (text[at] !== '"') return undefined;
  let out = '';
  for (let i = at + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') return out;
    if (ch === '\\') {
      const next = text[++i]!;
      if (next === 'n') out += '\n';
      else if (next === 't') out += '\t';
      else if (next === '\n') while (/\s/.test(text[i + 1] ?? '')) i++;
      else out += next;
    } else out += ch;
  }
  return undefined;
}

function mostFrequent(items: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

// ---------------------------------------------------------------- eugene

/** eugene's hints and pgpro's rules that name the same hazard. */
const EUGENE_HINTS: Record<string, string[]> = {
  E1: ['constraint-missing-not-valid'],
  E2: ['adding-not-nullable-field'],
  E3: ['prefer-jsonb'],
  E4: ['statement-after-access-exclusive-lock', 'lock-held-across-statements'],
  E5: ['changing-column-type'],
  E6: ['require-concurrent-index-creation'],
  E7: ['disallowed-unique-constraint'],
  E8: ['adding-exclusion-constraint'],
  E9: ['require-timeout-settings', 'missing-lock-timeout'],
  E10: ['statement-after-access-exclusive-lock', 'lock-held-across-statements'],
  E11: ['adding-field-with-default'],
  E15: ['foreign-key-without-index', 'partial-index-on-foreign-key'],
  W12: ['lock-held-across-statements', 'statement-after-access-exclusive-lock'],
  W13: ['creating-enum'],
  W14: ['adding-serial-primary-key-field', 'full-table-scan'],
};

async function eugeneCases(checkout: string): Promise<Outcome[]> {
  const { review } = await import('../src/review.js');
  const { localChangeSet } = await import('../src/cli/input.js');
  const examples = join(checkout, 'eugene/examples');
  const out: Outcome[] = [];
  const only = rest.includes('--only') ? rest[rest.indexOf('--only') + 1]!.split(',') : undefined;
  for (const hint of readdirSync(examples).filter((d) => /^[EW]\d+$/.test(d) && (!only || only.includes(d))).sort()) {
    for (const kind of rest.includes('--bad-only') ? (['bad'] as const) : (['bad', 'good'] as const)) {
      let text: string;
      try {
        text = readFileSync(join(examples, hint, `${kind}.sql`), 'utf8');
      } catch {
        continue;
      }
      const scripts = text.split(/^-- \d+\.sql\s*$/m).map((s) => s.trim()).filter(Boolean);
      const dir = mkdtempSync(join(tmpdir(), 'pgpro-peer-'));
      try {
        mkdirSync(join(dir, 'migrations'));
        const names = scripts.map((_, i) => `migrations/${String(i + 1).padStart(4, '0')}_${hint.toLowerCase()}.sql`);
        // eugene runs each script in a transaction, except one that must run outside it (CONCURRENTLY).
        scripts.forEach((sql, i) => writeFileSync(join(dir, names[i]!), /\bconcurrently\b/i.test(sql) ? `${sql}\n` : `BEGIN;\n${sql}\nCOMMIT;\n`));
        const config: PgproConfig = { ...defaultConfig(), agent: { ...defaultConfig().agent, enabled: false } };
        const { change } = await localChangeSet(dir, [names[names.length - 1]!], undefined);
        const result = await review(change, { config, agent: 'off' }, {});
        const ids = EUGENE_HINTS[hint] ?? [];
        const hits = result.findings.filter((f) => ids.includes(f.rule));
        out.push({
          peerRule: hint,
          name: kind,
          sql: `${text}\n-- pgpro: ${result.findings.map((f) => `${f.rule}(${f.severity})@${f.line}`).join(', ')}\n-- notes: ${result.notes.join(' | ')}`,
          expected: kind === 'bad',
          found: hits.length > 0,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- shared

function migrationOf(path: string, sql: string): MigrationFile {
  return { path, convention: 'plain', version: '1', name: 'case', kind: 'versioned', sql, lineOffset: 0, inTransaction: false, transactionReason: '' };
}

function report(all: Outcome[]): void {
  const judged = all.filter((o) => !o.skipped);
  const byRule = new Map<string, Outcome[]>();
  for (const o of judged) byRule.set(o.peerRule, [...(byRule.get(o.peerRule) ?? []), o]);
  const line = (label: string, list: Outcome[]) => {
    const agree = list.filter((o) => o.found === o.expected).length;
    const bad = list.filter((o) => o.expected);
    const caught = bad.filter((o) => o.found).length;
    const good = list.filter((o) => !o.expected);
    const clean = good.filter((o) => !o.found).length;
    return `${label.padEnd(46)} ${String(agree).padStart(4)}/${String(list.length).padEnd(4)} ${pct(agree, list.length).padStart(7)}   flagged ${caught}/${bad.length}, quiet ${clean}/${good.length}`;
  };
  console.log(`${mode} cases: ${all.length}, judged ${judged.length}, skipped ${all.length - judged.length}`);
  for (const [reason, n] of countBy(all.filter((o) => o.skipped).map((o) => (o.skipped!.startsWith('pgpro cannot parse') ? 'pgpro cannot parse' : o.skipped!)))) {
    console.log(`  skipped (${reason}): ${n}`);
  }
  for (const [rule, list] of [...byRule].sort()) console.log(line(rule, list));
  console.log(line('TOTAL', judged));
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    const lines: string[] = [];
    for (const o of judged.filter((x) => x.found !== x.expected)) {
      lines.push(`### ${o.peerRule} ${o.name}: peer ${o.expected ? 'flags' : 'passes'}, pgpro ${o.found ? 'flags' : 'passes'}\n${o.sql.trim()}\n`);
    }
    writeFileSync(join(outDir, `${mode}-disagreements.md`), lines.join('\n'));
    console.log(`disagreements: ${join(outDir, `${mode}-disagreements.md`)}`);
  }
}

function pct(n: number, of: number): string {
  return of === 0 ? '-' : `${((100 * n) / of).toFixed(1)}%`;
}

function countBy(items: string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m];
}

report(mode === 'squawk' ? await squawkCases(root) : await eugeneCases(root));
