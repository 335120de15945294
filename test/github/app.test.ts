// Fixture webhook → probot.receive → named nock scopes; the exact bodies sent to GitHub are asserted and
// every mock must be used.
import nock from 'nock';
import type { Probot } from 'probot';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pgproApp } from '../../src/github/app.js';
import { HELP_TEXT } from '../../src/github/commands.js';
import { InProcessQueue } from '../../src/github/queue.js';
import { checkRunOutput } from '../../src/report/check-run.js';
import { readFingerprints } from '../../src/report/markdown.js';
import type { review as reviewFn, ReviewOptions } from '../../src/review.js';
import type { ChangeSet, ReviewResult } from '../../src/types.js';
import { API, fixture, INSTALLATION_ID, RecordingLog, testProbot } from './helpers.js';

const NOW = Date.parse('2025-03-04T05:06:07.000Z');
const TIMESTAMP = '2025-03-04T05:06:07.000Z';
const HEAD = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const HEAD2 = 'c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2';
const BASE = 'b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0';
const MIGRATION = 'db/migrations/002_add_note.sql';
const PATCH = '@@ -0,0 +1,2 @@\n+-- add a note\n+ALTER TABLE orders ADD COLUMN note text NOT NULL DEFAULT now()::text;';

function resultWithFinding(): ReviewResult {
  return {
    version: 1,
    conclusion: 'failure',
    migrations: [
      { file: 'db/migrations/001_init.sql', status: 'skipped', statements: 1, durationMs: 3 },
      { file: MIGRATION, status: 'applied', statements: 1, durationMs: 9 },
    ],
    findings: [
      {
        rule: 'adding-field-with-default',
        severity: 'error',
        source: 'trace',
        file: MIGRATION,
        line: 2,
        endLine: 2,
        message: 'Adding column orders.note with a volatile default rewrites orders under an ACCESS EXCLUSIVE lock.',
        evidence: 'relfilenode of orders changed; AccessExclusiveLock on orders',
        fingerprint: 'fp-note-default',
      },
    ],
    notes: [],
    stats: { migrationsTotal: 2, migrationsNew: 1, statements: 2, durationMs: 40, stages: {} },
  };
}

interface ReviewCall {
  change: ChangeSet;
  options: ReviewOptions;
}

/** Stands in for the engine in these tests: records its calls and answers with a fixed result. */
function fakeReview(answer: (call: ReviewCall) => Promise<ReviewResult> = async () => resultWithFinding()) {
  const calls: ReviewCall[] = [];
  const fn = (async (change: ChangeSet, options: ReviewOptions) => {
    const call = { change, options };
    calls.push(call);
    return answer(call);
  }) as typeof reviewFn;
  return { fn, calls };
}

/** Records the JSON bodies a scope's interceptor receives. */
function recorder() {
  const bodies: Record<string, unknown[]> = {};
  const reply =
    (name: string, status: number, response: unknown = {}) =>
    (_uri: string, body: unknown): [number, unknown] => {
      (bodies[name] ??= []).push(body);
      return [status, response];
    };
  return { bodies, reply };
}

let probot: Probot;
let queue: InProcessQueue;
let review: ReturnType<typeof fakeReview>;
let sent: ReturnType<typeof recorder>;
let log: RecordingLog;

async function start(answer?: Parameters<typeof fakeReview>[0], serverHosts: string[] = []): Promise<void> {
  review = fakeReview(answer);
  queue = new InProcessQueue({ concurrency: 2 });
  log = new RecordingLog();
  probot = testProbot(log);
  await probot.load(pgproApp({ review: review.fn, queue, now: () => NOW, serverHosts }));
}

/** Starts the App on the real review engine; the function returned gives the result it produced. */
async function startRealReview(): Promise<() => ReviewResult> {
  const { review: realReview } = await import('../../src/review.js');
  let produced: ReviewResult | undefined;
  await start(async ({ change, options }) => (produced = await realReview(change, options)));
  return () => {
    expect(produced).toBeDefined();
    return produced!;
  };
}

async function receive(
  name: string,
  event: string,
  id = `delivery-${name}`,
  edit: (payload: Record<string, any>) => void = () => {},
): Promise<void> {
  const payload = fixture(name);
  edit(payload);
  await probot.receive({ id, name: event, payload } as Parameters<Probot['receive']>[0]);
  // Handlers answer at once and schedule in the background: wait until that work is handed over.
  await queue.scheduled();
}

beforeEach(() => {
  sent = recorder();
});

afterEach(async () => {
  await queue?.idle();
  nock.cleanAll();
});

/** Every scope's interceptors were called, and no mock is left waiting for a request that never came. */
function expectEveryMockUsed(scopes: nock.Scope[]): void {
  for (const scope of scopes) expect(scope.isDone()).toBe(true);
  expect(nock.pendingMocks()).toEqual([]);
}

// ---- named scopes --------------------------------------------------------------------------------

const token = () =>
  nock(API).post(`/app/installations/${INSTALLATION_ID}/access_tokens`).reply(201, { token: 'ghs_test', permissions: {} });

/** context.config reads the repo's file, then the org's `.github` repo. */
const config = (yaml?: string) => {
  const scope = nock(API).get('/repos/acme/shop/contents/.github%2Fpgpro.yml');
  if (yaml !== undefined) return scope.reply(200, yaml, { 'content-type': 'text/plain; charset=utf-8' });
  return scope
    .reply(404, { message: 'Not Found' })
    .get('/repos/acme/.github/contents/.github%2Fpgpro.yml')
    .reply(404, { message: 'Not Found' });
};

const createCheck = (id = 55) =>
  nock(API)
    .post('/repos/acme/shop/check-runs')
    .reply(sent.reply(`create:${id}`, 201, { id, html_url: `https://github.com/acme/shop/runs/${id}` }));

const updateCheck = (id = 55, times = 1) =>
  nock(API)
    .patch(`/repos/acme/shop/check-runs/${id}`)
    .times(times)
    .reply(sent.reply(`update:${id}`, 200, { id }));

const files = (changed: { filename: string; status: string; patch?: string }[]) =>
  nock(API).get('/repos/acme/shop/pulls/7/files').query({ per_page: '100' }).reply(200, changed);

const tree = (sha: string, paths: string[]) =>
  nock(API)
    .get(`/repos/acme/shop/git/trees/${sha}`)
    .query({ recursive: 'true' })
    .reply(200, {
      sha: `tree-${sha.slice(0, 4)}`,
      truncated: false,
      tree: paths.map((path, i) => ({ path, type: 'blob', sha: `blob${i}-${sha.slice(0, 4)}` })),
    });

const summaryComments = (existing: unknown[]) =>
  nock(API).get('/repos/acme/shop/issues/7/comments').query({ per_page: '100' }).reply(200, existing);

const reviewComments = (existing: unknown[]) =>
  nock(API).get('/repos/acme/shop/pulls/7/comments').query({ per_page: '100' }).reply(200, existing);

const HEAD_PATHS = ['README.md', 'db/migrations/001_init.sql', MIGRATION];
const BASE_PATHS = ['README.md', 'db/migrations/001_init.sql'];
const CHANGED = [
  { filename: 'README.md', status: 'modified', patch: '@@ -1 +1 @@\n-old\n+new' },
  { filename: MIGRATION, status: 'added', patch: PATCH },
];

/** What a review of CHANGED reads: the changed files, then the head's and the base's trees. */
const reading = (head = HEAD) => [files(CHANGED), tree(head, HEAD_PATHS), tree(BASE, BASE_PATHS)];

const postComment = () => nock(API).post('/repos/acme/shop/issues/7/comments').reply(sent.reply('comment', 201, { id: 900 }));

/** Publishing on a PR pgpro never commented on: a new summary comment and one inline review. */
const firstPublication = () => [
  summaryComments([]),
  postComment(),
  reviewComments([]),
  nock(API).post('/repos/acme/shop/pulls/7/reviews').reply(sent.reply('review', 200, { id: 1 })),
];

/** Every request of a review of CHANGED, on check run 55, from the webhook to the published review. */
const fullReview = () => [token(), config(), createCheck(), updateCheck(55, 3), ...reading(), ...firstPublication()];

/** The history's first migration and a change to add, for the tests on the real review engine. */
const INIT_SQL = 'CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL);\n';
const INDEX_SQL = 'CREATE INDEX orders_customer_idx ON orders (customer_id);\n';

/** A file's content as GitHub's blob API returns it. */
const blob = (sha: string, text: string) =>
  nock(API).get(`/repos/acme/shop/git/blobs/${sha}`).reply(200, { encoding: 'base64', content: Buffer.from(text).toString('base64') });

const IN_PROGRESS = {
  name: 'pgpro',
  head_sha: HEAD,
  status: 'in_progress',
  started_at: TIMESTAMP,
  output: { title: 'Queued…', summary: 'pgpro is reviewing the migrations of this pull request.' },
};
const progress = (title: string) => ({
  output: { title, summary: 'pgpro is reviewing the migrations of this pull request.' },
});

function expectedCompletion(result: ReviewResult) {
  const output = checkRunOutput(result);
  return {
    status: 'completed',
    conclusion: output.conclusion,
    completed_at: TIMESTAMP,
    output: {
      title: output.title,
      summary: output.summary,
      ...(output.text ? { text: output.text } : {}),
      annotations: output.annotations[0],
    },
  };
}

// ---- tests ---------------------------------------------------------------------------------------

describe('pull_request', () => {
  it('reviews a PR that changes a migration: check run, annotations, summary comment, one inline review', async () => {
    await start();
    const scopes = fullReview();
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    expect(sent.bodies['create:55']).toEqual([IN_PROGRESS]);
    const completion = expectedCompletion(resultWithFinding());
    expect(completion.conclusion).toBe('failure');
    expect(completion.output.annotations).toEqual([
      expect.objectContaining({ path: MIGRATION, start_line: 2, end_line: 2, annotation_level: 'failure' }),
    ]);
    expect(sent.bodies['update:55']).toEqual([
      progress('Listing changed files…'),
      progress('Reading the base branch…'),
      completion,
    ]);
    const [comment] = sent.bodies.comment as { body: string }[];
    expect(comment!.body).toContain('<!-- pgpro:summary -->');
    expect(readFingerprints(comment!.body)).toEqual(['fp-note-default']);
    expect(sent.bodies.review).toEqual([
      {
        commit_id: HEAD,
        event: 'COMMENT',
        body: 'pgpro left 1 comment on migration lines; the summary comment has the full report.',
        comments: [expect.objectContaining({ path: MIGRATION, line: 2, side: 'RIGHT' })],
      },
    ]);
    expect((sent.bodies.review![0] as { comments: { body: string }[] }).comments[0]!.body).toContain('fp-note-default');

    expect(review.calls).toHaveLength(1);
    const [call] = review.calls;
    expect(call!.options.agent).toBe('auto');
    expect(call!.change.changed).toEqual(['README.md', MIGRATION]);
    // The pull request's diff goes to the review too: Claude reads the non-migration files for deploy ordering.
    expect(call!.change.patches).toEqual({ 'README.md': '@@ -1 +1 @@\n-old\n+new', [MIGRATION]: PATCH });
    expect(call!.change.head.id).toBe('tree-a1a1');
    expect(call!.change.base?.id).toBe('tree-b0b0');
    expectEveryMockUsed(scopes);

    // Operators see one line as the review starts and one as it ends, naming what it was for.
    const where = { repository: 'acme/shop', pull: 7, sha: HEAD, delivery: 'delivery-pull_request.opened' };
    expect(log.find('pgpro review started')).toEqual([expect.objectContaining({ level: 'info', ...where, check: 55, agent: 'auto' })]);
    const ended = log.find('pgpro review ended');
    expect(ended).toEqual([
      expect.objectContaining({
        level: 'info',
        ...where,
        conclusion: 'failure',
        durationMs: expect.any(Number),
        migrations: 1,
        findings: { error: 1, warning: 0, info: 0 },
        reviewMs: 40,
      }),
    ]);
    expect(log.lines.indexOf(log.find('pgpro review started')[0]!)).toBeLessThan(log.lines.indexOf(ended[0]!));
  });

  it('with the real review engine: blobs fetched for migrations only, the engine result published as is', async () => {
    const produced = await startRealReview();
    const scopes = [
      token(),
      config(),
      createCheck(),
      updateCheck(55).persist(),
      files([{ filename: MIGRATION, status: 'added', patch: `@@ -0,0 +1 @@\n+${INDEX_SQL.trimEnd()}` }]),
      tree(HEAD, HEAD_PATHS),
      tree(BASE, BASE_PATHS),
      // 001 has a different blob sha in each tree here, so it is fetched from each; README.md never is.
      blob('blob1-a1a1', INIT_SQL),
      blob('blob2-a1a1', INDEX_SQL),
      blob('blob1-b0b0', INIT_SQL),
      ...firstPublication(),
    ];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    expect(produced().conclusion).toBe('failure');
    expect(produced().findings.map((f) => f.rule)).toContain('require-concurrent-index-creation');
    expect(sent.bodies['update:55']!.at(-1)).toEqual(expectedCompletion(produced()));
    expect(sent.bodies['update:55']!.slice(0, 2)).toEqual([progress('Listing changed files…'), progress('Reading the base branch…')]);
    expect(readFingerprints((sent.bodies.comment![0] as { body: string }).body)).toEqual(
      [...new Set(produced().findings.map((f) => f.fingerprint))],
    );
    expect((sent.bodies.review![0] as { comments: unknown[] }).comments).toContainEqual(
      expect.objectContaining({ path: MIGRATION, line: 1, side: 'RIGHT' }),
    );
    expectEveryMockUsed(scopes);
  }, 600_000); // a real review, fix proof included, on a machine that may be busy

  it('updates the summary comment found by its marker and does not repeat an inline comment already posted', async () => {
    await start();
    const previous = '<!-- pgpro:summary -->\n<!-- pgpro:fingerprints fp-gone,fp-note-default -->\nold summary';
    const scopes = [
      token(),
      config(),
      createCheck(),
      updateCheck(55, 3),
      ...reading(),
      summaryComments([
        // A person quoting the marker is not the summary.
        { id: 10, body: 'quoting <!-- pgpro:summary -->', user: { login: 'alice', type: 'User' } },
        { id: 11, body: previous, user: { login: 'pgpro[bot]', type: 'Bot' } },
      ]),
      nock(API).patch('/repos/acme/shop/issues/comments/11').reply(sent.reply('comment-update', 200, { id: 11 })),
      reviewComments([{ id: 70, body: 'earlier\n<!-- pgpro:fp fp-note-default -->', path: MIGRATION, line: 2 }]),
    ];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    const [update] = sent.bodies['comment-update'] as { body: string }[];
    expect(update!.body).toContain('<!-- pgpro:summary -->');
    expect(readFingerprints(update!.body)).toEqual(['fp-note-default']);
    // fp-gone was fixed since the previous push; fp-note-default is still open.
    expect(update!.body).toMatch(/1\*\* fixed/);
    expect(sent.bodies.review).toBeUndefined();
    expectEveryMockUsed(scopes);
  });

  it('completes as success without a review or comment when no migration changed', async () => {
    await start();
    const scopes = [
      token(),
      config(),
      createCheck(),
      updateCheck(55, 2),
      files([{ filename: 'README.md', status: 'modified', patch: '@@ -1 +1 @@\n-a\n+b' }]),
      tree(HEAD, HEAD_PATHS),
    ];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    expect(sent.bodies['update:55']).toEqual([
      progress('Listing changed files…'),
      {
        status: 'completed',
        conclusion: 'success',
        completed_at: TIMESTAMP,
        output: {
          title: 'No migrations changed',
          summary: 'This pull request changes no migration files, so there was nothing to review.',
        },
      },
    ]);
    expect(review.calls).toHaveLength(0);
    expectEveryMockUsed(scopes);
  });

  it('reviews a PR that only deletes an applied migration: not "No migrations changed"', async () => {
    const produced = await startRealReview();
    const scopes = [
      token(),
      config(),
      createCheck(),
      updateCheck(55).persist(),
      files([{ filename: MIGRATION, status: 'removed', patch: `@@ -1 +0,0 @@\n-${INDEX_SQL.trimEnd()}` }]),
      tree(HEAD, BASE_PATHS),
      tree(BASE, HEAD_PATHS),
      blob('blob1-a1a1', INIT_SQL),
      blob('blob1-b0b0', INIT_SQL),
      blob('blob2-b0b0', INDEX_SQL),
      summaryComments([]),
      postComment(),
    ];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    expect(produced().findings.map((f) => [f.rule, f.file, f.line])).toEqual([['removed-applied-migration', MIGRATION, 1]]);
    expect(produced().migrations.map((m) => [m.file, m.status])).toEqual([
      ['db/migrations/001_init.sql', 'applied'],
      [MIGRATION, 'applied'],
    ]);
    const completion = sent.bodies['update:55']!.at(-1) as { conclusion: string; output: { title: string; summary: string } };
    expect(completion).toEqual(expectedCompletion(produced()));
    expect(completion.conclusion).toBe('neutral');
    // In the check's details and in the summary comment.
    expect((completion.output as { text?: string }).text).toContain('[`removed-applied-migration`]');
    // No annotation: the deleted file is not in the head commit annotations are placed on.
    expect((completion.output as { annotations?: unknown }).annotations).toBeUndefined();
    expect((sent.bodies.comment![0] as { body: string }).body).toContain('removed-applied-migration');
    // The deleted file has no line in the head commit: no inline review.
    expect(sent.bodies.review).toBeUndefined();
    expectEveryMockUsed(scopes);
  }, 120_000);

  it('an edit of an applied migration: an inline comment on the edited line, and what it adds reviewed', async () => {
    const produced = await startRealReview();
    const edited = 'db/migrations/001_init.sql';
    const scopes = [
      token(),
      config(),
      createCheck(),
      updateCheck(55).persist(),
      files([{ filename: edited, status: 'modified', patch: `@@ -1 +1,2 @@\n ${INIT_SQL.trimEnd()}\n+${INDEX_SQL.trimEnd()}` }]),
      tree(HEAD, BASE_PATHS),
      tree(BASE, BASE_PATHS),
      blob('blob1-a1a1', INIT_SQL + INDEX_SQL),
      blob('blob1-b0b0', INIT_SQL),
      ...firstPublication(),
    ];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    // Production ran the base version; the index the edit adds is applied on top of it and reviewed.
    expect(produced().migrations.map((m) => [m.file, m.status, m.statements, m.edit ?? false])).toEqual([
      [edited, 'applied', 1, false],
      [edited, 'applied', 1, true],
    ]);
    const onEdit = produced().findings.filter((f) => f.file === edited && f.severity !== 'info').map((f) => [f.rule, f.line]);
    expect(onEdit).toEqual(expect.arrayContaining([['modified-applied-migration', 2], ['require-concurrent-index-creation', 2]]));
    expect(sent.bodies['update:55']!.at(-1)).toEqual(expectedCompletion(produced()));
    // Line 2 is in the diff: the inline comment is there (line 1 is context, not where the edit is).
    const comments = (sent.bodies.review![0] as { comments: { path: string; line: number; body: string }[] }).comments;
    expect(comments.map((c) => [c.path, c.line])).toEqual([[edited, 2]]);
    expect(comments[0]!.body).toContain('modified-applied-migration');
    expect(comments[0]!.body).toContain('require-concurrent-index-creation');
    expectEveryMockUsed(scopes);
  }, 600_000); // a real review, fix proof included, on a machine that may be busy

  it('answers the webhook before any request to GitHub: the work runs after it', async () => {
    await start();
    const scopes = [
      token(),
      config(),
      createCheck(),
      updateCheck(55, 2),
      files([{ filename: 'README.md', status: 'modified', patch: '@@ -1 +1 @@\n-a\n+b' }]),
      tree(HEAD, HEAD_PATHS),
    ];
    const payload = fixture('pull_request.opened');
    await probot.receive({ id: 'early-answer', name: 'pull_request', payload } as Parameters<Probot['receive']>[0]);
    // receive() resolved: Probot has answered the delivery, yet no check run has been created.
    expect(sent.bodies['create:55']).toBeUndefined();
    await queue.idle();
    expect(sent.bodies['create:55']).toHaveLength(1);
    for (const scope of scopes) expect(scope.isDone()).toBe(true);
  });

  it('skips a draft PR by default: no check run at all', async () => {
    await start();
    const scopes = [token(), config()];
    await receive('pull_request.opened.draft', 'pull_request');
    await queue.idle();
    expect(review.calls).toHaveLength(0);
    expectEveryMockUsed(scopes);
  });

  it('reviews a draft PR when the config says github.drafts: true', async () => {
    await start();
    const scopes = [token(), config('github:\n  drafts: true\n'), createCheck(), updateCheck(55, 2), files([]), tree(HEAD, HEAD_PATHS)];
    await receive('pull_request.opened.draft', 'pull_request');
    await queue.idle();
    expect(sent.bodies['create:55']).toEqual([IN_PROGRESS]);
    expect((sent.bodies['update:55']!.at(-1) as { conclusion: string }).conclusion).toBe('success');
    for (const scope of scopes) expect(scope.isDone()).toBe(true);
  });

  it('ends the check as failure with what to fix when the config is invalid', async () => {
    await start();
    const scopes = [token(), config('fail-on: sometimes\n'), createCheck(), updateCheck(55, 1)];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    expect(sent.bodies['create:55']).toEqual([IN_PROGRESS]);
    const [completion] = sent.bodies['update:55'] as { conclusion: string; status: string; output: { title: string; summary: string } }[];
    expect(completion).toMatchObject({ status: 'completed', conclusion: 'failure', completed_at: TIMESTAMP });
    expect(completion!.output.title).toBe('Invalid .github/pgpro.yml');
    expect(completion!.output.summary).toMatch(/^Invalid pgpro config in \.github\/pgpro\.yml:\n {2}- fail-on: /);
    expect(completion!.output.summary).toContain('Fix the file on the default branch, then re-run this check.');
    expect(review.calls).toHaveLength(0);
    expectEveryMockUsed(scopes);
  });

  it('refuses a server the operator has not listed, naming its host and never its password', async () => {
    await start(undefined, ['replica.internal']);
    const yaml = 'sandbox:\n  engine: postgres\n  url: postgres://pgpro:s3cret@127.0.0.1:5432/test\n';
    const scopes = [token(), config(yaml), createCheck(), updateCheck(55, 1)];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    const [completion] = sent.bodies['update:55'] as { conclusion: string; output: { title: string; summary: string } }[];
    expect(completion).toMatchObject({ conclusion: 'failure', output: { title: 'Invalid .github/pgpro.yml' } });
    expect(completion!.output.summary).toContain(
      '  - sandbox.url: names the server 127.0.0.1:5432, which this pgpro App may not connect to for a repository: ' +
        'its operator lists the servers repositories may name in PGPRO_REPO_SERVER_HOSTS (listed: replica.internal).',
    );
    expect(JSON.stringify(sent.bodies)).not.toContain('s3cret');
    expect(review.calls).toHaveLength(0);
    expectEveryMockUsed(scopes);
  });

  it('passes a listed server on to the review', async () => {
    await start(undefined, ['replica.internal:6432']);
    const yaml = 'rehearsal:\n  stats-url: postgres://reader@replica.internal:6432/prod\n';
    const scopes = [token(), config(yaml), createCheck(), updateCheck(55, 3), ...reading(), ...firstPublication()];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    expect(review.calls).toHaveLength(1);
    expect(review.calls[0]!.options.config?.rehearsal['stats-url']).toBe('postgres://reader@replica.internal:6432/prod');
    expectEveryMockUsed(scopes);
  });

  it('reports unparsable YAML as a config error too', async () => {
    await start();
    const scopes = [token(), config('fail-on: [error\n'), createCheck(), updateCheck(55, 1)];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();
    const [completion] = sent.bodies['update:55'] as { conclusion: string; output: { title: string } }[];
    expect(completion).toMatchObject({ conclusion: 'failure', output: { title: 'Invalid .github/pgpro.yml' } });
    for (const scope of scopes) expect(scope.isDone()).toBe(true);
  });

  it('ends the check as failure with the reason, and no stack, when the review throws', async () => {
    await start(async () => {
      throw new Error('sandbox worker exited unexpectedly\n    at Worker.<anonymous> (sandbox.js:1:1)');
    });
    const scopes = [token(), config(), createCheck(), updateCheck(55, 3), ...reading()];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();

    expect(sent.bodies['update:55']!.at(-1)).toEqual({
      status: 'completed',
      conclusion: 'failure',
      completed_at: TIMESTAMP,
      output: {
        title: 'pgpro could not complete the review',
        summary:
          'The review stopped with an internal error: sandbox worker exited unexpectedly\n\nRe-run the check or comment `/pgpro review` to try again.',
      },
    });
    expectEveryMockUsed(scopes);
    // The error line names the delivery, the repository, the pull request and the commit; the stack goes there.
    const where = { repository: 'acme/shop', pull: 7, sha: HEAD, delivery: 'delivery-pull_request.opened' };
    const [failed, ...more] = log.find('pgpro review failed');
    expect(more).toEqual([]);
    expect(failed).toMatchObject({ level: 'error', ...where });
    expect((failed!.err as Error).stack).toContain('sandbox.js:1:1');
    expect(log.find('pgpro review ended')).toEqual([expect.objectContaining({ ...where, conclusion: 'error', error: 'sandbox worker exited unexpectedly' })]);
  });

  it('a failure before the review starts names the delivery, the repository and the pull request', async () => {
    await start();
    const scopes = [token(), nock(API).get('/repos/acme/shop/contents/.github%2Fpgpro.yml').reply(500, { message: 'boom' })];
    await receive('pull_request.opened', 'pull_request');
    await queue.idle();
    for (const scope of scopes) expect(scope.isDone()).toBe(true);
    expect(log.find('pgpro: scheduling a review failed')).toEqual([
      expect.objectContaining({ level: 'error', delivery: 'delivery-pull_request.opened', repository: 'acme/shop', pull: 7 }),
    ]);
    expect(log.find('pgpro review started')).toEqual([]);
  });

  it('a newer push supersedes the running review: its check is cancelled and its result never published', async () => {
    let releaseFirst!: () => void;
    const firstGate = new Promise<void>((resolve) => (releaseFirst = resolve));
    await start(async (call) => {
      if (call.change.head.id === 'tree-a1a1') {
        // The older review ignores the abort and finishes anyway: pgpro must still not publish it.
        await firstGate;
        return { ...resultWithFinding(), findings: [], conclusion: 'success' };
      }
      return resultWithFinding();
    });
    const scopes = [
      token(),
      config(),
      createCheck(55),
      updateCheck(55, 3),
      ...reading(),
    ];
    await receive('pull_request.opened', 'pull_request');
    await vi.waitFor(() => expect(review.calls).toHaveLength(1));

    const newer = [
      config(),
      createCheck(56),
      updateCheck(56, 3),
      ...reading(HEAD2),
      ...firstPublication(),
    ];
    await receive('pull_request.synchronize', 'pull_request');
    expect(review.calls[0]!.options.signal?.aborted).toBe(true);
    releaseFirst();
    await queue.idle();

    expect(sent.bodies['update:55']!.at(-1)).toEqual({
      status: 'completed',
      conclusion: 'cancelled',
      completed_at: TIMESTAMP,
      output: {
        title: 'Superseded by a newer review',
        summary: 'A newer push or `/pgpro review` started another review of this pull request; its check run has the result.',
      },
    });
    expect((sent.bodies['update:56']!.at(-1) as { conclusion: string }).conclusion).toBe('failure');
    // Exactly one summary comment and one review: the newer run's.
    expect(sent.bodies.comment).toHaveLength(1);
    expect(readFingerprints((sent.bodies.comment![0] as { body: string }).body)).toEqual(['fp-note-default']);
    expect(sent.bodies.review).toHaveLength(1);
    expect((sent.bodies.review![0] as { commit_id: string }).commit_id).toBe(HEAD2);
    expectEveryMockUsed([...scopes, ...newer]);
  });

  it('a redelivered webhook, or the same head sha again, creates no second check run or comment', async () => {
    await start();
    const scopes = fullReview();
    await Promise.all([
      receive('pull_request.opened', 'pull_request', 'same-guid'),
      receive('pull_request.opened', 'pull_request', 'same-guid'),
    ]);
    await queue.idle();
    // Redelivered after the review finished, under a new delivery id: same PR, same head sha.
    await receive('pull_request.opened', 'pull_request', 'other-guid');
    await queue.idle();

    expect(sent.bodies['create:55']).toHaveLength(1);
    expect(sent.bodies.comment).toHaveLength(1);
    expect(sent.bodies.review).toHaveLength(1);
    expect(review.calls).toHaveLength(1);
    expectEveryMockUsed(scopes);
  });
});

describe('issue_comment commands', () => {
  const eyes = (commentId: number) =>
    nock(API)
      .post(`/repos/acme/shop/issues/comments/${commentId}/reactions`)
      .reply(sent.reply(`reaction:${commentId}`, 201, { id: 1, content: 'eyes' }));
  const permission = (user: string, body: object) =>
    nock(API).get(`/repos/acme/shop/collaborators/${user}/permission`).reply(200, body);
  const reply = () => nock(API).post('/repos/acme/shop/issues/7/comments').reply(sent.reply('reply', 201, { id: 901 }));

  it('denies a user without write access: 👀, then a short reply, and no review', async () => {
    await start();
    const scopes = [token(), eyes(3002), permission('mallory', { permission: 'read', role_name: 'triage' }), reply()];
    await receive('issue_comment.created.denied', 'issue_comment');
    await queue.idle();

    expect(sent.bodies['reaction:3002']).toEqual([{ content: 'eyes' }]);
    expect(sent.bodies.reply).toEqual([
      { body: '@mallory only users with write, maintain or admin access to this repository can run pgpro commands.' },
    ]);
    expect(review.calls).toHaveLength(0);
    expectEveryMockUsed(scopes);
  });

  it('answers /pgpro help', async () => {
    await start();
    const scopes = [token(), eyes(3001), permission('alice', { permission: 'write', role_name: 'maintain' }), reply()];
    await receive('issue_comment.created.help', 'issue_comment');
    expect(sent.bodies.reply).toEqual([{ body: HELP_TEXT }]);
    expectEveryMockUsed(scopes);
  });

  it('answers a redelivered command once: the same delivery id gets no second reaction or reply', async () => {
    await start();
    const scopes = [token(), eyes(3001), permission('alice', { permission: 'write', role_name: 'maintain' }), reply()];
    const unmatched: string[] = [];
    const onNoMatch = (req: { path?: string }) => unmatched.push(req.path ?? '?');
    nock.emitter.on('no match', onNoMatch);
    await receive('issue_comment.created.help', 'issue_comment', 'help-delivery-1');
    await receive('issue_comment.created.help', 'issue_comment', 'help-delivery-1');
    await queue.idle();
    nock.emitter.off('no match', onNoMatch);
    // A second answer would have asked GitHub again (and found no mock).
    expect(unmatched).toEqual([]);
    expect(sent.bodies['reaction:3001']).toEqual([{ content: 'eyes' }]);
    expect(sent.bodies.reply).toEqual([{ body: HELP_TEXT }]);
    expectEveryMockUsed(scopes);
  });

  it('answers an unknown command with what it does not know and the help', async () => {
    await start();
    const scopes = [token(), eyes(3001), permission('alice', { permission: 'write', role_name: 'write' }), reply()];
    await receive('issue_comment.created.help', 'issue_comment', 'unknown-1', (p) => (p.comment.body = '/pgpro deploy prod'));
    expect(sent.bodies.reply).toEqual([{ body: `I do not know the command \`/pgpro deploy prod\`.\n\n${HELP_TEXT}` }]);
    expectEveryMockUsed(scopes);
  });

  it('ignores bots, pgpro itself included, without a single request', async () => {
    await start();
    await receive('issue_comment.created.bot', 'issue_comment');
    await receive('issue_comment.created.issue', 'issue_comment');
    await queue.idle();
    expect(review.calls).toHaveLength(0);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('/pgpro review reviews the head now with the agent forced', async () => {
    await start();
    const scopes = [
      token(),
      eyes(3001),
      permission('alice', { permission: 'admin', role_name: 'admin' }),
      nock(API)
        .get('/repos/acme/shop/pulls/7')
        .reply(200, { number: 7, draft: true, changed_files: 2, head: { sha: HEAD }, base: { sha: BASE } }),
      config(),
      createCheck(),
      updateCheck(55, 3),
      ...reading(),
      ...firstPublication(),
    ];
    await receive('issue_comment.created.review', 'issue_comment');
    await queue.idle();

    expect(sent.bodies['reaction:3001']).toEqual([{ content: 'eyes' }]);
    expect(sent.bodies['create:55']).toEqual([IN_PROGRESS]);
    // An explicit request reviews even a draft, and always with the agent.
    expect(review.calls.map((c) => c.options.agent)).toEqual(['force']);
    expectEveryMockUsed(scopes);
  });
});

describe('check_run.rerequested', () => {
  it('reviews the check run’s head sha again', async () => {
    await start();
    const scopes = [
      token(),
      config(),
      createCheck(56),
      updateCheck(56, 2),
      files([{ filename: 'README.md', status: 'modified' }]),
      tree(HEAD, HEAD_PATHS),
    ];
    await receive('check_run.rerequested', 'check_run');
    await queue.idle();
    expect(sent.bodies['create:56']).toEqual([IN_PROGRESS]);
    expect(sent.bodies['update:56']!.at(-1)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expectEveryMockUsed(scopes);
  });

  it('finds a fork’s pull request by its head sha, which GitHub leaves out of the check run', async () => {
    await start();
    const scopes = [
      token(),
      nock(API)
        .get('/repos/acme/shop/pulls')
        .query({ state: 'open', per_page: '100' })
        .reply(200, [
          { number: 6, head: { sha: HEAD2 }, base: { sha: BASE } },
          { number: 7, head: { sha: HEAD }, base: { sha: BASE } },
        ]),
      config(),
      createCheck(56),
      updateCheck(56, 2),
      files([{ filename: 'README.md', status: 'modified' }]),
      tree(HEAD, HEAD_PATHS),
    ];
    await receive('check_run.rerequested', 'check_run', 'rerun-fork', (p) => (p.check_run.pull_requests = []));
    await queue.idle();
    expect(sent.bodies['create:56']).toEqual([IN_PROGRESS]);
    expect(sent.bodies['update:56']!.at(-1)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expectEveryMockUsed(scopes);
  });

  it('does nothing for a re-run of a commit no open pull request has at its head', async () => {
    await start();
    const scopes = [
      token(),
      nock(API).get('/repos/acme/shop/pulls').query({ state: 'open', per_page: '100' }).reply(200, [{ number: 6, head: { sha: HEAD2 }, base: { sha: BASE } }]),
    ];
    await receive('check_run.rerequested', 'check_run', 'rerun-gone', (p) => (p.check_run.pull_requests = []));
    await queue.idle();
    expect(review.calls).toHaveLength(0);
    expectEveryMockUsed(scopes);
  });
});
