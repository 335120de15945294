import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { listChangedFiles } from '../../src/github/files.js';
import { gitFileTree } from '../../src/github/tree.js';
import { API, testOctokit } from './helpers.js';

afterEach(() => nock.cleanAll());

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('gitFileTree', () => {
  it('lists blob paths with one request and fetches contents only when read, once per blob', async () => {
    const tree = nock(API)
      .get('/repos/acme/shop/git/trees/head1')
      .query({ recursive: 'true' })
      .reply(200, {
        sha: 'tree-sha-1',
        truncated: false,
        tree: [
          { path: 'db', type: 'tree', sha: 't1' },
          { path: 'db/migrations/001_init.sql', type: 'blob', sha: 'b1' },
          { path: 'db/migrations/002_more.sql', type: 'blob', sha: 'b2' },
          { path: 'vendor/lib', type: 'commit', sha: 'c1' },
        ],
      });
    const blob = nock(API)
      .get('/repos/acme/shop/git/blobs/b1')
      .once()
      .reply(200, { sha: 'b1', encoding: 'base64', content: b64('CREATE TABLE café (id int);\n') });

    const fileTree = await gitFileTree(testOctokit(), { owner: 'acme', repo: 'shop', sha: 'head1' });
    expect(tree.isDone()).toBe(true);
    expect(fileTree.id).toBe('tree-sha-1');
    expect(fileTree.paths).toEqual(['db/migrations/001_init.sql', 'db/migrations/002_more.sql']);
    const [first, again] = await Promise.all([
      fileTree.read('db/migrations/001_init.sql'),
      fileTree.read('db/migrations/001_init.sql'),
    ]);
    expect(first).toBe('CREATE TABLE café (id int);\n');
    expect(again).toBe(first);
    expect(await fileTree.read('missing.sql')).toBeUndefined();
    expect(blob.isDone()).toBe(true);
    // b2 was never read, so never requested (nock would have thrown on an unmatched request).
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('keeps blob downloads within the concurrency bound', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({ path: `m/${i}.sql`, type: 'blob', sha: `s${i}` }));
    nock(API).get('/repos/acme/shop/git/trees/h').query(true).reply(200, { sha: 't', truncated: false, tree: entries });
    let inFlight = 0;
    let peak = 0;
    let started = 0;
    // A download is held until a second one is in flight (or it is the last): the bound is reached
    // whatever the machine's speed, and a client that never ran two at once would not finish.
    let release: () => void = () => undefined;
    let gate = new Promise<void>((resolve) => (release = resolve));
    nock(API)
      .get(/\/repos\/acme\/shop\/git\/blobs\/s\d/)
      .times(6)
      .reply(async (uri) => {
        inFlight++;
        started++;
        peak = Math.max(peak, inFlight);
        const held = gate;
        if (inFlight >= 2 || started === entries.length) {
          release();
          gate = new Promise<void>((resolve) => (release = resolve));
        }
        await held;
        inFlight--;
        return [200, { encoding: 'base64', content: b64(uri) }];
      });
    const fileTree = await gitFileTree(testOctokit(), { owner: 'acme', repo: 'shop', sha: 'h', concurrency: 2 });
    const contents = await Promise.all(fileTree.paths.map((p) => fileTree.read(p)));
    expect(contents).toEqual(entries.map((e) => `/repos/acme/shop/git/blobs/${e.sha}`));
    expect(peak).toBe(2);
  });

  it('base and head trees sharing a blob cache download an unchanged file once', async () => {
    for (const sha of ['base', 'head']) {
      nock(API)
        .get(`/repos/acme/shop/git/trees/${sha}`)
        .query(true)
        .reply(200, { sha: `t-${sha}`, truncated: false, tree: [{ path: 'm/001.sql', type: 'blob', sha: 'same' }] });
    }
    const blob = nock(API).get('/repos/acme/shop/git/blobs/same').once().reply(200, { encoding: 'base64', content: b64('SELECT 1;') });
    const blobCache = new Map<string, Promise<string>>();
    const base = await gitFileTree(testOctokit(), { owner: 'acme', repo: 'shop', sha: 'base', blobCache });
    const head = await gitFileTree(testOctokit(), { owner: 'acme', repo: 'shop', sha: 'head', blobCache });
    expect(await base.read('m/001.sql')).toBe('SELECT 1;');
    expect(await head.read('m/001.sql')).toBe('SELECT 1;');
    expect(blob.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('a truncated listing is an error, not a silently partial tree', async () => {
    nock(API).get('/repos/acme/shop/git/trees/big').query(true).reply(200, { sha: 't', truncated: true, tree: [] });
    await expect(gitFileTree(testOctokit(), { owner: 'acme', repo: 'shop', sha: 'big' })).rejects.toThrow(/too large/);
  });
});

describe('listChangedFiles', () => {
  it('pages through the files, keeps patches and lists removed files apart from `changed`', async () => {
    const page1 = Array.from({ length: 100 }, (_, i) => ({ filename: `src/f${i}.ts`, status: 'modified', patch: `@@ -1 +1 @@\n-a\n+b${i}` }));
    const scope = nock(API)
      .get('/repos/acme/shop/pulls/7/files')
      .query({ per_page: '100' })
      .reply(200, page1, { link: `<${API}/repos/acme/shop/pulls/7/files?per_page=100&page=2>; rel="next"` })
      .get('/repos/acme/shop/pulls/7/files')
      .query({ per_page: '100', page: '2' })
      .reply(200, [
        { filename: 'db/migrations/002_add.sql', status: 'added', patch: '@@ -0,0 +1 @@\n+ALTER TABLE t ADD c int;' },
        { filename: 'db/migrations/000_old.sql', status: 'removed', patch: '@@ -1 +0,0 @@\n-x' },
        { filename: 'logo.png', status: 'added' },
      ]);
    const files = await listChangedFiles(testOctokit(), { owner: 'acme', repo: 'shop', pullNumber: 7 }, 103);
    expect(scope.isDone()).toBe(true);
    expect(files.changed).toHaveLength(102);
    expect(files.changed.slice(-2)).toEqual(['db/migrations/002_add.sql', 'logo.png']);
    expect(files.patches['db/migrations/002_add.sql']).toBe('@@ -0,0 +1 @@\n+ALTER TABLE t ADD c int;');
    expect('logo.png' in files.patches).toBe(false);
    // A removed file has no right-hand lines to comment on.
    expect('db/migrations/000_old.sql' in files.patches).toBe(false);
    expect(files.removed).toEqual(['db/migrations/000_old.sql']);
    expect(files.truncated).toBe(false);
  });

  it('says when GitHub listed fewer files than the pull request changes', async () => {
    nock(API).get('/repos/acme/shop/pulls/7/files').query(true).reply(200, [{ filename: 'a.sql', status: 'added' }]);
    const files = await listChangedFiles(testOctokit(), { owner: 'acme', repo: 'shop', pullNumber: 7 }, 3500);
    expect(files.truncated).toBe(true);
  });
});
