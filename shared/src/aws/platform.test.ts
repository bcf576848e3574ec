import { scorerFromEnv } from '../adapters/scorerFromEnv.ts';
import { awsPlatformFromEnv } from './platform.ts';

describe('Function: awsPlatformFromEnv', () => {
  it('gives its lazily built scorer the identity the built one will have', async () => {
    // Prepare
    const env = {
      AWS_REGION: 'us-east-1',
      BEDROCK_MODEL_ID: 'anthropic.claude-3-sonnet-20240229-v1:0',
    };

    // Act
    const platform = await awsPlatformFromEnv(env);
    const built = await scorerFromEnv(env, 'bedrock');

    // Assess
    expect([platform.scorer.id, platform.scorer.promptVersion]).toEqual([
      built.id,
      built.promptVersion,
    ]);
  });
});
