// The App under hostile pull requests, as a real server process: a PR whose migration loops forever,
// one whose migration is a memory bomb, and a normal PR at the same time. The bomb fails on its own
// sandbox's memory bound and the normal one completes as it would alone while the loop still runs,
// /healthz answers throughout, and a SIGTERM ends the process cleanly with the looping review's check
// closed as cancelled (with re-run advice) instead of left in progress.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';
import { BASE, baseEnv, deliver, INIT, INIT_SQL, openedPayload, startServer, until, type Server } from './harness.js';

const LOOP = 'db/migrations/101_loop.sql';
const NORMAL = 'db/migrations/102_index.sql';
const BOMB = 'db/migrations/103_bomb.sql';
const sha = (n: number) => n.toString(16).padStart(40, 'c');
/** Waits are for events; this bound only turns a hang into a failure with the log, on any machine. */
const EVENTUALLY = 500_000;

let fake: FakeGitHub;
let server: Server;
const logs = () => server.logs.join('');

beforeAll(async () => {
  const loopSql = 'DO $$ BEGIN LOOP END LOOP; END $$;\n';
  const normalSql = 'CREATE INDEX orders_customer_idx ON orders (customer_id);\n';
  const bombSql = "SELECT length(string_agg(repeat('x', 1000), '')) FROM generate_series(1, 2000000);\n";
  fake = await startFakeGitHub({
    owner: 'acme',
    repo: 'shop',
    // The loop can only be ended by the process: no statement deadline within the test's time.
    // Each sandbox may hold 512 MB of its own, whatever the others hold.
    config: 'sandbox:\n  statement-timeout-seconds: 3600\n  memory-mb: 512\n',
    commits: {
      [BASE]: { 'README.md': '# shop\n', [INIT]: INIT_SQL },
      [sha(1)]: { 'README.md': '# shop\n', [INIT]: INIT_SQL, [LOOP]: loopSql },
      [sha(2)]: { 'README.md': '# shop\n', [INIT]: INIT_SQL, [NORMAL]: normalSql },
      [sha(3)]: { 'README.md': '# shop\n', [INIT]: INIT_SQL, [BOMB]: bombSql },
    },
    pulls: [
      { number: 1, headSha: sha(1), baseSha: BASE, files: [{ filename: LOOP, status: 'added', patch: `@@ -0,0 +1 @@\n+${loopSql.trimEnd()}` }] },
      { number: 2, headSha: sha(2), baseSha: BASE, files: [{ filename: NORMAL, status: 'added', patch: `@@ -0,0 +1 @@\n+${normalSql.trimEnd()}` }] },
      { number: 3, headSha: sha(3), baseSha: BASE, files: [{ filename: BOMB, status: 'added', patch: `@@ -0,0 +1 @@\n+${bombSql.trimEnd()}` }] },
    ],
  });
  // No spacing between writes to the fake GitHub (GitHub asks 1 s; nothing here is about it).
  server = await startServer(baseEnv(fake, { PGPRO_CONCURRENCY: '3', PGPRO_SHUTDOWN_GRACE_SECONDS: '1', PGPRO_GITHUB_WRITE_SPACING_MS: '0' }));
});

afterAll(async () => {
  await server?.stop();
  await fake?.close();
});

const checkOf = (n: number) => fake.checkRuns.find((r) => r.head_sha === sha(n));

describe('a looping pull request, a memory bomb and a normal one, through the running App', () => {
  it('completes the normal review and fails the bomb on its own bound while the loop runs, answers /healthz throughout, and cancels the loop on SIGTERM', async () => {
    await deliver(server.url, 'pull_request', openedPayload(1));
    // The loop's statement is running once its check says it applies the file.
    await until(
      'the looping migration to be applied',
      () => fake.requests.find((r) => r.method === 'PATCH' && JSON.stringify(r.body).includes(`Applying ${LOOP}`)),
      EVENTUALLY,
      logs,
    );

    let probing = true;
    const probes: boolean[] = [];
    const prober = (async () => {
      while (probing) {
        probes.push(await fetch(`${server.url}/healthz`).then((r) => r.ok, () => false));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await deliver(server.url, 'pull_request', openedPayload(3));
    await deliver(server.url, 'pull_request', openedPayload(2));
    // Published in full: the check completes first, the summary comment follows.
    await until('the normal review to be published', () => fake.comments.find((c) => c.issue === 2), EVENTUALLY, logs);
    expect(checkOf(2)?.status).toBe('completed');
    expect(checkOf(2)?.conclusion).not.toBe('cancelled');
    expect(JSON.stringify(checkOf(2))).not.toMatch(/memory-mb|apply-error/);
    // The bomb failed on its own bound, and said which setting bounds it.
    await until('the bomb review to be published', () => fake.comments.find((c) => c.issue === 3), EVENTUALLY, logs);
    expect(checkOf(3)).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(JSON.stringify(checkOf(3))).toContain("sandbox.memory-mb");
    // Still looping: only the process can end it.
    expect(checkOf(1)?.status).toBe('in_progress');
    const answeredMeanwhile = probes.length;
    probing = false;
    await prober;
    expect(answeredMeanwhile).toBeGreaterThan(0);
    expect(probes.every(Boolean)).toBe(true);

    // SIGTERM: the grace period passes, the loop is stopped, its check is closed, the process exits 0.
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(checkOf(1)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
    expect(checkOf(1)!.output?.title).toBe('Stopped: pgpro restarted');
    expect(checkOf(1)!.output?.summary).toMatch(/Re-run this check/);
    expect(logs()).toMatch(/SIGTERM received/);
  }, 600_000);
});
