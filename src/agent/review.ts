import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type {
  ContentBlock,
  MessageCreateParamsNonStreaming,
  MessageParam,
  ToolResultBlockParam,
  Usage,
} from '@anthropic-ai/sdk/resources/messages';
import { compareFindings } from '../finding.js';
import type { Finding } from '../types.js';
import { agentCacheKey } from './cache.js';
import { parseReviewText, REVIEW_OUTPUT_FORMAT, toFindings } from './output.js';
import { buildUserMessage, estimateTokens, PROMPT_VERSION, SYSTEM_PROMPT } from './prompt.js';
import { scrubSecrets } from './scrub.js';
import { runTool, TOOL_DEFINITIONS } from './tools.js';
import type { AgentDeps, AgentInput, AgentOptions, AgentResult, AgentUsage } from './types.js';

export const MISSING_KEY_NOTE = 'Claude review skipped: ANTHROPIC_API_KEY is not set.';
const DEFAULT_MAX_RETRIES = 2;

class DeadlineError extends Error {}

/** Rejects when the stage deadline passes, so a hanging tool or fix check cannot hold the review. */
function beforeDeadline<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new DeadlineError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new DeadlineError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function addUsage(total: AgentUsage, usage: Usage | undefined): void {
  if (!usage) return;
  total.inputTokens += (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  total.outputTokens += usage.output_tokens ?? 0;
}

/** A failure of the agent stage as a note the user can act on; never contains the key. */
function describeFailure(error: unknown, options: AgentOptions, deadlineHit: boolean): string {
  const seconds = Math.round(options.timeoutMs / 100) / 10;
  if (deadlineHit || error instanceof DeadlineError || error instanceof APIConnectionTimeoutError) {
    return `Claude review timed out after ${seconds}s (agent.timeout-seconds); the review completed without it.`;
  }
  if (error instanceof APIUserAbortError) return 'Claude review was cancelled; the review completed without it.';
  if (error instanceof APIConnectionError) {
    return `Claude review failed: could not reach the Anthropic API (${scrubSecrets(error.message)}); the review completed without it.`;
  }
  if (error instanceof APIError) {
    const retries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    const status = error.status;
    const retried = `after ${retries} ${retries === 1 ? 'retry' : 'retries'}`;
    if (status === 429) return `Claude review skipped: rate limited by the Anthropic API (429) ${retried}; the review completed without it.`;
    if (status === 529) return `Claude review skipped: the Anthropic API is overloaded (529) ${retried}; the review completed without it.`;
    if (status !== undefined && status >= 500) {
      return `Claude review skipped: the Anthropic API failed (${status}) ${retried}; the review completed without it.`;
    }
    if (status === 401 || status === 403) {
      return `Claude review skipped: the Anthropic API rejected the key (${status}); check ANTHROPIC_API_KEY.`;
    }
    return `Claude review failed: the Anthropic API rejected the request (${status ?? 'no status'}: ${scrubSecrets(error.message)}).`;
  }
  return `Claude review failed: ${scrubSecrets(error instanceof Error ? error.message : String(error))}; the review completed without it.`;
}

/**
 * The Claude review stage. Never throws: a missing key, an API failure, a timeout, a refusal or an
 * unusable answer become a note, and the review completes with the deterministic findings alone.
 * The deterministic findings in `input` are only read (shown to the model), never changed.
 */
export async function runAgentReview(input: AgentInput, options: AgentOptions, deps: AgentDeps = {}): Promise<AgentResult> {
  const usage: AgentUsage = { inputTokens: 0, outputTokens: 0, cached: false, toolCalls: 0 };
  if (!options.apiKey) return { findings: [], notes: [MISSING_KEY_NOTE], usage };
  if (input.migrations.length === 0) return { findings: [], notes: [], usage };

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const notes: string[] = [];
  try {
    return await review(input, options, deps, usage, notes, deadline.signal);
  } catch (error) {
    notes.push(describeFailure(error, options, deadline.signal.aborted));
    return { findings: [], notes, usage };
  } finally {
    clearTimeout(timer);
  }
}

async function review(
  input: AgentInput,
  options: AgentOptions,
  deps: AgentDeps,
  usage: AgentUsage,
  notes: string[],
  signal: AbortSignal,
): Promise<AgentResult> {
  const started = Date.now();
  const remainingMs = (): number => Math.max(1, options.timeoutMs - (Date.now() - started));
  const toolsOffered = deps.tools !== undefined && options.maxToolCalls > 0;

  const fixedTokens = estimateTokens(
    SYSTEM_PROMPT + (toolsOffered ? JSON.stringify(TOOL_DEFINITIONS) : '') + JSON.stringify(REVIEW_OUTPUT_FORMAT),
  );
  const user = buildUserMessage(input, Math.max(500, options.inputTokenBudget - fixedTokens));
  if (user.redacted.length) {
    notes.push(`Claude review: secrets were redacted from the prompt (${user.redacted.join(', ')}); keep secrets out of migrations.`);
  }
  if (user.omitted.length) {
    notes.push(
      `Claude review: to fit agent.input-token-budget (${options.inputTokenBudget} tokens) the prompt left out ${user.omitted.join('; ')}.`,
    );
  }

  const base: Omit<MessageCreateParamsNonStreaming, 'messages'> = {
    model: options.model,
    max_tokens: options.maxTokens,
    system: SYSTEM_PROMPT,
    ...(toolsOffered ? { tools: TOOL_DEFINITIONS, tool_choice: { type: 'auto' as const } } : {}),
    output_config: { format: REVIEW_OUTPUT_FORMAT },
  };
  // The breakpoint caches tools + system + this message across the tool-loop turns.
  const messages: MessageParam[] = [
    { role: 'user', content: [{ type: 'text', text: user.text, cache_control: { type: 'ephemeral' } }] },
  ];

  const key = agentCacheKey(options.model, PROMPT_VERSION, {
    ...base,
    messages,
    maxToolCalls: toolsOffered ? options.maxToolCalls : 0,
    severity: options.severity,
    verifiesFixes: deps.verifyFix !== undefined,
  });
  const hit = await deps.cache?.get(key).catch(() => undefined);
  if (hit) return { ...hit, usage: { ...hit.usage, cached: true } };

  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL || undefined, // undefined: the SDK reads ANTHROPIC_BASE_URL
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    timeout: options.timeoutMs,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });

  let repaired = false;
  // Each turn either runs tools (bounded by maxToolCalls) or ends; +2 leaves room for the
  // forced final answer and one repair.
  for (let turn = 0; turn < options.maxToolCalls + 3; turn++) {
    const toolBudgetLeft = usage.toolCalls < options.maxToolCalls;
    const request: MessageCreateParamsNonStreaming = {
      ...base,
      ...(toolsOffered && !toolBudgetLeft ? { tool_choice: { type: 'none' as const } } : {}),
      messages,
    };
    const response = await client.messages.create(request, { signal, timeout: remainingMs() });
    addUsage(usage, response.usage);

    if (response.stop_reason === 'refusal') {
      const category = response.stop_details?.category ? ` (${response.stop_details.category})` : '';
      notes.push(`Claude review: Claude declined to review this change${category}; the review completed without it.`);
      return { findings: [], notes, usage };
    }

    const toolUses = response.content.filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use');
    if (response.stop_reason === 'tool_use' && toolUses.length > 0) {
      messages.push({ role: 'assistant', content: response.content });
      const results: ToolResultBlockParam[] = [];
      for (const call of toolUses) {
        if (!deps.tools || usage.toolCalls >= options.maxToolCalls) {
          results.push({
            type: 'tool_result',
            tool_use_id: call.id,
            content: `Tool budget exhausted (${options.maxToolCalls} calls). Give your final answer now.`,
            is_error: true,
          });
          continue;
        }
        usage.toolCalls += 1;
        const outcome = await beforeDeadline(runTool(deps.tools, call.name, call.input), signal);
        results.push({ type: 'tool_result', tool_use_id: call.id, content: outcome.content, ...(outcome.isError ? { is_error: true } : {}) });
      }
      messages.push({ role: 'user', content: results });
      continue;
    }

    const text = response.content
      .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
      .map((b) => b.text)
      .join('');
    const parsed = parseReviewText(text);
    if (!parsed.ok) {
      const cutOff = response.stop_reason === 'max_tokens' ? ` It was cut off at max_tokens (${options.maxTokens}).` : '';
      if (!repaired) {
        repaired = true;
        if (response.content.length) messages.push({ role: 'assistant', content: response.content });
        messages.push({
          role: 'user',
          content:
            `Your answer could not be used: ${parsed.problem}.${cutOff} ` +
            'Reply with only the JSON object of the required schema, with concise texts.',
        });
        continue;
      }
      notes.push(`Claude review: the answer was unusable after one repair attempt (${parsed.problem}).${cutOff} No agent findings.`);
      return { findings: [], notes, usage };
    }

    const converted = toFindings(parsed.findings, { migrations: input.migrations, severity: options.severity });
    notes.push(...converted.notes);
    await verifyFixes(converted.findings, deps, signal, notes);
    const result: AgentResult = { findings: converted.findings.sort(compareFindings), notes, usage };
    if (parsed.summary) result.summary = parsed.summary;
    await deps.cache?.set(key, result).catch(() => notes.push('Claude review: the answer could not be cached.'));
    return result;
  }
  notes.push('Claude review: no final answer within the turn limit; no agent findings.');
  return { findings: [], notes, usage };
}

/** A fix with SQL is shown as verified only when the sandbox says it applies and the hazard is gone. */
async function verifyFixes(findings: Finding[], deps: AgentDeps, signal: AbortSignal, notes: string[]): Promise<void> {
  if (!deps.verifyFix) return;
  let unverified = 0;
  for (const finding of findings) {
    if (!finding.fix?.sql) continue;
    try {
      finding.fix.verified = signal.aborted ? false : await beforeDeadline(deps.verifyFix(finding), signal);
    } catch {
      finding.fix.verified = false;
      unverified += 1;
    }
  }
  if (unverified) notes.push(`Claude review: ${unverified} proposed fix(es) could not be checked in the sandbox.`);
}
