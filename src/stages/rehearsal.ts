// Stage 3f: rehearsals (src/rehearsal/). Before the apply, the sandbox's state is saved; after it, each
// new migration that can be left half done is stopped after each statement that commits on its own and
// run again, in sandboxes started from that state. Within rehearsal.time-budget-seconds and the review's
// deadline; what does not fit is a note.
import { setMaxListeners } from 'node:events';
import { engineSnapshots } from '../sandbox/engine.js';
import { prepareMigration, type Sandbox } from '../sandbox/index.js';
import { retryPlan } from '../rehearsal/points.js';
import { rehearseRetry } from '../rehearsal/retry.js';
import { retryFindings, retryNotes } from '../rehearsal/retry-findings.js';
import { sandboxOpener } from './history.js';
import { budgetLeft, messageOf, progress, timed, type ReviewState, type ReviewedMigration } from './state.js';

/** The sandbox's state before the first new migration (history and synthetic rows), per review. */
const starts = new WeakMap<ReviewState, Uint8Array>();

function wantsRetry(state: ReviewState): ReviewedMigration[] {
  if (!state.config.rehearsal.retry) return [];
  return state.reviewable.filter((item) => retryPlan(item.migration.inTransaction, item.parsed.statements).points.length > 0);
}

/** Before the apply: save the state the rehearsals start from, when some rehearsal will need it. */
export async function rehearsalStartStage(state: ReviewState): Promise<void> {
  if (!engineSnapshots(state.config) || wantsRetry(state).length === 0) return;
  // The same state as the fix proofs' starting point: one snapshot serves both.
  const tarball = state.fixPoint ?? await timed(state, 'rehearsal', () => state.sandbox!.snapshot()).catch((error: unknown) => {
    state.notes.push(`Rehearsals skipped: the sandbox's state could not be saved (${messageOf(error)}).`);
    return undefined;
  });
  if (tarball) starts.set(state, tarball);
}

export async function rehearsalStage(state: ReviewState): Promise<void> {
  if (!state.config.rehearsal.retry || state.reviewable.length === 0) return;
  const applied = (item: ReviewedMigration) => state.statuses.get(item.migration.path)?.status === 'applied';
  const safe = state.reviewable.filter((item) => applied(item) && item.parsed.statements.length > 0 && retryPlan(item.migration.inTransaction, item.parsed.statements).mode === 'one-transaction');
  if (safe.length > 0) {
    const names = safe.map((item) => item.migration.path);
    state.notes.push(
      `Retry rehearsal: ${names.length === 1 ? `${names[0]} runs` : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} run`} in one transaction, so a failure anywhere rolls ${names.length === 1 ? 'it' : 'the file'} back and running it again is safe.`,
    );
  }
  const subjects = wantsRetry(state).filter(applied);
  if (subjects.length === 0) return;
  if (!engineSnapshots(state.config)) {
    state.notes.push(`Retry rehearsal skipped for ${subjects.map((s) => s.migration.path).join(', ')}: it needs sandbox snapshots, which the server engine does not take.`);
    return;
  }
  const start = starts.get(state);
  if (!start) return;
  const budgetMs = budgetLeft(state, state.config.rehearsal['time-budget-seconds'] * 1000);
  const controller = new AbortController();
  setMaxListeners(64, controller.signal);
  const stop = () => controller.abort();
  const timer = setTimeout(stop, budgetMs);
  state.options.signal?.addEventListener('abort', stop, { once: true });
  if (state.options.signal?.aborted) stop();
  const open = sandboxOpener(state);
  const starting = fileStarts(state, start, (tarball) => open({ ...state.sandboxOptions!, tarball }));
  try {
    await timed(state, 'rehearsal', async () => {
      for (const item of subjects) {
        if (controller.signal.aborted) {
          state.notes.push(`Retry rehearsal of ${item.migration.path} skipped: rehearsal.time-budget-seconds or the review deadline was reached.`);
          continue;
        }
        progress(state, 'rehearsal', `Rehearsing a failure halfway through ${item.migration.path}`);
        const index = state.reviewable.indexOf(item);
        const file = { path: item.migration.path, inTransaction: item.migration.inTransaction, statements: item.parsed.statements };
        const rehearsal = await rehearseRetry(file, {
          open: async () => open({ ...state.sandboxOptions!, tarball: await starting(index) }),
          signal: controller.signal,
        });
        const findings = retryFindings(file, rehearsal);
        state.findings.push(...findings);
        state.notes.push(...retryNotes(file, rehearsal, findings.length));
      }
    });
  } catch (error) {
    state.notes.push(`Retry rehearsal did not complete: ${messageOf(error)}`);
  } finally {
    clearTimeout(timer);
    state.options.signal?.removeEventListener('abort', stop);
  }
}

/** The state before new migration `index`: the saved start with the new migrations before it replayed. */
function fileStarts(state: ReviewState, start: Uint8Array, open: (tarball: Uint8Array) => Promise<Sandbox>): (index: number) => Promise<Uint8Array> {
  const made = new Map<number, Promise<Uint8Array>>([[0, Promise.resolve(start)]]);
  const before = (index: number): Promise<Uint8Array> => {
    let found = made.get(index);
    if (!found) {
      found = (async () => {
        const previous = await before(index - 1);
        const item = state.reviewable[index - 1]!;
        const db = await open(previous);
        try {
          const [run] = await db.replay([prepareMigration(item.migration.path, item.migration.inTransaction, item.parsed.statements)]);
          if (run?.status.status !== 'applied') throw new Error(`the earlier migration ${item.migration.path} did not apply in the rehearsal sandbox`);
          return await db.snapshot();
        } finally {
          await db.close().catch(() => undefined);
        }
      })();
      made.set(index, found);
    }
    return found;
  };
  return before;
}
