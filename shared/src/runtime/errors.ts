import type { z } from 'zod';

/**
 * Describes a validation failure by field path and rule only. zod's own messages can embed
 * the rejected value, which may be note text, so they are never passed on verbatim.
 */
export function describeZodError(error: z.ZodError, max = 20): string {
  const parts = error.issues.slice(0, max).map((i) => {
    const path = i.path.length ? i.path.join('.') : '(root)';
    return `${path}: ${issueReason(i)}`;
  });
  if (error.issues.length > max) parts.push(`… ${error.issues.length - max} more`);
  return parts.join('; ');
}

function issueReason(i: z.core.$ZodIssue): string {
  switch (i.code) {
    case 'invalid_type':
      return `expected ${i.expected}`;
    case 'too_small':
      return `must be >= ${String(i.minimum)}`;
    case 'too_big':
      return `must be <= ${String(i.maximum)}`;
    case 'invalid_value':
      return `must be one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field(s) ${i.keys.join(', ')}`;
    case 'invalid_format':
      return `invalid ${i.format}`;
    default:
      return i.code;
  }
}

/** A message that can never be processed: retrying will not help (it still dead-letters). */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
}

/** Short, PHI-free description of any thrown value, for DLQ reasons and logs. */
export function describeError(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === 'ZodError' && 'issues' in e)
      return `invalid message: ${describeZodError(e as z.ZodError)}`;
    return `${e.name}: ${e.message}`.slice(0, 1000);
  }
  return String(e).slice(0, 200);
}
