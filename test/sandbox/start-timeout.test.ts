import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { MAX_START_SCALE, startTimeoutMs } from '../../src/sandbox/limits.js';

describe('the sandbox start limit', () => {
  it('is configurable: sandbox.start-timeout-seconds, 60 by default', () => {
    expect(validateConfig({}, 'test').sandbox['start-timeout-seconds']).toBe(60);
    expect(validateConfig({ sandbox: { 'start-timeout-seconds': 120 } }, 'test').sandbox['start-timeout-seconds']).toBe(120);
  });

  it('scales with the load per core, never below the configured value nor above its bound', () => {
    expect(startTimeoutMs(60, { loadavg: 0.3, cores: 2 })).toBe(60_000);
    expect(startTimeoutMs(60, { loadavg: 2, cores: 2 })).toBe(60_000);
    // Six runnable processes on two cores: three times as long.
    expect(startTimeoutMs(60, { loadavg: 6, cores: 2 })).toBe(180_000);
    expect(startTimeoutMs(60, { loadavg: 100, cores: 2 })).toBe(60_000 * MAX_START_SCALE);
    expect(startTimeoutMs(30, { loadavg: 3, cores: 0 })).toBe(30_000);
  });
});
