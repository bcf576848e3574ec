import type { NoteScore } from '../contracts/record.ts';
import {
  buildUserPrompt,
  checkScorerAnswer,
  emptyNoteScore,
  PROMPT_VERSION,
  repairInstruction,
  SCORE_TOOL_DESCRIPTION,
  SCORE_TOOL_NAME,
  SCORE_TOOL_SCHEMA,
  SYSTEM_PROMPT,
  toNoteScore,
  type AnswerCheck,
} from '../domain/scoring/rubric.ts';
import {
  InvalidScorerAnswerError,
  RetryableScorerError,
  type NoteScorer,
} from '../ports/noteScorer.ts';

/**
 * Note scoring on an OpenAI-compatible chat completions endpoint: a hospital's own LLM server
 * (vLLM, llama.cpp server, Ollama, LM Studio, ...). Same rubric, prompt and validation as the
 * Bedrock scorer. Two ways to force the structured answer, because servers differ in what they
 * support: `tools` (a function the model must call) or `json_schema` (response_format).
 */

/** The scorer id an OpenAI-compatible model scores under. */
export const openAiScorerId = (model: string): string => `openai-compatible:${model}`;

export interface OpenAiScorerOptions {
  /** Base URL including the API prefix, e.g. `http://10.0.0.5:8000/v1`. */
  baseUrl: string;
  model: string;
  /** Sent as a Bearer token when set; a local server often needs none. */
  apiKey?: string;
  mode?: 'tools' | 'json_schema';
  /** Per request; a timeout is retried through the queue. */
  timeoutMs?: number;
  maxTokens?: number;
  /** For tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

interface ToolCall {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: unknown };
}

interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string | null;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

interface ChatResponse {
  choices?: Array<{ message?: ChatMessage; finish_reason?: string }>;
}

function readAnswer(body: ChatResponse, note: string, mode: 'tools' | 'json_schema'): AnswerCheck {
  const choice = body.choices?.[0];
  const message = choice?.message;
  if (message === undefined) return { ok: false, reason: 'answer has no choices[0].message' };
  if (choice?.finish_reason === 'length')
    return { ok: false, reason: 'answer cut off at max_tokens' };
  if (mode === 'tools') {
    const call = message.tool_calls?.find((c) => c.function?.name === SCORE_TOOL_NAME);
    if (call !== undefined) return checkScorerAnswer(call.function?.arguments, note);
    // Some servers ignore tool_choice and answer in the content; the same checks apply.
    if (typeof message.content === 'string' && message.content.trim().startsWith('{')) {
      return checkScorerAnswer(message.content, note);
    }
    return { ok: false, reason: `no ${SCORE_TOOL_NAME} tool call in the answer` };
  }
  if (typeof message.content !== 'string') return { ok: false, reason: 'answer has no content' };
  return checkScorerAnswer(message.content, note);
}

function repairTurn(previous: ChatMessage | undefined, reason: string): ChatMessage[] {
  const assistant: ChatMessage = previous
    ? {
        role: 'assistant',
        content: previous.content ?? null,
        ...(previous.tool_calls ? { tool_calls: previous.tool_calls } : {}),
      }
    : { role: 'assistant', content: '(no answer)' };
  // Every tool call needs its tool message before the conversation may go on.
  const toolResults: ChatMessage[] = (assistant.tool_calls ?? [])
    .filter((c) => typeof c.id === 'string')
    .map((c) => ({ role: 'tool', tool_call_id: c.id, content: `Invalid answer: ${reason}` }));
  return [assistant, ...toolResults, { role: 'user', content: repairInstruction(reason) }];
}

export function buildOpenAiScorer(options: OpenAiScorerOptions): NoteScorer {
  const mode = options.mode ?? 'tools';
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const doFetch = options.fetch ?? fetch;
  const scorer = { id: openAiScorerId(options.model), promptVersion: PROMPT_VERSION };

  const body = (messages: ChatMessage[]) => ({
    model: options.model,
    temperature: 0,
    max_tokens: options.maxTokens ?? 1024,
    messages,
    ...(mode === 'tools'
      ? {
          tools: [
            {
              type: 'function',
              function: {
                name: SCORE_TOOL_NAME,
                description: SCORE_TOOL_DESCRIPTION,
                parameters: SCORE_TOOL_SCHEMA,
              },
            },
          ],
          tool_choice: { type: 'function', function: { name: SCORE_TOOL_NAME } },
        }
      : {
          response_format: {
            type: 'json_schema',
            json_schema: { name: SCORE_TOOL_NAME, strict: true, schema: SCORE_TOOL_SCHEMA },
          },
        }),
  });

  /** One request; a missing or non-JSON body is returned as undefined (an invalid answer). */
  const complete = async (messages: ChatMessage[]): Promise<ChatResponse | undefined> => {
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
        },
        body: JSON.stringify(body(messages)),
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      });
    } catch (e) {
      // Network failure or timeout: transient by nature. The error name only, never the body.
      // (A timeout is a DOMException, which is not always `instanceof Error`.)
      const raw = (e as { name?: unknown } | null)?.name;
      const name = typeof raw === 'string' ? raw : 'Error';
      throw new RetryableScorerError(
        `OpenAI-compatible endpoint unreachable (${name}): retry through the queue`,
      );
    }
    if (res.status === 429 || res.status >= 500) {
      await res.body?.cancel();
      throw new RetryableScorerError(
        `OpenAI-compatible endpoint answered HTTP ${res.status}: retry through the queue`,
      );
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(
        `OpenAI-compatible endpoint answered HTTP ${res.status} for model ${options.model}`,
      );
    }
    try {
      return (await res.json()) as ChatResponse;
    } catch {
      return undefined;
    }
  };

  return {
    ...scorer,
    async score(note: string): Promise<NoteScore> {
      if (note.trim() === '') return emptyNoteScore(scorer);
      const first: ChatMessage[] = [
        { role: 'system', content: SYSTEM_PROMPT },
        { role: 'user', content: buildUserPrompt(note) },
      ];
      const out = await complete(first);
      const check: AnswerCheck = out
        ? readAnswer(out, note, mode)
        : { ok: false, reason: 'response body is not JSON' };
      if (check.ok) return toNoteScore(check.value, scorer);
      const retry = await complete([
        ...first,
        ...repairTurn(out?.choices?.[0]?.message, check.reason),
      ]);
      const second: AnswerCheck = retry
        ? readAnswer(retry, note, mode)
        : { ok: false, reason: 'response body is not JSON' };
      if (second.ok) return toNoteScore(second.value, scorer);
      throw new InvalidScorerAnswerError(
        `${scorer.id} answer invalid after one repair attempt: ${second.reason} (first: ${check.reason})`,
      );
    },
  };
}
