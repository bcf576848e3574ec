import {
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { NoteScoreSchema } from '../contracts/record.ts';
import {
  PROMPT_VERSION,
  SCORE_TOOL_NAME,
  SCORE_TOOL_SCHEMA,
  SYSTEM_PROMPT,
} from '../domain/scoring/rubric.ts';
import { InvalidScorerAnswerError, RetryableScorerError } from '../ports/noteScorer.ts';
import {
  BEDROCK_MAX_ATTEMPTS,
  buildBedrockScorer,
  CLAUDE_3_SONNET,
  createBedrockScoringClient,
  DEFAULT_BEDROCK_MODEL_ID,
} from './bedrockScorer.ts';

// A made-up note; no real report text in tests.
const NOTE = 'FINAL DIAGNOSIS: Invasive ductal carcinoma, grade 3. Lymph nodes: 2/14 positive.';

function toolAnswer(input: unknown, id = 'tooluse_1'): ConverseCommandOutput {
  return {
    $metadata: {},
    output: {
      message: {
        role: 'assistant',
        content: [{ toolUse: { toolUseId: id, name: SCORE_TOOL_NAME, input: input as never } }],
      },
    },
    stopReason: 'tool_use',
    usage: { inputTokens: 900, outputTokens: 60, totalTokens: 960 },
    metrics: { latencyMs: 800 },
  };
}

function serviceError(name: string, status: number): BedrockRuntimeServiceException {
  return new BedrockRuntimeServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `${name} happened`,
  });
}

describe('Function: buildBedrockScorer', () => {
  const bedrock = mockClient(BedrockRuntimeClient);
  afterEach(() => bedrock.reset());

  const client = () => new BedrockRuntimeClient({ region: 'us-east-1' });

  it('sends one Converse call at temperature 0 with the rubric and a forced tool', async () => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(
      toolAnswer({
        malignancy_risk_score: 9,
        evidence: ['Invasive ductal carcinoma, grade 3.', '2/14 positive'],
        rationale: 'High-grade invasive carcinoma with nodal metastasis.',
      }),
    );
    const scorer = buildBedrockScorer(client(), { modelId: CLAUDE_3_SONNET });

    // Act
    const result = await scorer.score(NOTE);

    // Assess
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(1);
    const input = bedrock.commandCalls(ConverseCommand)[0].args[0].input;
    expect(input).toEqual({
      modelId: CLAUDE_3_SONNET,
      system: [{ text: SYSTEM_PROMPT }],
      messages: [
        {
          role: 'user',
          content: [
            { text: expect.stringContaining(`<pathology_note>\n${NOTE}\n</pathology_note>`) },
          ],
        },
      ],
      inferenceConfig: { temperature: 0, maxTokens: 1024 },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: SCORE_TOOL_NAME,
              description: expect.any(String),
              inputSchema: { json: SCORE_TOOL_SCHEMA },
            },
          },
        ],
        toolChoice: { tool: { name: SCORE_TOOL_NAME } },
      },
    });
    expect(NoteScoreSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      malignancy_risk_score: 9,
      scorer_id: `bedrock:${CLAUDE_3_SONNET}`,
      prompt_version: PROMPT_VERSION,
    });
    expect(result.evidence.map((e) => NOTE.slice(e.start, e.end))).toEqual([
      'Invasive ductal carcinoma, grade 3.',
      '2/14 positive',
    ]);
  });

  it('defaults to the current Claude Sonnet inference profile', async () => {
    // Prepare
    bedrock
      .on(ConverseCommand)
      .resolves(toolAnswer({ malignancy_risk_score: 2, evidence: [], rationale: 'b' }));
    const scorer = buildBedrockScorer(client());

    // Act
    await scorer.score('Fibroadenoma.');

    // Assess
    expect(DEFAULT_BEDROCK_MODEL_ID).toMatch(/^us\.anthropic\.claude-sonnet-4/);
    expect(bedrock.commandCalls(ConverseCommand)[0].args[0].input.modelId).toBe(
      DEFAULT_BEDROCK_MODEL_ID,
    );
    expect(scorer.id).toBe(`bedrock:${DEFAULT_BEDROCK_MODEL_ID}`);
  });

  it('repairs an out-of-range answer once, answering the tool call with an error result', async () => {
    // Prepare
    bedrock
      .on(ConverseCommand)
      .resolvesOnce(
        toolAnswer({ malignancy_risk_score: 11, evidence: [], rationale: 'very bad' }, 'tooluse_A'),
      )
      .resolvesOnce(
        toolAnswer({ malignancy_risk_score: 10, evidence: [], rationale: 'fixed' }, 'tooluse_B'),
      );
    const scorer = buildBedrockScorer(client(), { modelId: CLAUDE_3_SONNET });

    // Act
    const result = await scorer.score(NOTE);

    // Assess
    expect(result.malignancy_risk_score).toBe(10);
    const calls = bedrock.commandCalls(ConverseCommand);
    expect(calls).toHaveLength(2);
    const messages = calls[1].args[0].input.messages;
    expect(messages).toHaveLength(3);
    expect(messages?.[1]).toEqual({
      role: 'assistant',
      content: [
        {
          toolUse: {
            toolUseId: 'tooluse_A',
            name: SCORE_TOOL_NAME,
            input: { malignancy_risk_score: 11, evidence: [], rationale: 'very bad' },
          },
        },
      ],
    });
    expect(messages?.[2]).toEqual({
      role: 'user',
      content: [
        {
          toolResult: {
            toolUseId: 'tooluse_A',
            content: [{ text: 'Invalid answer: malignancy_risk_score out of range 1-10 (got 11)' }],
            status: 'error',
          },
        },
        { text: expect.stringContaining('out of range 1-10 (got 11)') },
      ],
    });
    expect(calls[1].args[0].input.toolConfig?.toolChoice).toEqual({
      tool: { name: SCORE_TOOL_NAME },
    });
  });

  it('repairs a text-only answer with a plain instruction', async () => {
    // Prepare
    bedrock
      .on(ConverseCommand)
      .resolvesOnce({
        $metadata: {},
        output: { message: { role: 'assistant', content: [{ text: 'I think it is a 7.' }] } },
        stopReason: 'end_turn',
      })
      .resolvesOnce(toolAnswer({ malignancy_risk_score: 7, evidence: [], rationale: 'r' }));
    const scorer = buildBedrockScorer(client(), { modelId: CLAUDE_3_SONNET });

    // Act
    const result = await scorer.score(NOTE);

    // Assess
    expect(result.malignancy_risk_score).toBe(7);
    const repair = bedrock.commandCalls(ConverseCommand)[1].args[0].input.messages?.[2];
    expect(repair).toEqual({
      role: 'user',
      content: [
        {
          text: expect.stringContaining(
            `no ${SCORE_TOOL_NAME} tool call in the answer (stopReason end_turn)`,
          ),
        },
      ],
    });
  });

  it('fails with InvalidScorerAnswerError after the repair also fails, naming the reason but no note text', async () => {
    // Prepare
    bedrock
      .on(ConverseCommand)
      .resolves(toolAnswer({ malignancy_risk_score: 'severe', evidence: [] }));
    const scorer = buildBedrockScorer(client(), { modelId: CLAUDE_3_SONNET });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidScorerAnswerError);
    expect((error as Error).message).toContain('malignancy_risk_score is not a number');
    expect((error as Error).message).not.toContain('carcinoma');
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(2);
  });

  it('reports a cut-off answer as the reason', async () => {
    // Prepare
    bedrock.on(ConverseCommand).resolves({
      $metadata: {},
      output: { message: { role: 'assistant', content: [{ text: '{"malignancy' }] } },
      stopReason: 'max_tokens',
    });
    const scorer = buildBedrockScorer(client(), { modelId: CLAUDE_3_SONNET });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect((error as Error).message).toContain('answer cut off at max_tokens');
  });

  it.each([
    ['ThrottlingException', 429],
    ['ServiceUnavailableException', 503],
    ['InternalServerException', 500],
    ['ModelNotReadyException', 429],
  ])('throws RetryableScorerError for %s so the queue retries', async (name, status) => {
    // Prepare
    bedrock.on(ConverseCommand).rejects(serviceError(name, status));
    const scorer = buildBedrockScorer(client(), { modelId: CLAUDE_3_SONNET });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableScorerError);
    expect((error as Error).message).toContain(name);
    expect((error as Error).message).not.toContain('happened');
  });

  it('throws RetryableScorerError for a network failure', async () => {
    // Prepare
    bedrock
      .on(ConverseCommand)
      .rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const scorer = buildBedrockScorer(client(), { modelId: CLAUDE_3_SONNET });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableScorerError);
  });

  it.each([
    ['ValidationException', 400],
    ['AccessDeniedException', 403],
    ['ResourceNotFoundException', 404],
  ])('throws a plain Error for %s (configuration, not transient)', async (name, status) => {
    // Prepare
    bedrock.on(ConverseCommand).rejects(serviceError(name, status));
    const scorer = buildBedrockScorer(client(), { modelId: CLAUDE_3_SONNET });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(RetryableScorerError);
    expect(error).not.toBeInstanceOf(InvalidScorerAnswerError);
    expect((error as Error).message).toBe(
      `Bedrock Converse ${name} (HTTP ${status}) for model ${CLAUDE_3_SONNET}`,
    );
  });

  it('does not call the model for an empty note', async () => {
    // Prepare
    const scorer = buildBedrockScorer(client());

    // Act
    const result = await scorer.score('   \n');

    // Assess
    expect(result.malignancy_risk_score).toBe(1);
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(0);
  });
});

describe('Function: createBedrockScoringClient', () => {
  it('limits SDK attempts so throttling goes back to the queue', async () => {
    // Act
    const client = createBedrockScoringClient('us-east-1');

    // Assess
    expect(await client.config.maxAttempts()).toBe(BEDROCK_MAX_ATTEMPTS);
    expect(await client.config.region()).toBe('us-east-1');
  });
});
