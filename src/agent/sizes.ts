// Production sizes are the user's statement, never pgpro's measurement: a stats file they export from
// production (`psql --csv -c "select schemaname, relname, n_live_tup, pg_total_relation_size(relid) as
// total_bytes from pg_stat_user_tables"`, or JSON), or `explain.rows` in the config. Claude is told
// which, and that they are assumptions.
import type { TableSize } from './types.js';

const SCHEMA_KEYS = ['schemaname', 'schema', 'table_schema', 'nspname'];
const TABLE_KEYS = ['relname', 'table', 'table_name', 'tablename', 'name'];
const ROW_KEYS = ['n_live_tup', 'rows', 'reltuples', 'row_count', 'estimate', 'count'];
const BYTE_KEYS = ['total_bytes', 'bytes', 'size_bytes', 'pg_total_relation_size', 'total_relation_size'];

export interface StatsFile {
  sizes: Record<string, TableSize>;
  /** Lines or entries that could not be read, with why. */
  problems: string[];
}

function qualified(name: string, schema?: string): string {
  const clean = name.trim().replace(/^"|"$/g, '');
  if (schema) return `${schema.trim().replace(/^"|"$/g, '')}.${clean}`;
  return clean.includes('.') ? clean : `public.${clean}`;
}

function number(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value.replace(/[_,]/g, '')) : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.round(n) : undefined;
}

function pick(record: Record<string, unknown>, keys: string[]): unknown {
  for (const key of keys) {
    const found = Object.keys(record).find((k) => k.toLowerCase() === key);
    if (found !== undefined) return record[found];
  }
  return undefined;
}

function fromRecord(record: Record<string, unknown>, source: string, out: StatsFile, where: string): void {
  const table = pick(record, TABLE_KEYS);
  const rows = number(pick(record, ROW_KEYS));
  if (typeof table !== 'string' || !table.trim() || rows === undefined) {
    out.problems.push(`${where}: needs a table name and a row count`);
    return;
  }
  const schema = pick(record, SCHEMA_KEYS);
  const bytes = number(pick(record, BYTE_KEYS));
  out.sizes[qualified(table, typeof schema === 'string' && schema ? schema : undefined)] = { rows, ...(bytes !== undefined ? { bytes } : {}), source };
}

function splitCsvLine(line: string, delimiter: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** Reads a stats file: CSV (comma, tab or `|` separated, with a header) or JSON (a map or a list). */
export function parseProductionStats(path: string, content: string): StatsFile {
  const source = `the production stats file ${path}`;
  const out: StatsFile = { sizes: {}, problems: [] };
  const trimmed = content.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (error) {
      out.problems.push(`${path}: not valid JSON (${(error as Error).message})`);
      return out;
    }
    if (Array.isArray(json)) {
      json.forEach((entry, i) => {
        if (entry && typeof entry === 'object') fromRecord(entry as Record<string, unknown>, source, out, `${path} entry ${i + 1}`);
        else out.problems.push(`${path} entry ${i + 1}: not an object`);
      });
    } else if (json && typeof json === 'object') {
      for (const [table, value] of Object.entries(json as Record<string, unknown>)) {
        const rows = number(value);
        if (rows !== undefined) out.sizes[qualified(table)] = { rows, source };
        else if (value && typeof value === 'object') fromRecord({ table, ...(value as Record<string, unknown>) }, source, out, `${path} "${table}"`);
        else out.problems.push(`${path} "${table}": not a row count`);
      }
    }
    return out;
  }
  const lines = content.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt < 0) return out;
  const headerLine = lines[headerAt]!;
  const delimiter = headerLine.includes('\t') ? '\t' : headerLine.includes('|') && !headerLine.includes(',') ? '|' : ',';
  const header = splitCsvLine(headerLine, delimiter).map((h) => h.toLowerCase());
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim() || /^[-+\s]+$/.test(line) || /^\(\d+ rows?\)$/.test(line.trim())) continue;
    const cells = splitCsvLine(line, delimiter);
    const record = Object.fromEntries(header.map((h, j) => [h, cells[j] ?? '']));
    fromRecord(record, source, out, `${path}:${i + 1}`);
  }
  return out;
}
