import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Probot, ProbotOctokit } from 'probot';
import type { GitHubClient } from '../../src/github/client.js';

export const API = 'https://api.github.com';
export const APP_ID = 123;
export const INSTALLATION_ID = 1001;

/** Retries and throttling off (the function form: the object form leaves throttling on). */
export const TestOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options.throttle as object), enabled: false },
}));

let privateKey: string | undefined;
export function testPrivateKey(): string {
  privateKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
    type: 'pkcs1',
    format: 'pem',
  }) as string;
  return privateKey;
}

export function testProbot(): Probot {
  return new Probot({ appId: APP_ID, privateKey: testPrivateKey(), Octokit: TestOctokit, logLevel: 'fatal' });
}

/** An installation-token client for unit tests of modules that take an Octokit. */
export function testOctokit(): GitHubClient {
  return new TestOctokit({ auth: { token: 'test-token' } }) as unknown as GitHubClient;
}

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/webhooks/${name}.json`, import.meta.url), 'utf8')) as T;
}
