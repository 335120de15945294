// The sandbox database's one session, with the client-side deadline on every request. The server's own
// statement_timeout normally ends a slow statement first; should the server not answer in time (a
// migration that turned the timeout off, a stuck backend) the admin connection cancels the backend,
// then terminates it, and the session is stopped for good.
import pg from 'pg';
import { SandboxQueryError, SandboxStoppedError, seconds, type StopReason } from '../worker-client.js';
import type { SandboxTimeBudget } from '../limits.js';
import { signalBackend } from './admin.js';

/** How long after the deadline the server gets to honour a cancel before the backend is terminated. */
const CANCEL_GRACE_MS = 2000;

export function toSandboxError(error: unknown): SandboxQueryError | undefined {
  if (!(error instanceof pg.DatabaseError)) return undefined;
  const position = error.position ? Number(error.position) : undefined;
  return new SandboxQueryError({
    message: error.message,
    ...(error.code ? { sqlstate: error.code } : {}),
    ...(error.detail ? { detail: error.detail } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
    ...(error.schema ? { schema: error.schema } : {}),
    ...(error.table ? { table: error.table } : {}),
    ...(error.column ? { column: error.column } : {}),
    ...(error.constraint ? { constraint: error.constraint } : {}),
    ...(position && Number.isFinite(position) ? { position } : {}),
  });
}

/** `COPY … FROM stdin` fed from a string: pg's Query asks its subclass for the data. */
class CopyFromString extends pg.Query {
  constructor(
    sql: string,
    private readonly data: string,
    callback: (error: Error | undefined) => void,
  ) {
    super(sql, undefined, callback);
  }

  handleCopyInResponse(connection: { sendCopyFromChunk(chunk: Buffer): void; endCopyFrom(): void }): void {
    if (this.data.length > 0) connection.sendCopyFromChunk(Buffer.from(this.data, 'utf8'));
    connection.endCopyFrom();
  }
}

export class SandboxSession {
  private stoppedWith: SandboxStoppedError | undefined;

  constructor(
    private readonly client: pg.Client,
    readonly pid: number,
    private readonly admin: pg.Client,
    private readonly onStop: (error: SandboxStoppedError) => void,
    private readonly budget?: SandboxTimeBudget,
  ) {
    client.on('error', (error) => this.stop('died', `the sandbox database connection failed: ${error.message}`));
    client.on('end', () => this.stop('died', 'the sandbox database connection ended'));
  }

  get stopped(): SandboxStoppedError | undefined {
    return this.stoppedWith;
  }

  stop(reason: StopReason, message: string): void {
    if (this.stoppedWith) return;
    this.stoppedWith = new SandboxStoppedError(reason, message);
    this.onStop(this.stoppedWith);
  }

  query(sql: string, params: unknown[] | undefined, timeoutMs: number): Promise<pg.QueryResult> {
    return this.request(() => this.client.query(sql, params), timeoutMs);
  }

  /** Simple-query protocol: several statements in one string run as one implicit transaction. */
  exec(sql: string, timeoutMs: number): Promise<unknown> {
    return this.request(() => this.client.query(sql), timeoutMs);
  }

  copyFrom(sql: string, data: string, timeoutMs: number): Promise<unknown> {
    return this.request(
      () =>
        new Promise<void>((resolve, reject) => {
          this.client.query(new CopyFromString(sql, data, (error) => (error ? reject(error) : resolve())));
        }),
      timeoutMs,
    );
  }

  async close(): Promise<void> {
    this.stop('closed', 'the sandbox was closed');
    await this.client.end().catch(() => undefined);
  }

  /** Stops the session and ends its backend now, whatever it is running (the review stopped it). */
  cancel(message: string): void {
    if (this.stoppedWith) return;
    this.stop('cancelled', message);
    void signalBackend(this.admin, this.pid, true).catch(() => undefined);
  }

  private async request<T>(send: () => Promise<T>, timeoutMs: number): Promise<T> {
    if (this.stoppedWith) throw this.stoppedWith;
    const budget = this.budget;
    if (budget && budget.remainingMs <= 0) {
      this.cancel(budget.message());
      throw this.stoppedWith!;
    }
    if (budget && budget.remainingMs < timeoutMs) {
      const timer = setTimeout(() => (budget.exhaust(), this.cancel(budget.message())), budget.remainingMs);
      const startedAt = performance.now();
      try {
        return await this.deadlined(send, timeoutMs);
      } finally {
        clearTimeout(timer);
        budget.charge(performance.now() - startedAt);
      }
    }
    const startedAt = performance.now();
    try {
      return await this.deadlined(send, timeoutMs);
    } finally {
      budget?.charge(performance.now() - startedAt);
    }
  }

  private async deadlined<T>(send: () => Promise<T>, timeoutMs: number): Promise<T> {
    const message = `statement did not finish within ${seconds(timeoutMs)}; the sandbox was stopped`;
    const sent = send();
    const settled = sent.then(
      () => true,
      () => true,
    );
    let deadlinePassed = false;
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        deadlinePassed = true;
        void (async () => {
          await signalBackend(this.admin, this.pid, false).catch(() => undefined);
          const answered = await Promise.race([settled, sleep(CANCEL_GRACE_MS).then(() => false)]);
          if (answered) return; // the cancelled request settles `sent`, which wins the race
          this.stop('timeout', message);
          await signalBackend(this.admin, this.pid, true).catch(() => undefined);
          reject(this.stoppedWith);
        })();
      }, timeoutMs);
    });
    try {
      return await Promise.race([sent, overrun]);
    } catch (error) {
      // Past the deadline the session is stopped even when the cancel worked: a deadline is a hard limit.
      if (deadlinePassed) this.stop('timeout', message);
      if (this.stoppedWith) throw this.stoppedWith;
      throw toSandboxError(error) ?? error;
    } finally {
      clearTimeout(timer);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
