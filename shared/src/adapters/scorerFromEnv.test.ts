import { PROMPT_VERSION } from '../domain/scoring/rubric.ts';
import { DEFAULT_BEDROCK_MODEL_ID } from '../aws/bedrockModels.ts';
import { scorerFromEnv, scorerIdentity } from './scorerFromEnv.ts';

describe('Function: scorerIdentity', () => {
  // A lazily built scorer answers with this identity before it exists; the score cache keys on
  // it, so it must be the built scorer's own, or a new prompt or model would reuse old scores.
  it.each([
    ['the local scorer', {}, 'local'],
    ['Bedrock with its default model', {}, 'bedrock'],
    [
      'Bedrock with a chosen model',
      { BEDROCK_MODEL_ID: 'anthropic.claude-3-sonnet-20240229-v1:0' },
      'bedrock',
    ],
    ['Bedrock chosen on one machine', { NOTE_SCORER: 'bedrock', AWS_REGION: 'us-east-1' }, 'local'],
    [
      'an OpenAI-compatible server',
      { NOTE_SCORER: 'openai', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_MODEL: 'm-1' },
      'bedrock',
    ],
  ] as const)('is the identity of the scorer built for %s', async (_, env, fallback) => {
    // Act
    const built = await scorerFromEnv({ AWS_REGION: 'us-east-1', ...env }, fallback);

    // Assess
    expect(scorerIdentity({ AWS_REGION: 'us-east-1', ...env }, fallback)).toEqual({
      id: built.id,
      promptVersion: built.promptVersion,
    });
  });

  it('names the Bedrock model and the rubric version', () => {
    expect(scorerIdentity({}, 'bedrock')).toEqual({
      id: `bedrock:${DEFAULT_BEDROCK_MODEL_ID}`,
      promptVersion: PROMPT_VERSION,
    });
  });
});
