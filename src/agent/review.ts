import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type {
  ContentBlock,
  Message,
  MessageCreateParamsNonStreaming,
  MessageParam,
  ToolResultBlockParam,
  Usage,
} from '@anthropic-ai/sdk/resources/messages';
import { compareFindings } from '../finding.js';
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
  total.inputTokens += usage.input_tokens ?? 0;
  total.outputTokens += usage.output_tokens ?? 0;
  total.cacheReadTokens = (total.cacheReadTokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  total.cacheWriteTokens = (total.cacheWriteTokens ?? 0) + (usage.cache_creation_input_tokens ?? 0);
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
  const usage: AgentUsage = { inputTokens: 0, outputTokens: 0, cached: false, toolCalls: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
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

/** What a turn's answer is, by its stop reason (every one the API documents, and an unknown one). */
type Turn =
  | { kind: 'tools'; calls: Extract<ContentBlock, { type: 'tool_use' }>[] }
  | { kind: 'answer'; text: string; cutOff?: 'max_tokens' | 'context' }
  | { kind: 'continue' }
  | { kind: 'refusal'; category?: string };

function classify(response: Message): Turn {
  const text = response.content
    .filter((b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text')
    .map((b) => b.text)
    .join('');
  const calls = response.content.filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use');
  switch (response.stop_reason) {
    case 'tool_use':
      return calls.length > 0 ? { kind: 'tools', calls } : { kind: 'answer', text };
    case 'refusal':
      return { kind: 'refusal', ...(response.stop_details?.category ? { category: response.stop_details.category } : {}) };
    case 'pause_turn':
      // The API paused a long turn: sending the assistant's content back lets it continue.
      return { kind: 'continue' };
    case 'max_tokens':
      return { kind: 'answer', text, cutOff: 'max_tokens' };
    case 'model_context_window_exceeded':
      return { kind: 'answer', text, cutOff: 'context' };
    case 'end_turn':
    case 'stop_sequence':
    default:
      return { kind: 'answer', text };
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
  const redacted = new Set(user.redacted.map((kind) => `${kind} (prompt)`));
  if (user.omitted.length) {
    notes.push(
      `Claude review: to fit agent.input-token-budget (${options.inputTokenBudget} tokens) the prompt left out ${user.omitted.join('; ')}.`,
    );
  }

  // One request shape for every turn: the tools, the system prompt and tool_choice never change, so
  // the cached prefix (tools + system, breakpoint on the system block) stays valid; the top-level
  // cache_control moves a second breakpoint to the end of each request, so a turn reads the turns
  // before it from the cache.
  const base: Omit<MessageCreateParamsNonStreaming, 'messages'> = {
    model: options.model,
    max_tokens: options.maxTokens,
    system: [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
    ...(toolsOffered ? { tools: TOOL_DEFINITIONS, tool_choice: { type: 'auto' as const } } : {}),
    output_config: { format: REVIEW_OUTPUT_FORMAT },
    cache_control: { type: 'ephemeral' },
  };
  const messages: MessageParam[] = [{ role: 'user', content: user.text }];

  // Keyed on the message without run-to-run noise (durations), so an identical change hits.
  const key = agentCacheKey(options.model, PROMPT_VERSION, {
    ...base,
    messages: [{ role: 'user', content: user.key }],
    maxToolCalls: toolsOffered ? options.maxToolCalls : 0,
    severity: options.severity,
  });
  const hit = await deps.cache?.get(key).catch(() => undefined);
  if (hit) {
    if (redacted.size) notes.push(redactionNote(redacted));
    return { ...hit, notes: [...notes, ...hit.notes], usage: { ...hit.usage, cached: true } };
  }

  const client = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL || undefined, // undefined: the SDK reads ANTHROPIC_BASE_URL
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    timeout: options.timeoutMs,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });

  const answerNotes: string[] = [];
  let repaired = false;
  // Each turn runs tools (bounded by maxToolCalls), continues a paused turn, or ends; the extra turns
  // leave room for the answer after the last tool call, one repair and a pause.
  for (let turn = 0; turn < options.maxToolCalls + 4; turn++) {
    const response = await client.messages.create({ ...base, messages }, { signal, timeout: remainingMs() });
    addUsage(usage, response.usage);
    const outcome = classify(response);

    if (outcome.kind === 'refusal') {
      notes.push(`Claude review: Claude declined to review this change${outcome.category ? ` (${outcome.category})` : ''}; the review completed without it.`);
      return finish();
    }
    if (outcome.kind === 'continue') {
      messages.push({ role: 'assistant', content: response.content });
      continue;
    }
    if (outcome.kind === 'tools') {
      messages.push({ role: 'assistant', content: response.content });
      const results: ToolResultBlockParam[] = [];
      for (const call of outcome.calls) {
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
        const result = await beforeDeadline(runTool(deps.tools, call.name, call.input), signal);
        result.redacted.forEach((kind) => redacted.add(`${kind} (${call.name} result)`));
        results.push({ type: 'tool_result', tool_use_id: call.id, content: result.content, ...(result.isError ? { is_error: true } : {}) });
      }
      messages.push({ role: 'user', content: results });
      continue;
    }

    const parsed = parseReviewText(outcome.text);
    if (!parsed.ok) {
      if (outcome.cutOff === 'context') {
        // A repair turn would only be longer: stop here.
        notes.push(
          `Claude review: the conversation reached the model's context window (${usage.inputTokens + (usage.cacheReadTokens ?? 0) + (usage.cacheWriteTokens ?? 0)} input tokens so far) before an answer was complete; no agent findings. Lower agent.input-token-budget or agent.max-tool-calls.`,
        );
        return finish();
      }
      const cutOff = outcome.cutOff === 'max_tokens' ? ` It was cut off at max_tokens (${options.maxTokens}).` : '';
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
      return finish();
    }

    const converted = toFindings(parsed.findings, {
      migrations: input.migrations,
      severity: options.severity,
      deterministic: user.findingIds,
    });
    answerNotes.push(...converted.notes);
    const result: AgentResult = { findings: converted.findings.sort(compareFindings), notes: answerNotes, usage: { ...usage } };
    if (parsed.summary) result.summary = parsed.summary;
    await deps.cache?.set(key, result).catch(() => notes.push('Claude review: the answer could not be cached.'));
    return { ...result, notes: [...finish().notes, ...answerNotes] };
  }
  notes.push('Claude review: no final answer within the turn limit; no agent findings.');
  return finish();

  function finish(): AgentResult {
    if (redacted.size) notes.push(redactionNote(redacted));
    return { findings: [], notes, usage };
  }
}

/** Says what was withheld from Claude, and where it was found (never the values). */
function redactionNote(kinds: Set<string>): string {
  return `Claude review: secrets were withheld from Claude: ${[...kinds].sort().join(', ')}. Keep secrets out of migrations and their data.`;
}
