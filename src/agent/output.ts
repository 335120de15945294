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
    seen.add(print);
    const finding: Finding = {
      rule,
      severity: context.severity,
      source: 'agent',
      file: item.file,
      line: item.line,
      endLine,
      message: `${item.title}: ${item.message}`,
      evidence: item.rationale,
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
  return { findings, notes };
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
