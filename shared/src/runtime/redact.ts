/**
 * Keys whose values may carry note text or patient identifiers. Matching is by key name at
 * any depth, so a new field named e.g. `clinical_note` is redacted without anyone remembering
 * to add it.
 */
const SENSITIVE_KEY =
  /(note|text|report|patient|mrn|name_|^name$|surname|birth|dob|address|phone|email|ssn|identifier|raw_row|^row$|^line$|^body$|evidence|quote|rationale)/i;

/** Keys that look sensitive by the pattern but are safe metadata we need in logs. */
const SAFE_KEYS = new Set([
  'functionName',
  'service',
  'serviceName',
  'record_id',
  'record_ids',
  'note_length',
  'score_source',
  'textLength',
  'reportKey',
  'report_uri',
  'quarantine_key',
  'ingest_id',
]);

export const REDACTED = '[REDACTED]';

export function isSensitiveKey(key: string): boolean {
  return !SAFE_KEYS.has(key) && SENSITIVE_KEY.test(key);
}

/** A JSON.stringify replacer that blanks sensitive keys at any depth. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== '' && isSensitiveKey(key) && value !== undefined && value !== null) return REDACTED;
  if (value instanceof Error) return { type: value.name, message: value.message };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** A deep copy of `value` with every sensitive key blanked. */
export function redact<T>(value: T): T {
  if (value === undefined) return value;
  return JSON.parse(JSON.stringify(value, redactingReplacer)) as T;
}
