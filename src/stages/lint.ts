// Stage 4: the static rules over the parsed migrations and the catalog before, and what the trace
// observed. The merge step (src/hazards/) later keeps one finding per hazard.
import { lintMigrations } from '../rules/lib/lint.js';
import { traceFindings } from '../trace/index.js';
import type { Finding } from '../types.js';
import { timed, type ReviewState } from './state.js';

/** The static rules' findings of a review, by the catalog before they were read on. */
const staticLint = new WeakMap<ReviewState, { catalog: ReviewState['catalogBefore']; findings: Finding[] }>();

/**
 * The static rules over the parsed migrations and the catalog before: made once per review (the fix
 * point reads them ahead of this stage to know whether a fix will be proven), again if the catalog
 * before was read anew. Callers that settle them work on a copy.
 */
export function staticLintFindings(state: ReviewState): Finding[] {
  const kept = staticLint.get(state);
  if (kept && kept.catalog === state.catalogBefore) return kept.findings;
  const findings = lintMigrations(state.freshParsed, { config: state.config, catalog: state.catalogBefore });
  staticLint.set(state, { catalog: state.catalogBefore, findings });
  return findings;
}

export async function lintStage(state: ReviewState): Promise<void> {
  // Files over a limit are not applied but still linted: a hazard hidden in a huge file is still seen.
  const lint = await timed(state, 'lint', async () => staticLintFindings(state));
  const traced = await timed(state, 'trace', async () =>
    state.reviewable.flatMap((item) => {
      const run = state.runs.get(item.migration.path);
      if (!run || !state.catalogBefore) return [];
      return traceFindings({
        file: item.migration.path,
        statements: item.parsed.statements,
        outcomes: run.outcomes,
        inTransaction: item.migration.inTransaction,
        catalogBefore: state.catalogBefore,
      });
    }),
  );
  state.findings.push(...lint, ...traced);
}

/** Lint alone, when the sandbox failed before the lint stage ran. */
export function lintWithoutSandbox(state: ReviewState): void {
  if (state.findings.some((f) => f.source === 'lint')) return;
  state.findings.push(...staticLintFindings(state));
}
