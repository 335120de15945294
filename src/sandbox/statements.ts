// What the sandbox needs to know about a statement's text before running it: transaction control,
// statements that refuse a transaction block, COPY FROM stdin, and where an error position falls.

/** Leading whitespace and comments, which Postgres ignores before the first keyword. */
function withoutLeadingComments(text: string): string {
  let rest = text;
  for (;;) {
    const trimmed = rest.trimStart();
    if (trimmed.startsWith('--')) {
      const end = trimmed.indexOf('\n');
      rest = end < 0 ? '' : trimmed.slice(end + 1);
    } else if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/');
      rest = end < 0 ? '' : trimmed.slice(end + 2);
    } else {
      return trimmed;
    }
  }
}

const TRANSACTION_START = /^(begin|start\s+transaction)\b/i;
const TRANSACTION_END = /^(commit|end|rollback|abort)\b/i;

/** BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK written in the migration itself. */
export function transactionControl(text: string): 'begin' | 'end' | undefined {
  const head = withoutLeadingComments(text);
  if (TRANSACTION_START.test(head)) return 'begin';
  // `ROLLBACK TO SAVEPOINT` / `COMMIT PREPARED` do not end the block.
  if (TRANSACTION_END.test(head) && !/^rollback\s+(work\s+|transaction\s+)?to\b/i.test(head) && !/^commit\s+prepared\b/i.test(head)) {
    return 'end';
  }
  return undefined;
}

const NO_TRANSACTION_BLOCK = [
  /^create\s+(unique\s+)?index\s+concurrently\b/i,
  /^drop\s+index\s+concurrently\b/i,
  // `REINDEX (CONCURRENTLY false)` is a plain REINDEX, which runs in a transaction block.
  /^reindex\b(?![^;]*\bconcurrently\s+('?)(false|off|0)\1\s*[,)])[^;]*\bconcurrently\b/i,
  /^reindex\s+(\([^)]*\)\s*)?(system|database)\b/i,
  /^cluster\s*$/i,
  /^(create|drop)\s+subscription\b/i,
  /^alter\s+subscription\b[^;]*\brefresh\s+publication\b/i,
  /^vacuum\b/i,
  /^(create|drop)\s+database\b/i,
  /^(create|drop)\s+tablespace\b/i,
  /^alter\s+system\b/i,
  /^alter\s+table\b[^;]*\bdetach\s+partition\b[^;]*\bconcurrently\b/i,
];

/** Statements Postgres refuses inside a transaction block (25001). */
export function needsAutocommit(text: string): boolean {
  const head = withoutLeadingComments(text);
  return NO_TRANSACTION_BLOCK.some((pattern) => pattern.test(head));
}

const COPY_FROM_STDIN = /^(copy\b[\s\S]*?\bfrom\s+)stdin\b/i;

/**
 * `COPY … FROM stdin` rewritten to read PGlite's query blob instead. Sent as is, PGlite waits for
 * stdin forever.
 */
export function copyFromBlob(text: string): string | undefined {
  const head = withoutLeadingComments(text);
  const match = COPY_FROM_STDIN.exec(head);
  if (!match) return undefined;
  return `${match[1]}'/dev/blob'${head.slice(match[0].length)}`;
}

/** A COPY from stdin (or the client side pstdin) with no data to give it. */
export function isCopyFromStdin(text: string): boolean {
  return /^copy\b[\s\S]*?\bfrom\s+p?stdin\b/i.test(withoutLeadingComments(text));
}

/** The 1-based file line of a 1-based character `position` inside `text`, which starts on `firstLine`. */
export function lineAtPosition(text: string, firstLine: number, position: number | undefined): number {
  if (!position || position < 1) return firstLine;
  const before = Array.from(text).slice(0, position - 1).join('');
  return firstLine + (before.match(/\n/g)?.length ?? 0);
}
