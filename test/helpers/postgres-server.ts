// The real PostgreSQL server the server-engine tests (--sandbox-url) run on.
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';

export const SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A superuser connection for the calling test file: connected before its tests, closed after them. */
export function serverAdmin(): pg.Client {
  const admin = new pg.Client({ connectionString: SERVER_URL });
  beforeAll(() => admin.connect());
  afterAll(() => admin.end());
  return admin;
}

/** SERVER_URL logged in as `role` (with `password`; none under trust auth), on `database` if given. */
export function urlAs(role: string, password = '', database?: string): string {
  const parsed = new URL(SERVER_URL);
  parsed.username = role;
  parsed.password = password;
  if (database !== undefined) parsed.pathname = `/${database}`;
  return parsed.toString();
}
