import { z } from 'zod';
import type { NoteScorer } from '../ports/noteScorer.ts';
import { readConfig } from '../runtime/config.ts';
import { createLocalScorer } from '../domain/scoring/localScorer.ts';
import { buildOpenAiScorer } from './openAiScorer.ts';

export const ScorerConfigSchema = z.object({
  NOTE_SCORER: z.enum(['local', 'bedrock', 'openai']).optional(),
  BEDROCK_MODEL_ID: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  OPENAI_MODEL: z.string().min(1).optional(),
  OPENAI_API_KEY: z.string().optional(),
  AWS_REGION: z.string().optional(),
});

/**
 * The note scorer is configuration: `NOTE_SCORER=local|bedrock|openai`. The default differs
 * by where it runs (Bedrock on AWS, the local clinical-text scorer on one machine); the AWS
 * SDK is only loaded when Bedrock is chosen.
 */
export async function scorerFromEnv(
  env: NodeJS.ProcessEnv,
  fallback: 'local' | 'bedrock',
): Promise<NoteScorer> {
  const c = readConfig(ScorerConfigSchema, env);
  const kind = c.NOTE_SCORER ?? fallback;
  if (kind === 'local') return createLocalScorer();
  if (kind === 'openai') {
    if (!c.OPENAI_BASE_URL || !c.OPENAI_MODEL) {
      throw new Error(
        'invalid configuration: NOTE_SCORER=openai needs OPENAI_BASE_URL and OPENAI_MODEL',
      );
    }
    return buildOpenAiScorer({
      baseUrl: c.OPENAI_BASE_URL,
      model: c.OPENAI_MODEL,
      apiKey: c.OPENAI_API_KEY,
    });
  }
  const { buildBedrockScorer, createBedrockScoringClient } =
    await import('../aws/bedrockScorer.ts');
  return buildBedrockScorer(createBedrockScoringClient(c.AWS_REGION), {
    modelId: c.BEDROCK_MODEL_ID,
  });
}
