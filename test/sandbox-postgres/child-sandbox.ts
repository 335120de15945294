// Run by postgres-sandbox.test.ts as a separate process: opens a postgres sandbox, prints its database
// name and waits to be killed.
import { createPostgresSandbox } from '../../src/sandbox/postgres/index.js';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sandbox = await createPostgresSandbox({ url, statementTimeoutMs: 5000, memoryMb: 256, sweepOlderThanMs: false });
await sandbox.exec('create table t (id int)');
process.stdout.write(`${sandbox.database}\n`, () => {
  // PGPRO_CHILD_EXIT: end without closing the sandbox, as a crashing CLI would.
  if (process.env.PGPRO_CHILD_EXIT) process.exit(3);
});
setInterval(() => undefined, 60_000);
