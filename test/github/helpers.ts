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

export function testProbot(log?: RecordingLog): Probot {
  return new Probot({
    appId: APP_ID,
    privateKey: testPrivateKey(),
    Octokit: TestOctokit,
    logLevel: 'fatal',
    ...(log ? { log: log as unknown as NonNullable<NonNullable<ConstructorParameters<typeof Probot>[0]>['log']> } : {}),
  });
}

/** One line a RecordingLog received: its level and message, with the child bindings and fields merged in. */
export interface LogLine {
  level: string;
  msg: string | undefined;
  [field: string]: unknown;
}

/**
 * A logger with pino's shape (`child(bindings)`, `info(obj, msg)`…) that keeps every line, for tests that
 * assert what operators see. Shared by a logger and its children.
 */
export class RecordingLog {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  level = 'trace';

  child(bindings: Record<string, unknown>): RecordingLog {
    return new RecordingLog(this.lines, { ...this.bindings, ...bindings });
  }

  #write(level: string, first: unknown, msg?: string): void {
    const fields = typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : {};
    const text = typeof first === 'string' ? first : msg;
    this.lines.push({ ...this.bindings, ...fields, level, msg: text });
  }

  trace = (first: unknown, msg?: string) => this.#write('trace', first, msg);
  debug = (first: unknown, msg?: string) => this.#write('debug', first, msg);
  info = (first: unknown, msg?: string) => this.#write('info', first, msg);
  warn = (first: unknown, msg?: string) => this.#write('warn', first, msg);
  error = (first: unknown, msg?: string) => this.#write('error', first, msg);
  fatal = (first: unknown, msg?: string) => this.#write('fatal', first, msg);

  /** The lines with this message. */
  find(msg: string): LogLine[] {
    return this.lines.filter((line) => line.msg === msg);
  }
}

/** An installation-token client for unit tests of modules that take an Octokit. */
export function testOctokit(): GitHubClient {
  return new TestOctokit({ auth: { token: 'test-token' } }) as unknown as GitHubClient;
}

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/webhooks/${name}.json`, import.meta.url), 'utf8')) as T;
}
