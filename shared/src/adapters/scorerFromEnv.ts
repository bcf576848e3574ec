import { z } from 'zod';
import type { NoteScorer } from '../ports/noteScorer.ts';
import { readConfig } from '../runtime/config.ts';
import {
  createLocalScorer,
  LOCAL_RULES_VERSION,
  LOCAL_SCORER_ID,
} from '../domain/scoring/localScorer.ts';
import { PROMPT_VERSION } from '../domain/scoring/rubric.ts';
import { bedrockScorerId } from '../aws/bedrockModels.ts';
import { buildOpenAiScorer, openAiScorerId } from './openAiScorer.ts';

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

/**
 * The id and prompt version of the scorer `scorerFromEnv` would build, without building it
 * (nor loading the AWS SDK): what a lazily built scorer must already answer, since both are
 * in every score and in the score cache's key. A changed prompt or model is a cache miss.
 */
export function scorerIdentity(
  env: NodeJS.ProcessEnv,
  fallback: 'local' | 'bedrock',
): Pick<NoteScorer, 'id' | 'promptVersion'> {
  const parsed = ScorerConfigSchema.safeParse(env);
  const c = parsed.success ? parsed.data : {};
  const kind = c.NOTE_SCORER ?? fallback;
  if (kind === 'local') return { id: LOCAL_SCORER_ID, promptVersion: LOCAL_RULES_VERSION };
  if (kind === 'openai')
    return { id: openAiScorerId(c.OPENAI_MODEL ?? ''), promptVersion: PROMPT_VERSION };
  return { id: bedrockScorerId(c.BEDROCK_MODEL_ID), promptVersion: PROMPT_VERSION };
}
