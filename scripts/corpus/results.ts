// What the corpus harness writes (one JSON file per entry) and the pure functions over it: the
// pgpro-vs-oracle difference, the summary table and the before/after comparison of two runs.
import type { Severity } from '../../src/types.js';

export interface FileError {
  message: string;
  line: number;
  sqlstate?: string;
}

export interface FileResult {
  file: string;
  status: 'applied' | 'failed' | 'skipped' | 'not-run';
  error?: FileError;
  durationMs?: number;
}

export interface PrFinding {
  rule: string;
  severity: Severity;
  source: string;
  line: number;
  /** First 200 characters. */
  message: string;
  /** The fix proof's verdict on the finding's SQL fix, when it had one. */
  fixProof?: { reason: string; detail?: string };
  /** With --full: the whole message, the evidence and the fix, for reading findings against the SQL. */
  full?: { message: string; evidence?: string; fix?: { title: string; sql?: string; steps?: string[]; verified?: boolean } };
}

export interface PrReview {
  file: string;
  wallMs: number;
  conclusion?: string;
  /** The new file's status in the review, and why it failed or did not run. */
  status?: FileResult['status'];
  error?: FileError;
  /** History files the review restored from the snapshot cache instead of replaying. */
  restored: number;
  /** History files that did not apply in this review. */
  historyNotApplied: number;
  findings: PrFinding[];
  notes: string[];
  /** review() threw (the sandbox could not start …). */
  failure?: string;
}

export interface EntryResult {
  name: string;
  repo: string;
  commit: string;
  path: string;
  tool: string;
  /** Migrations pgpro discovered, in apply order. */
  migrations: string[];
  discoveryNotes: string[];
  replay?: { files: FileResult[]; notes: string[]; wallMs: number; failure?: string };
  oracle?: { files: FileResult[]; serverVersion: string; setupError?: string; rolesDropped: string[]; durationMs: number } | { failure: string };
  prs?: PrReview[];
}

export const applied = (files: readonly FileResult[]) => files.filter((f) => f.status === 'applied').length;

export interface OracleDiff {
  /** Files real PostgreSQL applies and pgpro does not (the goal is none), with pgpro's reason. */
  pgOnly: FileResult[];
  /** Files pgpro applies and real PostgreSQL does not, with the server's reason. */
  pgproOnly: FileResult[];
}

export function oracleDiff(pgpro: readonly FileResult[], oracle: readonly FileResult[]): OracleDiff {
  const byFile = (files: readonly FileResult[]) => new Map(files.map((f) => [f.file, f]));
  const mine = byFile(pgpro);
  const theirs = byFile(oracle);
  const files = [...new Set([...pgpro.map((f) => f.file), ...oracle.map((f) => f.file)])];
  const missing = (file: string): FileResult => ({ file, status: 'not-run', error: { message: 'not in this run', line: 0 } });
  return {
    pgOnly: files.filter((f) => theirs.get(f)?.status === 'applied' && mine.get(f)?.status !== 'applied').map((f) => mine.get(f) ?? missing(f)),
    pgproOnly: files.filter((f) => mine.get(f)?.status === 'applied' && theirs.get(f)?.status !== 'applied').map((f) => theirs.get(f) ?? missing(f)),
  };
}

type Counts = Record<Severity, number>;
const SEVERITIES: Severity[] = ['error', 'warning', 'info'];

export function severityCounts(findings: readonly PrFinding[]): Counts {
  const counts: Counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const cell = (value: string | number | undefined) => (value === undefined ? '–' : String(value));
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : (ms / 1000).toFixed(1));

export interface SummaryRow {
  name: string;
  tool: string;
  files: number;
  pgproApplied?: number;
  oracleApplied?: number;
  pgOnly?: number;
  pgproOnly?: number;
  prs?: number;
  prCounts?: Counts;
  prNotApplied?: number;
  /** Of those, the files the real server applies: failures pgpro invented. */
  prNotAppliedPgApplies?: number;
  medianWallMs?: number;
  maxWallMs?: number;
}

export function summaryRow(result: EntryResult): SummaryRow {
  const row: SummaryRow = { name: result.name, tool: result.tool, files: result.migrations.length };
  if (result.replay) row.pgproApplied = applied(result.replay.files);
  if (result.oracle && 'files' in result.oracle) {
    row.oracleApplied = applied(result.oracle.files);
    if (result.replay) {
      const diff = oracleDiff(result.replay.files, result.oracle.files);
      row.pgOnly = diff.pgOnly.length;
      row.pgproOnly = diff.pgproOnly.length;
    }
  }
  if (result.prs) {
    row.prs = result.prs.length;
    row.prCounts = severityCounts(result.prs.flatMap((p) => p.findings));
    const notApplied = result.prs.filter((p) => p.status !== 'applied');
    row.prNotApplied = notApplied.length;
    if (result.oracle && 'files' in result.oracle) {
      const pgApplied = new Set(result.oracle.files.filter((f) => f.status === 'applied').map((f) => f.file));
      row.prNotAppliedPgApplies = notApplied.filter((p) => pgApplied.has(p.file)).length;
    }
    const walls = result.prs.filter((p) => !p.failure).map((p) => p.wallMs);
    row.medianWallMs = median(walls);
    row.maxWallMs = walls.length ? Math.max(...walls) : undefined;
  }
  return row;
}

const notApplied = (count: number | undefined, pgApplies: number | undefined) =>
  count === undefined ? '–' : pgApplies === undefined ? String(count) : `${count} (${pgApplies})`;

/** The markdown table printed after a run. */
export function renderSummary(results: readonly EntryResult[]): string {
  const lines = [
    '| history | tool | files | pgpro applied | PG applied | PG-only | pgpro-only | PRs | PR file not applied (PG applies it) | PR findings e/w/i | PR wall median / max (s) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  const total: Required<Pick<SummaryRow, 'files' | 'pgproApplied' | 'oracleApplied' | 'pgOnly' | 'pgproOnly' | 'prs' | 'prNotApplied' | 'prNotAppliedPgApplies'>> & { counts: Counts } = {
    files: 0, pgproApplied: 0, oracleApplied: 0, pgOnly: 0, pgproOnly: 0, prs: 0, prNotApplied: 0, prNotAppliedPgApplies: 0, counts: { error: 0, warning: 0, info: 0 },
  };
  for (const result of results) {
    const r = summaryRow(result);
    total.files += r.files;
    total.pgproApplied += r.pgproApplied ?? 0;
    total.oracleApplied += r.oracleApplied ?? 0;
    total.pgOnly += r.pgOnly ?? 0;
    total.pgproOnly += r.pgproOnly ?? 0;
    total.prs += r.prs ?? 0;
    total.prNotApplied += r.prNotApplied ?? 0;
    total.prNotAppliedPgApplies += r.prNotAppliedPgApplies ?? 0;
    for (const s of SEVERITIES) total.counts[s] += r.prCounts?.[s] ?? 0;
    lines.push(
      `| ${r.name} | ${r.tool} | ${r.files} | ${cell(r.pgproApplied)} | ${cell(r.oracleApplied)} | ${cell(r.pgOnly)} | ${cell(r.pgproOnly)} | ${cell(r.prs)} | ${notApplied(r.prNotApplied, r.prNotAppliedPgApplies)} | ${
        r.prCounts ? SEVERITIES.map((s) => r.prCounts![s]).join('/') : '–'
      } | ${cell(seconds(r.medianWallMs))} / ${cell(seconds(r.maxWallMs))} |`,
    );
  }
  if (results.length > 1) {
    lines.push(
      `| **total** | | ${total.files} | ${total.pgproApplied} | ${total.oracleApplied} | ${total.pgOnly} | ${total.pgproOnly} | ${total.prs} | ${notApplied(total.prNotApplied, total.prNotAppliedPgApplies)} | ${SEVERITIES.map((s) => total.counts[s]).join('/')} | |`,
    );
  }
  return lines.join('\n');
}

export interface EntryComparison {
  name: string;
  pgproApplied: [number | undefined, number | undefined];
  oracleApplied: [number | undefined, number | undefined];
  pgOnly: [number | undefined, number | undefined];
  /** PR files whose counts or rules changed. */
  files: { file: string; before?: Counts; after?: Counts; rulesAdded: string[]; rulesRemoved: string[] }[];
}

function rulesOf(review: PrReview | undefined): Set<string> {
  return new Set((review?.findings ?? []).filter((f) => f.severity !== 'info').map((f) => `${f.rule} (${f.severity})`));
}

/** Before/after of two runs, entry by entry (entries in either run). */
export function compareRuns(before: readonly EntryResult[], after: readonly EntryResult[]): EntryComparison[] {
  const names = [...new Set([...before.map((r) => r.name), ...after.map((r) => r.name)])];
  return names.map((name) => {
    const b = before.find((r) => r.name === name);
    const a = after.find((r) => r.name === name);
    const rb = b ? summaryRow(b) : undefined;
    const ra = a ? summaryRow(a) : undefined;
    const files = [...new Set([...(b?.prs ?? []), ...(a?.prs ?? [])].map((p) => p.file))];
    return {
      name,
      pgproApplied: [rb?.pgproApplied, ra?.pgproApplied],
      oracleApplied: [rb?.oracleApplied, ra?.oracleApplied],
      pgOnly: [rb?.pgOnly, ra?.pgOnly],
      files: files.flatMap((file) => {
        const pb = b?.prs?.find((p) => p.file === file);
        const pa = a?.prs?.find((p) => p.file === file);
        const rulesBefore = rulesOf(pb);
        const rulesAfter = rulesOf(pa);
        const entry = {
          file,
          ...(pb ? { before: severityCounts(pb.findings) } : {}),
          ...(pa ? { after: severityCounts(pa.findings) } : {}),
          rulesAdded: [...rulesAfter].filter((r) => !rulesBefore.has(r)).sort(),
          rulesRemoved: [...rulesBefore].filter((r) => !rulesAfter.has(r)).sort(),
        };
        const same = pb && pa && SEVERITIES.every((s) => entry.before![s] === entry.after![s]) && entry.rulesAdded.length === 0 && entry.rulesRemoved.length === 0;
        return same ? [] : [entry];
      }),
    };
  });
}

export function renderComparison(comparisons: readonly EntryComparison[], labels: [string, string]): string {
  const pair = ([x, y]: [number | undefined, number | undefined]) => `${cell(x)} → ${cell(y)}`;
  const counts = (c: Counts | undefined) => (c ? SEVERITIES.map((s) => c[s]).join('/') : '–');
  const out = [
    `## ${labels[0]} → ${labels[1]}`,
    '',
    '| history | pgpro applied | PG applied | PG-only | PR files changed |',
    '|---|---|---|---|---:|',
    ...comparisons.map((c) => `| ${c.name} | ${pair(c.pgproApplied)} | ${pair(c.oracleApplied)} | ${pair(c.pgOnly)} | ${c.files.length} |`),
  ];
  const changed = comparisons.filter((c) => c.files.length > 0);
  if (changed.length > 0) {
    out.push('', '| history | PR file | e/w/i before → after | error/warning rules added | removed |', '|---|---|---|---|---|');
    for (const c of changed) {
      for (const f of c.files) {
        out.push(`| ${c.name} | ${f.file} | ${counts(f.before)} → ${counts(f.after)} | ${f.rulesAdded.join(', ')} | ${f.rulesRemoved.join(', ')} |`);
      }
    }
  }
  return out.join('\n');
}
