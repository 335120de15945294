import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { mayRunCommands, parseCommand } from '../../src/github/commands.js';
import { API, testOctokit } from './helpers.js';

describe('parseCommand', () => {
  it.each([
    ['/pgpro review', { name: 'review' }],
    ['  /pgpro   REVIEW please', { name: 'review' }],
    ['Looks odd.\n/pgpro review\nthanks', { name: 'review' }],
    ['/pgpro help', { name: 'help' }],
    ['/pgpro', { name: 'help' }],
    ['/pgpro deploy now', { name: 'unknown', text: '/pgpro deploy now' }],
  ])('%j → %j', (body, command) => {
    expect(parseCommand(body)).toEqual(command);
  });

  it.each(['LGTM', 'please run /pgpro review', '/pgproject review', '`/pgpro review`'])('%j is not a command', (body) => {
    expect(parseCommand(body)).toBeUndefined();
  });
});

describe('mayRunCommands', () => {
  afterEach(() => nock.cleanAll());

  const permission = (body: object | null, status = 200) =>
    nock(API)
      .get('/repos/acme/shop/collaborators/bob/permission')
      .reply(status, body ?? { message: 'Not Found' });

  it.each([
    [{ permission: 'admin', role_name: 'admin' }, true],
    // The API folds maintain into write: role_name tells them apart, both may run commands.
    [{ permission: 'write', role_name: 'maintain' }, true],
    [{ permission: 'write', role_name: 'write' }, true],
    [{ permission: 'write' }, true],
    // A custom role based on write keeps its own name.
    [{ permission: 'write', role_name: 'release-manager' }, true],
    [{ permission: 'read', role_name: 'triage' }, false],
    [{ permission: 'read', role_name: 'read' }, false],
    [{ permission: 'none', role_name: 'none' }, false],
  ])('%j → %s', async (body, allowed) => {
    const scope = permission(body);
    expect(await mayRunCommands(testOctokit(), { owner: 'acme', repo: 'shop' }, 'bob')).toBe(allowed);
    expect(scope.isDone()).toBe(true);
  });

  it('a user who is not a collaborator (404) may not', async () => {
    const scope = permission(null, 404);
    expect(await mayRunCommands(testOctokit(), { owner: 'acme', repo: 'shop' }, 'bob')).toBe(false);
    expect(scope.isDone()).toBe(true);
  });

  it('other API errors are not mistaken for a denial', async () => {
    permission({ message: 'Server Error' }, 500);
    await expect(mayRunCommands(testOctokit(), { owner: 'acme', repo: 'shop' }, 'bob')).rejects.toMatchObject({ status: 500 });
  });
});
