// The stage side of the fix proof (src/proof): which findings carry a fix to prove, and what a verdict
// changes on them. A fix is shown as verified, or as a drop-in replacement (a suggestion, `--fix`),
// only when its proof passed; every other verdict keeps its reason in `fix.proof`.
import { createFixProver, type FixProver, type ProofFile } from '../proof/index.js';
import type { PgproConfig } from '../config/schema.js';
import type { Sandbox } from '../sandbox/index.js';
import type { CatalogSnapshot, Finding } from '../types.js';

export interface FixProofSetup {
  config: PgproConfig;
  /** The new migrations the review applied, in order. */
  fresh: readonly ProofFile[];
  catalogBefore: CatalogSnapshot;
  /** Snapshot of the sandbox before the first new migration, synthetic rows included. */
  start: Uint8Array;
  open(tarball: Uint8Array): Promise<Sandbox>;
}

/** A prover over the review's sandbox snapshot. */
export function fixProver(setup: FixProofSetup): FixProver {
  return createFixProver({
    config: setup.config,
    files: setup.fresh,
    catalogBefore: setup.catalogBefore,
    start: setup.start,
    open: setup.open,
  });
}

/**
 * Proves the SQL fix of each finding (in parallel, within `budgetMs`) and records the verdict:
 * `fix.proof`, `fix.verified`, and `fix.replacesStatement` only for a proven fix.
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
  subjects.forEach((finding, i) => {
    const proof = verdicts[i]!;
    finding.fix!.proof = proof;
    finding.fix!.verified = proof.verified;
    finding.fix!.replacesStatement = proof.verified;
  });
}
