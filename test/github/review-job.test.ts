import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/parse.js';
import { changedMigrations, jobFields, progressReporter, progressTitle, reasonOf, withFields } from '../../src/github/review-job.js';

describe('progress', () => {
  it('titles show the stage and the count', () => {
    expect(progressTitle({ stage: 'replay', message: 'Replaying history' })).toBe('Replaying history…');
    expect(progressTitle({ stage: 'apply', message: 'Applying migrations.', done: 2, total: 5 })).toBe('Applying migrations (2/5)…');
  });

  it('a new stage shows at once; counts within a stage are throttled', () => {
    const titles: string[] = [];
    let clock = 0;
    const report = progressReporter({ progress: (t) => void titles.push(t) }, 3_000, () => clock);
    report({ stage: 'replay', message: 'Replaying history', done: 1, total: 40 });
    clock = 1_000;
    report({ stage: 'replay', message: 'Replaying history', done: 2, total: 40 });
    clock = 1_500;
    report({ stage: 'apply', message: 'Applying', done: 1, total: 2 });
    clock = 5_000;
    report({ stage: 'apply', message: 'Applying', done: 2, total: 2 });
    expect(titles).toEqual(['Replaying history (1/40)…', 'Applying (1/2)…', 'Applying (2/2)…']);
  });
});

describe('changedMigrations', () => {
  const tree = ['README.md', 'db/migrations/001_init.sql', 'db/migrations/002_add.sql', 'src/queries/report.sql'];

  it('keeps the changed paths that are migrations, judged against the whole tree', () => {
    expect(changedMigrations(tree, ['README.md', 'db/migrations/002_add.sql', 'src/queries/report.sql'], defaultConfig())).toEqual([
      'db/migrations/002_add.sql',
    ]);
    expect(changedMigrations(tree, ['README.md'], defaultConfig())).toEqual([]);
  });

  it('follows configured migration paths', () => {
    const config = defaultConfig();
    config.migrations.paths = ['src/queries'];
    expect(changedMigrations(tree, ['db/migrations/002_add.sql', 'src/queries/report.sql'], config)).toEqual(['src/queries/report.sql']);
  });
});

describe('reasonOf', () => {
  it('shows the first line of the message only, never a stack', () => {
    const error = new Error('worker exited\nat Worker (x.js:1:1)');
    expect(reasonOf(error)).toBe('worker exited');
    expect(reasonOf('plain')).toBe('plain');
  });
});

describe('withFields', () => {
  it("adds the job's fields to every line of a logger; a line's own fields win", () => {
    const lines: [string, object, string | undefined][] = [];
    const log = withFields(
      {
        info: (obj, msg) => void lines.push(['info', obj, msg]),
        warn: (obj, msg) => void lines.push(['warn', obj, msg]),
        error: (obj, msg) => void lines.push(['error', obj, msg]),
      },
      jobFields({ owner: 'acme', repo: 'shop', number: 7, headSha: 'a1', baseSha: 'b0' }, 'd-1'),
    );
    log.warn({ status: 500 }, 'Could not update the check run progress');
    log.error({ sha: 'other' }, 'x');
    expect(lines).toEqual([
      ['warn', { repository: 'acme/shop', pull: 7, sha: 'a1', delivery: 'd-1', status: 500 }, 'Could not update the check run progress'],
      ['error', { repository: 'acme/shop', pull: 7, sha: 'other', delivery: 'd-1' }, 'x'],
    ]);
  });
});
