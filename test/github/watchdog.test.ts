// The watchdog runs on its own thread: a main thread that never yields again is ended, with a log line,
// however long it takes the machine to get there; a main thread that keeps yielding is left alone.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

function run(script: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout }));
  });
}

describe('watchdog', () => {
  it('ends a process whose main thread stops responding, and says why', async () => {
    const result = await run(`
      import { startWatchdog } from './src/github/watchdog.ts';
      const dog = startWatchdog({ stallMs: 300, beatMs: 50 });
      dog.describe('reviewing acme/shop#7');
      await dog.ready;
      // Block the main thread for good, as a catastrophic regular expression would.
      for (;;) {}
    `);
    expect(result.signal).toBe('SIGKILL');
    const line = JSON.parse(result.stderr.trim().split('\n').at(-1)!) as { msg: string; activity: string };
    expect(line.msg).toMatch(/the main thread stopped responding/);
    expect(line.activity).toBe('reviewing acme/shop#7');
  }, 60_000);

  it('leaves a responsive process alone and stops cleanly', async () => {
    const result = await run(`
      import { startWatchdog } from './src/github/watchdog.ts';
      const dog = startWatchdog({ stallMs: 10_000, beatMs: 50 });
      await dog.ready;
      // Busy but yielding: many short tasks over several stall periods.
      let rounds = 0;
      await new Promise((resolve) => { const t = setInterval(() => { if (++rounds === 30) { clearInterval(t); resolve(); } }, 40); });
      await dog.stop();
      console.log('done');
    `);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('done');
  }, 60_000);
});
