import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NoteScoreSchema } from '../contracts/record.ts';
import {
  PROMPT_VERSION,
  SCORE_TOOL_NAME,
  SCORE_TOOL_SCHEMA,
  SYSTEM_PROMPT,
} from '../domain/scoring/rubric.ts';
import { InvalidScorerAnswerError, RetryableScorerError } from '../ports/noteScorer.ts';
import { buildOpenAiScorer } from './openAiScorer.ts';

// A made-up note; no real report text in tests.
const NOTE =
  'DIAGNOSIS: Breast, core biopsy: atypical ductal hyperplasia. Carcinoma cannot be excluded.';

interface Recorded {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

type Reply = { status?: number; json?: unknown; raw?: string; delayMs?: number };

/** A tiny OpenAI-compatible server on 127.0.0.1 that answers from a script of replies. */
class FakeLlmServer {
  readonly requests: Recorded[] = [];
  private replies: Reply[] = [];
  private server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      this.requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: JSON.parse(data),
      });
      const reply = this.replies.shift() ?? { status: 500, raw: 'no reply scripted' };
      const send = () => {
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
        res.end(reply.raw ?? JSON.stringify(reply.json));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  script(...replies: Reply[]): void {
    this.replies = replies;
  }

  reset(): void {
    this.requests.length = 0;
    this.replies = [];
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function toolCallReply(args: unknown, id = 'call_1'): Reply {
  return {
    json: {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id,
                type: 'function',
                function: {
                  name: SCORE_TOOL_NAME,
                  arguments: typeof args === 'string' ? args : JSON.stringify(args),
                },
              },
            ],
          },
        },
      ],
    },
  };
}

function contentReply(content: string): Reply {
  return {
    json: {
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
    },
  };
}

describe('Function: buildOpenAiScorer', () => {
  const server = new FakeLlmServer();
  let baseUrl = '';

  beforeAll(async () => {
    baseUrl = await server.start();
  });
  afterEach(() => server.reset());
  afterAll(async () => {
    await server.stop();
  });

  it('posts chat/completions at temperature 0 with the rubric and a forced function call', async () => {
    // Prepare
    server.script(
      toolCallReply({
        malignancy_risk_score: 5,
        evidence: ['Carcinoma cannot be excluded.'],
        rationale: 'Atypia with a hedge.',
      }),
    );
    const scorer = buildOpenAiScorer({
      baseUrl: `${baseUrl}/`,
      model: 'local-llm',
      apiKey: 'k-123',
    });

    // Act
    const result = await scorer.score(NOTE);

    // Assess
    expect(server.requests).toHaveLength(1);
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer k-123');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toEqual({
      model: 'local-llm',
      temperature: 0,
      max_tokens: 1024,
      messages: [
        { role: 'system', content: SYSTEM_PROMPT },
        {
          role: 'user',
          content: expect.stringContaining(`<pathology_note>\n${NOTE}\n</pathology_note>`),
        },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: SCORE_TOOL_NAME,
            description: expect.any(String),
            parameters: SCORE_TOOL_SCHEMA,
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: SCORE_TOOL_NAME } },
    });
    expect(NoteScoreSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      malignancy_risk_score: 5,
      scorer_id: 'openai-compatible:local-llm',
      prompt_version: PROMPT_VERSION,
    });
    expect(NOTE.slice(result.evidence[0].start, result.evidence[0].end)).toBe(
      'Carcinoma cannot be excluded.',
    );
  });

  it('uses response_format json_schema in json_schema mode and sends no key when none is set', async () => {
    // Prepare
    server.script(contentReply('{"malignancy_risk_score": 4, "evidence": [], "rationale": "ADH"}'));
    const scorer = buildOpenAiScorer({ baseUrl, model: 'local-llm', mode: 'json_schema' });

    // Act
    const result = await scorer.score(NOTE);

    // Assess
    const [req] = server.requests;
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: SCORE_TOOL_NAME, strict: true, schema: SCORE_TOOL_SCHEMA },
    });
    expect(req.body.tools).toBeUndefined();
    expect(result.malignancy_risk_score).toBe(4);
  });

  it('accepts a JSON answer in the content from a server that ignores tool_choice', async () => {
    // Prepare
    server.script(contentReply('{"malignancy_risk_score": 5, "evidence": [], "rationale": "r"}'));
    const scorer = buildOpenAiScorer({ baseUrl, model: 'local-llm' });

    // Act
    const result = await scorer.score(NOTE);

    // Assess
    expect(result.malignancy_risk_score).toBe(5);
  });

  it('repairs a malformed answer once with a tool message and an instruction', async () => {
    // Prepare
    server.script(
      toolCallReply('{"malignancy_risk_score": 0, "evidence": []', 'call_A'),
      toolCallReply({ malignancy_risk_score: 5, evidence: [], rationale: 'fixed' }, 'call_B'),
    );
    const scorer = buildOpenAiScorer({ baseUrl, model: 'local-llm' });

    // Act
    const result = await scorer.score(NOTE);

    // Assess
    expect(result.malignancy_risk_score).toBe(5);
    expect(server.requests).toHaveLength(2);
    const messages = server.requests[1].body.messages as unknown[];
    expect(messages).toHaveLength(5);
    expect(messages[2]).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_A',
          type: 'function',
          function: {
            name: SCORE_TOOL_NAME,
            arguments: '{"malignancy_risk_score": 0, "evidence": []',
          },
        },
      ],
    });
    expect(messages[3]).toEqual({
      role: 'tool',
      tool_call_id: 'call_A',
      content: 'Invalid answer: answer is not valid JSON',
    });
    expect(messages[4]).toEqual({
      role: 'user',
      content: expect.stringContaining('answer is not valid JSON'),
    });
  });

  it('fails with InvalidScorerAnswerError after a failed repair', async () => {
    // Prepare
    server.script(
      toolCallReply({ malignancy_risk_score: 12, evidence: [], rationale: 'x' }),
      toolCallReply({ malignancy_risk_score: 12, evidence: [], rationale: 'x' }),
    );
    const scorer = buildOpenAiScorer({ baseUrl, model: 'local-llm' });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidScorerAnswerError);
    expect((error as Error).message).toContain('out of range 1-10 (got 12)');
    expect((error as Error).message).not.toContain('hyperplasia');
  });

  it('treats a body that is not JSON as an invalid answer', async () => {
    // Prepare
    server.script({ raw: '<html>proxy error</html>' }, { raw: 'still not json' });
    const scorer = buildOpenAiScorer({ baseUrl, model: 'local-llm' });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidScorerAnswerError);
    expect((error as Error).message).toContain('response body is not JSON');
  });

  it.each([429, 500, 503])('throws RetryableScorerError for HTTP %i', async (status) => {
    // Prepare
    server.script({ status, json: { error: { message: 'busy' } } });
    const scorer = buildOpenAiScorer({ baseUrl, model: 'local-llm' });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableScorerError);
    expect((error as Error).message).toContain(`HTTP ${status}`);
  });

  it('throws a plain Error for HTTP 400 (a request the server will never accept)', async () => {
    // Prepare
    server.script({ status: 400, json: { error: { message: 'tool_choice not supported' } } });
    const scorer = buildOpenAiScorer({ baseUrl, model: 'local-llm' });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(RetryableScorerError);
    expect((error as Error).message).toBe(
      'OpenAI-compatible endpoint answered HTTP 400 for model local-llm',
    );
  });

  it('throws RetryableScorerError on a timeout', async () => {
    // Prepare
    server.script({ delayMs: 500, json: {} });
    const scorer = buildOpenAiScorer({ baseUrl, model: 'local-llm', timeoutMs: 50 });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableScorerError);
    expect((error as Error).message).toContain('TimeoutError');
  });

  it('throws RetryableScorerError when nothing listens', async () => {
    // Prepare
    const closed = new FakeLlmServer();
    const url = await closed.start();
    await closed.stop();
    const scorer = buildOpenAiScorer({ baseUrl: url, model: 'local-llm' });

    // Act
    const error = await scorer.score(NOTE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableScorerError);
  });

  it('does not call the server for an empty note', async () => {
    // Prepare
    const scorer = buildOpenAiScorer({ baseUrl, model: 'local-llm' });

    // Act
    const result = await scorer.score('');

    // Assess
    expect(result.malignancy_risk_score).toBe(1);
    expect(server.requests).toHaveLength(0);
  });
});
