import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ContentBlock,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type Message,
  type ToolInputSchema,
} from '@aws-sdk/client-bedrock-runtime';
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
import { awsErrorName, awsStatus } from './awsErrors.ts';
import { bedrockScorerId, DEFAULT_BEDROCK_MODEL_ID } from './bedrockModels.ts';

/**
 * Note scoring on Amazon Bedrock with the Converse API: temperature 0, one forced tool whose
 * input schema is the answer, the rubric in the system prompt. The model id is configuration
 * (see bedrockModels.ts).
 */
export {
  CLAUDE_3_SONNET,
  CLAUDE_SONNET_4_5_US,
  CLAUDE_SONNET_4_6_US,
  DEFAULT_BEDROCK_MODEL_ID,
} from './bedrockModels.ts';

/**
 * SDK attempts per call. Throttling and 5xx are retried by the queue (the message becomes
 * visible again), not by sleeping inside a Lambda that is billed for the wait.
 */
export const BEDROCK_MAX_ATTEMPTS = 2;

export interface BedrockScorerOptions {
  modelId?: string;
  /** Upper bound of the answer; the tool input is small. */
  maxTokens?: number;
}

/** A Bedrock Runtime client set up for scoring: few SDK retries, bounded waits. */
export function createBedrockScoringClient(region?: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    ...(region === undefined ? {} : { region }),
    maxAttempts: BEDROCK_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 60_000 },
  });
}

// Error names from the Converse API reference that are transient.
const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'ServiceUnavailableException',
  'InternalServerException',
  'ModelNotReadyException',
  'ModelTimeoutException',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);

/** Retryable: throttling, 5xx, timeouts and network failures (no HTTP status at all). */
export function isRetryableBedrockError(e: unknown): boolean {
  const name = awsErrorName(e);
  const status = awsStatus(e);
  if (name !== undefined && RETRYABLE_NAMES.has(name)) return true;
  if (status !== undefined) return status === 429 || status >= 500;
  const code = (e as { code?: unknown } | undefined)?.code;
  return (
    typeof code === 'string' &&
    /^(?:ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND)$/.test(code)
  );
}

/** What the model's message says: the tool input, or why there is none. */
function readAnswer(out: ConverseCommandOutput, note: string): AnswerCheck {
  const content = out.output?.message?.content ?? [];
  const toolUse = content.find((b) => b.toolUse?.name === SCORE_TOOL_NAME)?.toolUse;
  if (toolUse === undefined) {
    if (out.stopReason === 'max_tokens')
      return { ok: false, reason: 'answer cut off at max_tokens' };
    if (out.stopReason === 'guardrail_intervened' || out.stopReason === 'content_filtered') {
      return { ok: false, reason: `answer blocked (${out.stopReason})` };
    }
    return {
      ok: false,
      reason: `no ${SCORE_TOOL_NAME} tool call in the answer (stopReason ${out.stopReason ?? 'none'})`,
    };
  }
  return checkScorerAnswer(toolUse.input, note);
}

/** The repair turn: a tool result marked as an error for each tool call, then the instruction. */
function repairTurn(previous: Message | undefined, reason: string): Message[] {
  const assistant: Message = previous ?? { role: 'assistant', content: [{ text: '(no answer)' }] };
  const results: ContentBlock[] = (assistant.content ?? [])
    .filter((b) => b.toolUse?.toolUseId !== undefined)
    .map((b) => ({
      toolResult: {
        toolUseId: b.toolUse?.toolUseId ?? '',
        content: [{ text: `Invalid answer: ${reason}` }],
        status: 'error',
      },
    }));
  return [assistant, { role: 'user', content: [...results, { text: repairInstruction(reason) }] }];
}

export function buildBedrockScorer(
  client: BedrockRuntimeClient,
  options: BedrockScorerOptions = {},
): NoteScorer {
  const modelId = options.modelId ?? DEFAULT_BEDROCK_MODEL_ID;
  const scorer = { id: bedrockScorerId(modelId), promptVersion: PROMPT_VERSION };

  const request = (messages: Message[]): ConverseCommandInput => ({
    modelId,
    system: [{ text: SYSTEM_PROMPT }],
    messages,
    inferenceConfig: { temperature: 0, maxTokens: options.maxTokens ?? 1024 },
    toolConfig: {
      tools: [
        {
          toolSpec: {
            name: SCORE_TOOL_NAME,
            description: SCORE_TOOL_DESCRIPTION,
            inputSchema: {
              json: SCORE_TOOL_SCHEMA as unknown as ToolInputSchema.JsonMember['json'],
            },
          },
        },
      ],
      toolChoice: { tool: { name: SCORE_TOOL_NAME } },
    },
  });

  const converse = async (messages: Message[]): Promise<ConverseCommandOutput> => {
    try {
      return await client.send(new ConverseCommand(request(messages)));
    } catch (e) {
      // Names and status codes only: SDK messages are not guaranteed free of request content.
      const name = awsErrorName(e) ?? 'Error';
      const status = awsStatus(e);
      const what = `Bedrock Converse ${name}${status === undefined ? '' : ` (HTTP ${status})`}`;
      if (isRetryableBedrockError(e))
        throw new RetryableScorerError(`${what}: retry through the queue`);
      throw new Error(`${what} for model ${modelId}`);
    }
  };

  return {
    ...scorer,
    async score(note: string): Promise<NoteScore> {
      if (note.trim() === '') return emptyNoteScore(scorer);
      const first: Message[] = [{ role: 'user', content: [{ text: buildUserPrompt(note) }] }];
      const out = await converse(first);
      const check = readAnswer(out, note);
      if (check.ok) return toNoteScore(check.value, scorer);
      // One repair attempt, in the same conversation so the model sees its own answer.
      const retry = await converse([...first, ...repairTurn(out.output?.message, check.reason)]);
      const second = readAnswer(retry, note);
      if (second.ok) return toNoteScore(second.value, scorer);
      throw new InvalidScorerAnswerError(
        `${scorer.id} answer invalid after one repair attempt: ${second.reason} (first: ${check.reason})`,
      );
    },
  };
}
