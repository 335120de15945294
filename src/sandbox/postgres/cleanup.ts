// Best-effort removal of this process's sandbox databases when the process ends without closing them:
// SIGINT/SIGTERM drop them before the signal takes its course; a plain exit drops them from a short
// synchronous child process (an 'exit' handler cannot wait for I/O). SIGKILL leaves them behind for
// the sweep. Handlers are installed only while at least one sandbox database exists.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect, dropDatabase } from './admin.js';

interface LiveDatabase {
  url: string;
  versionNum: number;
}

const live = new Map<string, LiveDatabase>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let installed = false;

export function liveSandboxDatabases(): ReadonlySet<string> {
  return new Set(live.keys());
}

export function trackDatabase(name: string, url: string, versionNum: number): void {
  live.set(name, { url, versionNum });
  if (!installed) install();
}

export function untrackDatabase(name: string): void {
  live.delete(name);
  if (live.size === 0 && installed) uninstall();
}

function install(): void {
  installed = true;
  for (const signal of SIGNALS) process.once(signal, onSignal);
  process.on('exit', onExit);
}

function uninstall(): void {
  installed = false;
  for (const signal of SIGNALS) process.removeListener(signal, onSignal);
  process.removeListener('exit', onExit);
}

async function dropAll(): Promise<void> {
  await Promise.all(
    [...live].map(async ([name, db]) => {
      const admin = await connect(db.url, 'pgpro-cleanup').catch(() => undefined);
      if (!admin) return;
      try {
        await dropDatabase(admin, name, db.versionNum);
        live.delete(name);
      } catch {
        // the sweep gets it later
      } finally {
        await admin.end().catch(() => undefined);
      }
    }),
  );
}

function onSignal(signal: NodeJS.Signals): void {
  const deadline = setTimeout(() => undefined, 5000); // keeps the loop alive while dropping
  void dropAll().finally(() => {
    clearTimeout(deadline);
    uninstall();
    // With our handler gone, re-raising gives the signal its usual effect (or other handlers theirs).
    process.kill(process.pid, signal);
  });
}

const DROP_SCRIPT = `
const pg = require(process.argv[1]);
let input = '';
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', async () => {
  for (const { url, name, versionNum } of JSON.parse(input)) {
    if (!/^pgpro_sbx_\\d{14}_[0-9a-f]{8}$/.test(name)) continue;
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      const quoted = '"' + name + '"';
      if (versionNum >= 130000) await client.query('drop database if exists ' + quoted + ' with (force)');
      else {
        await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
        await client.query('drop database if exists ' + quoted);
      }
    } catch {}
    await client.end().catch(() => {});
  }
});`;

function onExit(): void {
  if (live.size === 0) return;
  const entries = [...live].map(([name, db]) => ({ name, url: db.url, versionNum: db.versionNum }));
  live.clear();
  const pgPath = createRequire(import.meta.url).resolve('pg');
  // The URL goes through stdin, not argv: it may hold a password.
  spawnSync(process.execPath, ['-e', DROP_SCRIPT, pgPath], { input: JSON.stringify(entries), timeout: 10_000, stdio: ['pipe', 'ignore', 'ignore'] });
}
