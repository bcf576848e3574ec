import { createHash } from 'node:crypto';
import type { NoteScorer } from '../../ports/noteScorer.ts';

/**
 * Score cache key: SHA-256 of the normalised note, the scorer id and the prompt version. The
 * same note re-sent with other line endings or spacing hits the cache; a new model or rubric
 * misses it. (Hashing is computation, not I/O: this stays in the pure domain.)
 */

/**
 * Normal form of a note for caching: Unicode NFC, LF line ends, no control characters, runs of
 * spaces/tabs as one space, no trailing spaces, at most one blank line, trimmed. Case and
 * line structure are kept: they can change what a scorer reads (headers on their own line).
 */
export function normaliseNote(note: string): string {
  return (
    note
      .normalize('NFC')
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ')
      .replace(/[ \t\u00a0\u2000-\u200b\u3000]+/g, ' ')
      .replace(/ ?\n ?/g, '\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

/** Hex SHA-256 over scorer id, prompt version and normalised note (NUL-separated). */
export function scoreCacheKey(
  note: string,
  scorer: Pick<NoteScorer, 'id' | 'promptVersion'>,
): string {
  return createHash('sha256')
    .update(scorer.id)
    .update('\u0000')
    .update(scorer.promptVersion)
    .update('\u0000')
    .update(normaliseNote(note))
    .digest('hex');
}
