// Real sandboxes as tests watch them: which were opened, and whether each was closed.
import type { Sandbox } from '../../src/sandbox/index.js';

/** `db`, with `entry.closed` set when it is closed. */
export function closeRecorded<T extends { closed: boolean }>(db: Sandbox, entry: T): Sandbox {
  const close = db.close.bind(db);
  db.close = () => {
    entry.closed = true;
    return close();
  };
  return db;
}
