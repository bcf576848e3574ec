import { z } from 'zod';
import {
  FeatureWriteMessageSchema,
  type FeatureWriteMessage,
  type NoteToScoreMessage,
} from '@cancer-mlops/shared/contracts/messages.ts';
import {
  EvidenceSchema,
  NoteScoreSchema,
  RiskScoreSchema,
  type Evidence,
  type NoteScore,
  type ScoreSource,
} from '@cancer-mlops/shared/contracts/record.ts';
import { scoreCacheKey } from '@cancer-mlops/shared/domain/scoring/cacheKey.ts';
import type { QueueSender } from '@cancer-mlops/shared/ports/messaging.ts';
import {
  InvalidScorerAnswerError,
  type NoteScorer,
} from '@cancer-mlops/shared/ports/noteScorer.ts';
import type { MetricsSink, StateStore } from '@cancer-mlops/shared/ports/stateStore.ts';
import { describeError, describeZodError } from '@cancer-mlops/shared/runtime/errors.ts';
import { createLogger, type Log } from '@cancer-mlops/shared/runtime/logger.ts';

export const FEATURE_WRITES = 'feature-writes';
export const SCORE_CACHE_NAMESPACE = 'score-cache';

export interface ScoreNoteDeps {
  scorer: NoteScorer;
  state: StateStore;
  queues: QueueSender;
  metrics: MetricsSink;
  now: () => Date;
  log?: Log;
}

/**
 * What the cache keeps of a score: the score, evidence as spans (offsets, rule, weight) and
 * who produced it. Not the quotes, not the rationale: both can repeat note text, and the
 * cache outlives the message.
 */
const CachedScoreSchema = z
  .object({
    malignancy_risk_score: RiskScoreSchema,
    evidence: z.array(EvidenceSchema).max(20),
    scorer_id: z.string(),
    prompt_version: z.string(),
    cached_at: z.string(),
  })
  .strict();
type CachedScore = z.infer<typeof CachedScoreSchema>;

/**
 * Scores one record's pathology note and hands the record, without its note, to
 * `feature-writes`:
 *
 * - a note is scored by the NoteScorer port (Bedrock, local or OpenAI-compatible), through a
 *   cache keyed by SHA-256 of the normalised note + scorer id + prompt version. A note wins
 *   over a score the file provided, so every score in the store comes from one scorer;
 * - no note, but a provided score: the score is kept (`score_source: provided`);
 * - neither: `score_source: none` and no score; the model treats it as a missing value.
 *
 * A throttled or failing scorer throws (RetryableScorerError): the record fails and SQS
 * redelivers it after the visibility timeout; nothing sleeps here. A malformed answer
 * (InvalidScorerAnswerError) fails the same way and ends in the DLQ after maxReceiveCount.
 */
export async function scoreNote(
  deps: ScoreNoteDeps,
  message: NoteToScoreMessage,
): Promise<FeatureWriteMessage> {
  const { pathology_note: note, ...record } = message.record;
  let score: { value?: number; source: ScoreSource; scorerId?: string; evidence: Evidence[] };

  if (note !== undefined && note.trim() !== '') {
    const cached = await scoreWithCache(deps, note);
    score = {
      value: cached.malignancy_risk_score,
      source: scoreSourceOf(cached.scorer_id),
      scorerId: cached.scorer_id,
      evidence: cached.evidence,
    };
  } else if (record.malignancy_risk_score !== undefined) {
    score = { value: record.malignancy_risk_score, source: 'provided', evidence: [] };
  } else {
    score = { source: 'none', evidence: [] };
  }
  deps.metrics.count('NotesScored', 1, { score_source: score.source });

  const { malignancy_risk_score: _provided, ...rest } = record;
  const out = FeatureWriteMessageSchema.parse({
    kind: 'feature-write',
    record: {
      ...rest,
      ...(score.value !== undefined ? { malignancy_risk_score: score.value } : {}),
      score_source: score.source,
      ...(score.scorerId !== undefined ? { scorer_id: score.scorerId } : {}),
      is_deleted: false,
    },
    evidence: score.evidence,
    source: message.source,
  });
  await deps.queues.send(FEATURE_WRITES, [out]);
  await deps.metrics.flush();
  return out;
}

async function scoreWithCache(deps: ScoreNoteDeps, note: string): Promise<CachedScore> {
  const log = deps.log ?? createLogger('scoring');
  const key = scoreCacheKey(note, deps.scorer);
  const hit = CachedScoreSchema.safeParse(await deps.state.get(SCORE_CACHE_NAMESPACE, key));
  if (hit.success) {
    deps.metrics.count('ScoreCacheHits');
    return hit.data;
  }

  const answer = NoteScoreSchema.safeParse(await deps.scorer.score(note));
  if (!answer.success) {
    throw new InvalidScorerAnswerError(
      `scorer ${deps.scorer.id} answered outside the contract: ${describeZodError(answer.error)}`,
    );
  }
  const entry = toCacheEntry(answer.data, note, deps.now());
  try {
    await deps.state.put(SCORE_CACHE_NAMESPACE, key, entry);
  } catch (e) {
    // The cache saves cost, it is not the result: a failed write costs one re-score later.
    log.warn('score cache write failed', { reason: describeError(e) });
    deps.metrics.count('ScoreCacheWriteFailures');
  }
  return entry;
}

/** The score as the cache and the feature-write message carry it: spans, no note text. */
export function toCacheEntry(score: NoteScore, note: string, now: Date): CachedScore {
  return {
    malignancy_risk_score: score.malignancy_risk_score,
    evidence: score.evidence.map((e) => toSpan(e, note)),
    scorer_id: score.scorer_id,
    prompt_version: score.prompt_version,
    cached_at: now.toISOString(),
  };
}

/**
 * Evidence without its quote: the offsets into the note (found from the quote when the scorer
 * gave none), the rule and the weight. Whoever holds the note can show the span; nobody
 * downstream of this stage gets the text.
 */
export function toSpan(e: Evidence, note: string): Evidence {
  let { start, end } = e;
  if ((start === undefined || end === undefined) && e.quote !== '') {
    const at = note.indexOf(e.quote);
    if (at >= 0) {
      start = at;
      end = at + e.quote.length;
    }
  }
  return {
    quote: '',
    ...(start !== undefined ? { start } : {}),
    ...(end !== undefined ? { end } : {}),
    ...(e.weight !== undefined ? { weight: e.weight } : {}),
    ...(e.rule !== undefined ? { rule: e.rule } : {}),
  };
}

/**
 * Which kind of scorer an id names. The port has no `source` field, so the id decides:
 * Bedrock model ids (`bedrock:…`, `anthropic.claude…`) and OpenAI-compatible ones are named
 * as such by their adapters; everything else is the local rules.
 */
export function scoreSourceOf(scorerId: string): ScoreSource {
  if (/bedrock|anthropic|claude/i.test(scorerId)) return 'bedrock';
  if (/openai/i.test(scorerId)) return 'openai';
  return 'local';
}
