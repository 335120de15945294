// The walk over every fix pgpro can emit: each rule page's flagged examples (and their multi-line,
// quoted-identifier and transactional variants) are applied and reviewed by lint and trace as the
// review does, merged as the review merges them, and every fix with SQL goes through the fix proof.
// A fix that does not apply, leaves its hazard, brings a new finding or changes what the statement
// meant fails the walk. Rules are found through their pages, so a new rule's fixes are walked as soon
// as its page has a flagged example. One proof sandbox serves every proof.
//
// Every doc example's fixes are proven. Its variants are proven where they can show something the doc
// example does not (provenCase): a run costs a sandbox restore or two, and most variants would run the
// doc example's code path again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { settleFindings } from '../../src/hazards/index.js';
import { createFixProver, createSandboxPool, type SandboxPool } from '../../src/proof/index.js';
import { lintMigrations } from '../../src/rules/lib/lint.js';
import { createSandbox, type Sandbox } from '../../src/sandbox/index.js';
import { loadParser, parseMigrationSql } from '../../src/sql/parse.js';
import { proveReviewFixes } from '../../src/stages/verify-fix.js';
import type { CatalogSnapshot, Finding, FixProofReason, MigrationFile } from '../../src/types.js';
import { fixCases, HISTORY, PAGE_SETUP, quoteIdentifiers, type FixCase } from './fix-cases.js';

await loadParser();

// Generous: a statement on a machine busy with other work must not look like a runaway one.
const options = { statementTimeoutMs: 120_000, memoryMb: 2048 };
const config = defaultConfig();
const FILE = 'db/migrations/0002_example.sql';

/** What the walk rejects: the fix is wrong, not merely unproven. */
const REFUTED: readonly FixProofReason[] = ['unparsable', 'does-not-apply', 'breaks-later-statement', 'hazard-remains', 'new-finding', 'schema-differs', 'data-differs'];

interface Walked {
  page: string;
  variant: FixCase['variant'];
  rule: string;
  line: number;
  reason: FixProofReason;
  detail?: string;
  sql: string;
}

const cases = fixCases();
const walked: Walked[] = [];
let pool: SandboxPool;

interface Start {
  tarball: Uint8Array;
  catalog: CatalogSnapshot;
}
const starts = new Map<string, Promise<Start>>();

function open(tarball?: Uint8Array): Promise<Sandbox> {
  return createSandbox({ ...options, ...(tarball ? { tarball } : {}) });
}

/** The state before an example: the history (quoted for the quoted variant) and its page's setup. */
function startFor(c: FixCase): Promise<Start> {
  const quoted = c.variant === 'multi-line, quoted';
  const setup = PAGE_SETUP[c.page] ?? '';
  const key = `${quoted}\0${setup}`;
  let start = starts.get(key);
  if (!start) {
    start = (async () => {
      const db = await open();
      try {
        await db.exec(quoted ? quoteIdentifiers(HISTORY) : HISTORY);
        if (setup) await db.exec(quoted ? quoteIdentifiers(setup) : setup);
        return { tarball: await db.snapshot(), catalog: await db.catalog() };
      } finally {
        await db.close();
      }
    })();
    starts.set(key, start);
  }
  return start;
}

/** Per example (page and SQL): the doc variant's statements, lint rules and fix rules. */
const docLint = new Map<string, string>();

/** What a case's lint says, as a key: its rules, and which of them offer SQL. */
function lintKey(statements: number, lint: Finding[]): string {
  const rules = [...new Set(lint.map((f) => f.rule))].sort().join(',');
  const fixes = [...new Set(lint.filter((f) => f.fix?.sql).map((f) => f.rule))].sort().join(',');
  return `${statements}|${rules}|${fixes}`;
}

/** Statements a transaction block refuses, in the example or in a fix of it. */
const NOT_IN_TRANSACTION = /\b(concurrently|vacuum|alter\s+type|alter\s+system|database)\b/i;
const quotedFixSets = new Set<string>();

/**
 * Whether a case is walked: always when it needs no sandbox (its fixes get their verdict without
 * one), and every doc example. The transaction variant of an example runs in an explicit transaction
 * what its doc variant runs in the statement's own: the same run when the file has one statement that
 * a transaction block accepts and lint says the same of it; proven otherwise (several statements: locks held across
 * them; CONCURRENTLY and the like, in the example or a fix: refused in a block). The quoted variant
 * checks that a rule's fix SQL keeps quoted mixed-case names and spans the lines it replaces: proven
 * once for each set of fix rules its examples offer.
 */
function provenCase(c: FixCase, statements: number, lint: Finding[]): boolean {
  const example = `${c.page}\0${c.sql}`;
  const key = lintKey(statements, lint);
  if (c.variant === 'doc') docLint.set(example, key);
  if (c.variant === 'doc' || !lint.some(replacesItsLines)) return true; // the latter without a sandbox
  if (c.variant === 'transaction') {
    const special = NOT_IN_TRANSACTION.test(c.sql) || lint.some((f) => NOT_IN_TRANSACTION.test(f.fix?.sql ?? ''));
    return statements > 1 || special || docLint.get(example) !== key;
  }
  const fixes = key.split('|')[2]!;
  if (quotedFixSets.has(fixes)) return false;
  quotedFixSets.add(fixes);
  return true;
}

async function walk(c: FixCase): Promise<void> {
  const migration: MigrationFile = {
    path: FILE, convention: 'plain', version: '2', name: 'example', kind: 'versioned', sql: c.sql, lineOffset: 0,
    inTransaction: c.inTransaction, transactionReason: c.inTransaction ? 'the tool runs each file in one transaction' : 'autocommit',
  };
  const parsed = await parseMigrationSql(c.sql, FILE);
  if (parsed.errors.length > 0) return; // a page's example of a syntax error
  const files = [{ migration, parsed }];
  const start = await startFor(c);
  const lint = lintMigrations(files, { config, catalog: start.catalog });
  // Fixes that replace their lines are proven in a sandbox; a file whose lint offers none is not run
  // (the trace's own fixes, CONCURRENTLY for an index build and the lock_timeout preamble, come with
  // lint fixes of the same statements), and its other fixes get their verdict without one.
  const settledLint = settleFindings(structuredClone(lint), { files: [parsed], config });
  if (!provenCase(c, parsed.statements.length, settledLint)) return;
  if (!settledLint.some(replacesItsLines)) {
    const offered = settledLint.filter((f) => f.fix?.sql).map((f) => ({ finding: f, sql: f.fix!.sql! }));
    await proveReviewFixes(settledLint, undefined, { budgetMs: 0 });
    record(c, offered);
    return;
  }
  const prover = createFixProver({ config, files, catalogBefore: start.catalog, start: start.tarball, open, pool });
  // The review the proof itself runs of the original (lint and trace), merged as the review merges it.
  const original = await prover.originalFindings(FILE, { budgetMs: 600_000 });
  if (!original) throw new Error(`${c.page} (${c.variant}): the original could not be reviewed`);
  const findings = settleFindings(structuredClone(original), { files: [parsed], config });
  const offered = findings.filter((f) => f.fix?.sql).map((f) => ({ finding: f, sql: f.fix!.sql! }));
  await proveReviewFixes(findings, prover, { budgetMs: 600_000 });
  record(c, offered);
}

function record(c: FixCase, offered: { finding: Finding; sql: string }[]): void {
  for (const { finding, sql } of offered) {
    const proof = finding.fix!.proof!;
    walked.push({ page: c.page, variant: c.variant, rule: finding.rule, line: finding.line, reason: proof.reason, ...(proof.detail ? { detail: proof.detail } : {}), sql });
  }
}

/** SQL that replaces the finding's lines: what the proof checks in place. */
function replacesItsLines(finding: Finding): boolean {
  return Boolean(finding.fix?.sql && (finding.fix.replacesStatement || (finding.occurrences?.length ?? 0) > 1));
}

beforeAll(async () => {
  pool = createSandboxPool(1);
  for (const c of cases) await walk(c);
}, 1_800_000);

afterAll(() => pool?.close());

const pages = [...new Set(cases.map((c) => c.page))];

describe('every fix pgpro emits, walked through the fix proof', () => {
  it.each(pages)('%s: no fix of its examples fails, leaves its hazard or brings a new finding', (page) => {
    const refuted = walked.filter((w) => w.page === page && REFUTED.includes(w.reason));
    expect(refuted).toEqual([]);
  });

  it('walks real fixes: proven drop-ins in every autocommit variant, and the lock_timeout preamble', () => {
    const proven = new Set(walked.filter((w) => w.reason === 'verified').map((w) => `${w.rule} / ${w.variant}`));
    for (const rule of ['require-concurrent-index-creation', 'constraint-missing-not-valid']) {
      for (const variant of ['doc', 'multi-line, quoted'] as const) expect(proven).toContain(`${rule} / ${variant}`);
    }
    expect([...proven].some((p) => p.startsWith('require-timeout-settings / '))).toBe(true);
  });
});
