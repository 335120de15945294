// Stage 4: the static rules over the parsed migrations and the catalog before, and what the trace
// observed. The merge step (src/hazards/) later keeps one finding per hazard.
import { lintMigrations } from '../rules/lib/lint.js';
import { traceFindings } from '../trace/index.js';
import { timed, type ReviewState } from './state.js';

export async function lintStage(state: ReviewState): Promise<void> {
  // Files over a limit are not applied but still linted: a hazard hidden in a huge file is still seen.
  const lint = await timed(state, 'lint', async () => lintMigrations(state.freshParsed, { config: state.config, catalog: state.catalogBefore }));
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
  state.findings.push(...lintMigrations(state.freshParsed, { config: state.config, catalog: state.catalogBefore }));
}
