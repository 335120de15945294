// dbmate keeps both directions in one file: `-- migrate:up [transaction:false]`, then `-- migrate:down`.

export interface DbmateSection {
  sql: string;
  /** Lines of the file before the section's first line. */
  lineOffset: number;
}

export interface DbmateFile {
  up: DbmateSection;
  down?: DbmateSection;
  /** False when the up marker says `transaction:false`. */
  upInTransaction: boolean;
}

const UP = /^--\s*migrate:up\b(.*)$/;
const DOWN = /^--\s*migrate:down\b/;

export function hasDbmateMarkers(text: string): boolean {
  return /^--\s*migrate:up\b/m.test(text);
}

/** Splits a dbmate file into its sections, or undefined when it has no `-- migrate:up` line. */
export function splitDbmate(text: string): DbmateFile | undefined {
  const lines = text.split('\n');
  const upAt = lines.findIndex((l) => UP.test(l.replace(/\r$/, '')));
  if (upAt === -1) return undefined;
  const downAt = lines.findIndex((l) => DOWN.test(l.replace(/\r$/, '')));
  const section = (from: number, other: number): DbmateSection => {
    const to = other > from ? other : lines.length;
    return { sql: lines.slice(from + 1, to).join('\n'), lineOffset: from + 1 };
  };
  const options = UP.exec(lines[upAt]!.replace(/\r$/, ''))![1]!;
  const file: DbmateFile = { up: section(upAt, downAt), upInTransaction: !/\btransaction:\s*false\b/.test(options) };
  if (downAt !== -1) file.down = section(downAt, upAt);
  return file;
}
