// The stage side of the fix proof (src/proof): which findings carry a fix to prove, and what a verdict
// changes on them. A fix is shown as verified, or as a drop-in replacement (a suggestion, `--fix`),
// only when its proof passed; every other verdict keeps its reason in `fix.proof`. A fix the proof
// refuted (it fails, leaves its hazard, brings a new finding, changes the schema or rows) loses its SQL
// to `fix.proof.sql`: it is not shown at all, only its title and steps.
import { createFixProver, type AppliedFile, type FileStarts, type FixProver, type ProofFile, type SandboxPool } from '../proof/index.js';
import type { PgproConfig } from '../config/schema.js';
import type { MigrationRun, Sandbox } from '../sandbox/index.js';
import { tableChecksums, writtenData } from '../proof/data.js';
import { schemaObjects } from '../trace/index.js';
import type { CatalogSnapshot, Finding, FixProof, FixProofReason, MigrationFile, ParsedFile } from '../types.js';

export interface FixProofSetup {
  config: PgproConfig;
  /** The new migrations the review applied, in order. */
  fresh: readonly ProofFile[];
  catalogBefore: CatalogSnapshot;
  /** Snapshot of the sandbox before the first new migration, synthetic rows included. */
  start: Uint8Array;
  open(tarball: Uint8Array): Promise<Sandbox>;
  /** The sandboxes and file starts shared with the rehearsals. */
  pool?: SandboxPool;
  starts?: FileStarts;
  applied?: (path: string) => AppliedFile | undefined;
  /** The relations (oids) at `start`, which every traced proof run counts as pre-existing. */
  preexisting?: ReadonlySet<number>;
}

/** A prover over the review's sandbox snapshot. */
export function fixProver(setup: FixProofSetup): FixProver {
  return createFixProver({
    config: setup.config,
    files: setup.fresh,
    catalogBefore: setup.catalogBefore,
    start: setup.start,
    open: setup.open,
    ...(setup.pool ? { pool: setup.pool } : {}),
    ...(setup.starts ? { starts: setup.starts } : {}),
    ...(setup.applied ? { applied: setup.applied } : {}),
    ...(setup.preexisting ? { preexisting: setup.preexisting } : {}),
  });
}

/**
 * What the fix proofs compare a file's fixes with, taken from the review's own apply right after the
 * file (before its down migration runs): the schema, and the rows of the tables the file writes. Only
 * for a traced run that applied; a failed run is kept as it is (where it failed is the reference).
 */
export async function rememberApplied(db: Sandbox, item: { migration: MigrationFile; parsed: ParsedFile }, run: MigrationRun): Promise<AppliedFile | undefined> {
  if (db.stopped || (run.status.status !== 'applied' && run.status.status !== 'failed')) return undefined;
  if (run.status.status === 'failed') return { run, written: writtenData(item.parsed.statements) };
  const written = writtenData(item.parsed.statements);
  const schema = await schemaObjects(db);
  const data = written.tables.size > 0 ? await tableChecksums(db, written) : undefined;
  return { run, schema, ...(data ? { data } : {}), written };
}

/** How a fix's reason reads after its title. */
export const PROOF_REASON_TEXT: Record<FixProofReason, string> = {
  verified: 'verified',
  unparsable: 'the SQL does not parse',
  unchanged: 'it is the statement as it is',
  'not-a-statement': 'the lines it replaces are not whole statements of the migration',
  'not-in-place': 'it is not a replacement of these lines',
  'does-not-apply': 'it fails in the sandbox',
  'breaks-later-statement': 'a later statement of the file fails after it',
  'hazard-remains': 'the problem remains',
  'new-finding': 'it brings a new warning',
  'schema-differs': 'the schema afterwards differs from what the original intended',
  'data-differs': "the rows afterwards differ from the original's",
  'data-not-exercised': "the sandbox's rows could not show whether it writes what the original does",
  'original-not-applied': 'the original file did not apply in the sandbox',
  budget: 'the proof ran out of time',
  unavailable: 'it could not be checked in a sandbox',
};

/** Verdicts that show the SQL is wrong, not merely unproven: it is withdrawn rather than shown. */
const REFUTED: ReadonlySet<FixProofReason> = new Set([
  'unparsable',
  'does-not-apply',
  'breaks-later-statement',
  'hazard-remains',
  'new-finding',
  'schema-differs',
  'data-differs',
]);

/** The fix's SQL replaces the finding's lines (so a proof in place is its proof). */
function replacesItsLines(finding: Finding): boolean {
  // A grouped finding's SQL replaces its first statement: proven there, shown, never one click.
  return finding.fix?.replacesStatement === true || (finding.occurrences?.length ?? 0) > 1;
}

/**
 * Records a verdict on a finding's fix: `fix.proof`, `fix.verified`, `fix.replacesStatement` (only a
 * proven fix that replaces exactly the finding's lines stays a drop-in). An unproven fix says why in
 * its title; a refuted one also loses its SQL (kept in `fix.proof.sql`).
 */
export function recordProof(finding: Finding, proof: FixProof, options: { dropIn: boolean }): void {
  const fix = finding.fix!;
  fix.verified = proof.verified;
  fix.replacesStatement = proof.verified && options.dropIn;
  if (proof.verified) {
    fix.proof = proof;
    return;
  }
  if (REFUTED.has(proof.reason) && fix.sql) {
    fix.proof = { ...proof, sql: fix.sql };
    delete fix.sql;
  } else {
    fix.proof = proof;
  }
  fix.title = `${fix.title} (not verified: ${PROOF_REASON_TEXT[proof.reason]})`;
}

/**
 * Proves the SQL fix of each finding (in parallel, within `budgetMs`) and records the verdict. Each
 * fix is proven in place, as a suggestion would commit it.
 */
export async function proveFindingFixes(
  findings: readonly Finding[],
  prover: FixProver,
  options: { budgetMs: number; signal?: AbortSignal },
): Promise<void> {
  const subjects = findings.filter((f) => f.fix?.sql);
  if (subjects.length === 0) return;
  const verdicts = await prover.prove(
    subjects.map((f) => ({ file: f.file, line: f.line, endLine: f.endLine, rule: f.rule, sql: f.fix!.sql! })),
    options,
  );
  subjects.forEach((finding, i) => recordProof(finding, verdicts[i]!, { dropIn: true }));
}

/** Why no proof ran for fixes when the review has no prover. */
export const NO_PROVER: FixProof = {
  verified: false,
  reason: 'unavailable',
  detail: 'no sandbox snapshot to prove fixes in (engine without snapshots, the sandbox stopped, or its state could not be saved)',
};

/**
 * The review's own fixes (rules, trace, EXPLAIN): every finding with SQL not proven yet. SQL that
 * replaces the finding's lines is proven in place; SQL meant for somewhere else (its own migration, a
 * job outside the migration) cannot be, and says so.
 */
export async function proveReviewFixes(
  findings: readonly Finding[],
  prover: FixProver | undefined,
  options: { budgetMs: number; signal?: AbortSignal },
): Promise<void> {
  const pending = findings.filter((f) => f.fix?.sql && !f.fix.proof);
  const inPlace: Finding[] = [];
  for (const finding of pending) {
    if (replacesItsLines(finding)) inPlace.push(finding);
    else {
      recordProof(finding, {
        verified: false,
        reason: 'not-in-place',
        detail: 'the SQL is meant for another place (its own migration, or a job outside the migration), so it was not proven here',
      }, { dropIn: false });
    }
  }
  if (inPlace.length === 0) return;
  if (!prover) {
    for (const finding of inPlace) recordProof(finding, NO_PROVER, { dropIn: false });
    return;
  }
  const verdicts = await prover.prove(
    inPlace.map((f) => ({ file: f.file, line: f.line, endLine: f.endLine, rule: f.rule, sql: f.fix!.sql! })),
    options,
  );
  inPlace.forEach((finding, i) => recordProof(finding, verdicts[i]!, { dropIn: finding.fix!.replacesStatement === true }));
}
