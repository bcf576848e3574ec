import type { NoteScore } from '../contracts/record.ts';

/**
 * Turns a pathology note into a malignancy risk score 1-10 with evidence. Implementations:
 * Bedrock (Converse), the local clinical-text scorer, an OpenAI-compatible endpoint.
 */
export interface NoteScorer {
  /** Stable id of scorer + model, part of the score cache key. */
  readonly id: string;
  /** Version of the prompt/rubric (or rule set), part of the score cache key. */
  readonly promptVersion: string;
  score(note: string): Promise<NoteScore>;
}

/** A transient failure (throttling, 5xx, timeout): the message goes back to the queue. */
export class RetryableScorerError extends Error {
  override readonly name = 'RetryableScorerError';
}

/** The scorer answered, but not with a valid score even after one repair attempt. */
export class InvalidScorerAnswerError extends Error {
  override readonly name = 'InvalidScorerAnswerError';
}
