import { z } from 'zod';
import { transformJSONSchema } from '@anthropic-ai/sdk/lib/transform-json-schema';
import type { JSONOutputFormat } from '@anthropic-ai/sdk/resources/messages';
import { fingerprint } from '../finding.js';
import type { Finding, Severity } from '../types.js';
import type { AgentMigration } from './types.js';

// What the model must answer, as a zod schema. It is sent as a structured-output JSON schema
// (output_config.format) and every answer is validated against it again here: the API's
// constrained decoding drops constraints it cannot express (ranges, patterns), zod does not.

export const agentFindingSchema = z.object({
  file: z.string().min(1).describe('Path of the migration file, exactly as given in <migration file="…">.'),
  line: z.number().int().min(1).max(1_000_000).describe('1-based file line number where the problem starts, as numbered in the prompt.'),
  endLine: z.number().int().min(1).max(1_000_000).optional().describe('Last line of the problem, when it spans several lines.'),
  topic: z
    .string()
    .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
    .describe('Short kebab-case topic, e.g. "missing-fk-index", "unbatched-backfill", "enum-vs-lookup-table".'),
  severity: z
    .enum(['error', 'warning', 'info'])
    .optional()
    .describe('Your view of the impact; the configured policy decides the reported severity.'),
  title: z.string().min(1).describe('One line: what is wrong.'),
  message: z.string().min(1).describe('What happens in production, to which table, what it blocks or risks.'),
  rationale: z
    .string()
    .min(1)
    .describe('The evidence: quote the migration lines, findings, schema rows or tool results you relied on.'),
  confidence: z.number().min(0).max(1).describe('0..1: how sure you are, given the evidence.'),
  extends: z
    .string()
    .describe('Id of the deterministic finding this point builds on, e.g. "F3", or "" when it is independent of all of them.'),
  adds: z
    .string()
    .optional()
    .describe('When "extends" is set: what this point adds that the finding does not already say.'),
  fix: z
    .object({
      title: z.string().min(1),
      sql: z.string().optional().describe('Replacement SQL for the lines line..endLine, when the fix is a direct replacement.'),
      steps: z.array(z.string()).optional().describe('Rollout steps when the fix is a process (expand/contract, batches).'),
    })
    .optional(),
});

export const reviewOutputSchema = z.object({
  summary: z.string().describe('Two or three sentences: the overall assessment of the change.'),
  findings: z.array(agentFindingSchema),
});

export type AgentFindingOutput = z.infer<typeof agentFindingSchema>;

/** Inline (no $ref) so every optional field keeps its description; constraints the API cannot
 * enforce are moved into descriptions by the SDK's transform. */
export const REVIEW_OUTPUT_FORMAT: JSONOutputFormat = {
  type: 'json_schema',
  schema: transformJSONSchema(z.toJSONSchema(reviewOutputSchema) as Record<string, unknown>),
};

export type ParsedReview =
  | { ok: true; summary: string; findings: unknown[] }
  | { ok: false; problem: string };

/** The answer's outer shape: valid JSON with a findings array. Single findings are checked later. */
export function parseReviewText(text: string): ParsedReview {
  let json: unknown;
  try {
    json = JSON.parse(stripCodeFence(text));
  } catch (error) {
    return { ok: false, problem: `the answer is not valid JSON (${(error as Error).message})` };
  }
  const outer = z.object({ summary: z.string().optional(), findings: z.array(z.unknown()) }).safeParse(json);
  if (!outer.success) {
    return { ok: false, problem: `the answer does not match the schema: ${outer.error.issues.map(describeIssue).join('; ')}` };
  }
  return { ok: true, summary: outer.data.summary ?? '', findings: outer.data.findings };
}

function stripCodeFence(text: string): string {
  const trimmed = text.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n```$/.exec(trimmed);
  return fenced?.[1] ?? trimmed;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return `${issue.path.join('.') || '(root)'}: ${issue.message}`;
}

export interface ConvertContext {
  migrations: AgentMigration[];
  severity: Severity;
  /** The deterministic findings by the id the prompt gave them (F1, F2…). */
  deterministic?: ReadonlyMap<string, Finding>;
}

/**
 * Turns validated model findings into pipeline Findings. Drops (with a note) findings that fail the
 * schema, name a file that was not in the input, or point at a line the file does not have.
 * The severity is always the configured policy: nothing the model says can raise or lower it.
 */
export function toFindings(raw: unknown[], context: ConvertContext): { findings: Finding[]; notes: string[] } {
  const notes: string[] = [];
  const findings: Finding[] = [];
  const files = new Map(context.migrations.map((m) => [m.file, m]));
  const seen = new Set<string>();
  const restated: string[] = [];
  raw.forEach((candidate, index) => {
    const parsed = agentFindingSchema.safeParse(normalizeTopic(candidate));
    if (!parsed.success) {
      notes.push(`Claude review: finding #${index + 1} dropped, invalid: ${parsed.error.issues.map(describeIssue).join('; ')}.`);
      return;
    }
    const item = parsed.data;
    const migration = files.get(item.file);
    if (!migration) {
      notes.push(`Claude review: finding "${item.title}" dropped: ${item.file} is not one of the reviewed migrations.`);
      return;
    }
    const fileLines = migration.lineOffset + lineCount(migration.sql);
    const endLine = Math.max(item.line, item.endLine ?? item.line);
    if (item.line <= migration.lineOffset || endLine > fileLines) {
      notes.push(
        `Claude review: finding "${item.title}" dropped: ${item.file} has no line ${item.line > fileLines || item.line <= migration.lineOffset ? item.line : endLine} in its migration SQL (lines ${migration.lineOffset + 1}-${fileLines}).`,
      );
      return;
    }
    const rule = `agent/${item.topic}`;
    const statementText = sqlLines(migration, item.line, endLine);
    const print = fingerprint(rule, item.file, statementText);
    if (seen.has(print)) return;
    const related = relatedFinding(item, endLine, context.deterministic);
    if (related.restates) {
      restated.push(`${item.topic} (restates ${related.restates.rule} at line ${related.restates.line})`);
      return;
    }
    seen.add(print);
    const extended = related.extends;
    const finding: Finding = {
      rule,
      severity: context.severity,
      source: 'agent',
      file: item.file,
      line: item.line,
      endLine,
      message: extended
        ? `${item.title} (builds on ${extended.rule} at line ${extended.line}): ${item.message}`
        : `${item.title}: ${item.message}`,
      evidence: extended && item.adds?.trim() ? `Adds to ${extended.rule}: ${item.adds.trim()}\n${item.rationale}` : item.rationale,
      fingerprint: print,
      confidence: item.confidence,
    };
    if (item.fix) {
      finding.fix = { title: item.fix.title };
      if (item.fix.sql) finding.fix.sql = item.fix.sql;
      if (item.fix.steps?.length) finding.fix.steps = item.fix.steps;
    }
    findings.push(finding);
  });
  if (restated.length) {
    notes.push(`Claude review: ${restated.length} point(s) dropped because they only restate a deterministic finding: ${restated.join(', ')}.`);
  }
  return { findings, notes };
}

// ---- restatements -----------------------------------------------------------------------------

/**
 * Words that carry a topic's meaning, with synonyms folded together: "missing-fk-index" and
 * "foreign-key-without-index" both become {fk, index}; "timestamp-without-time-zone" and
 * "prefer-timestamptz" share {tz}.
 */
const SYNONYMS: Record<string, string> = {
  foreign: 'fk', key: 'fk', keys: 'fk', fkey: 'fk', references: 'fk', reference: 'fk',
  idx: 'index', indexes: 'index', indices: 'index', indexed: 'index', unindexed: 'index',
  timestamptz: 'tz', zone: 'tz', timezone: 'tz', tz: 'tz',
  concurrently: 'concurrent', concurrent: 'concurrent',
  required: 'notnull', nullable: 'notnull', null: 'notnull', notnull: 'notnull',
  locks: 'lock', locking: 'lock', exclusive: 'lock', blocking: 'lock', blocks: 'lock',
  timeouts: 'timeout', rewrites: 'rewrite', rewriting: 'rewrite',
  varchar: 'text', char: 'text', bigserial: 'bigint', int: 'bigint', integer: 'bigint', int4: 'bigint', serial: 'bigint',
  renaming: 'rename', renamed: 'rename', dropping: 'drop', dropped: 'drop',
  backfills: 'backfill', batch: 'backfill', batched: 'backfill', batches: 'backfill', unbatched: 'backfill',
  validate: 'valid', validation: 'valid', validated: 'valid',
};
const NOISE = new Set([
  'missing', 'without', 'no', 'not', 'prefer', 'require', 'requires', 'add', 'adding', 'added', 'ban', 'use', 'using',
  'field', 'column', 'columns', 'table', 'tables', 'new', 'the', 'a', 'an', 'of', 'on', 'in', 'with', 'over', 'time',
  'statement', 'statements', 'settings', 'setting', 'constraint', 'type', 'one', 'large', 'full', 'whole', 'agent',
]);

function topicWords(topic: string): Set<string> {
  const words = new Set<string>();
  for (const word of topic.toLowerCase().split(/[^a-z0-9]+/)) {
    if (!word || NOISE.has(word)) continue;
    words.add(SYNONYMS[word] ?? word);
  }
  return words;
}

/** How alike two topics are: the share of their meaningful words they have in common (Jaccard). */
function topicSimilarity(a: string, b: string): number {
  const x = topicWords(a);
  const y = topicWords(b);
  if (x.size === 0 || y.size === 0) return 0;
  const common = [...x].filter((w) => y.has(w)).length;
  return common / (x.size + y.size - common);
}

function sameSql(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const norm = (s: string) => s.replace(/--[^\n]*/g, ' ').replace(/\s+/g, ' ').replace(/\s*;\s*$/, '').trim().toLowerCase();
  return norm(a) === norm(b);
}

/**
 * How a model finding relates to the deterministic ones on its lines: it restates one (same topic or
 * same fix, and says nothing it adds), or it extends the one it names. Restatements are dropped.
 */
function relatedFinding(
  item: AgentFindingOutput,
  endLine: number,
  deterministic: ReadonlyMap<string, Finding> | undefined,
): { restates?: Finding; extends?: Finding } {
  if (!deterministic || deterministic.size === 0) return {};
  const named = item.extends.trim() ? deterministic.get(item.extends.trim().toUpperCase()) : undefined;
  const adds = item.adds?.trim() ?? '';
  if (named) {
    if (adds.length < 12 || sameSql(item.fix?.sql, named.fix?.sql)) return { restates: named };
    return { extends: named };
  }
  // The closest finding on the same lines: same fix, or a topic that shares at least half its words.
  let best: { finding: Finding; score: number } | undefined;
  for (const finding of deterministic.values()) {
    if (finding.file !== item.file || finding.line > endLine || item.line > finding.endLine) continue;
    const score = sameSql(item.fix?.sql, finding.fix?.sql) ? 2 : topicSimilarity(item.topic, finding.rule);
    if (score >= 0.5 && (!best || score > best.score)) best = { finding, score };
  }
  return best ? { restates: best.finding } : {};
}

/** A topic like "Missing FK index" becomes "missing-fk-index" rather than failing the finding. */
function normalizeTopic(candidate: unknown): unknown {
  if (candidate === null || typeof candidate !== 'object' || !('topic' in candidate)) return candidate;
  const topic = (candidate as { topic: unknown }).topic;
  if (typeof topic !== 'string') return candidate;
  const kebab = topic
    .toLowerCase()
    .replace(/^agent\//, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return { ...candidate, topic: kebab };
}

export function lineCount(sql: string): number {
  if (sql.length === 0) return 0;
  const lines = sql.split('\n');
  return sql.endsWith('\n') ? lines.length - 1 : lines.length;
}

function sqlLines(migration: AgentMigration, line: number, endLine: number): string {
  const lines = migration.sql.split('\n');
  return lines.slice(line - migration.lineOffset - 1, endLine - migration.lineOffset).join('\n');
}
