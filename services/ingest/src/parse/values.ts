import { unsafeRecordIdReason } from '@cancer-mlops/shared/domain/validation/recordId.ts';
import type { Diagnosis } from '@cancer-mlops/shared/contracts/record.ts';
import type { FeatureGroup } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { DecimalMark } from '@cancer-mlops/shared/domain/csv/decimalMark.ts';
import {
  longerThanChars,
  MAX_NOTE_CHARS,
} from '@cancer-mlops/shared/domain/validation/modelInput.ts';

/**
 * How a value cell can say "unknown". The UCI files use `?`, R and pandas write `NA`/`NaN`,
 * spreadsheets leave the cell empty. A missing value is never read as zero: a zero radius is a
 * measurement, a `?` is not.
 */
export const MISSING_MARKERS: readonly string[] = ['', '?', 'na', 'n/a', 'nan', 'null'];

/** A cell as a reader hands it over: CSV gives strings, JSON Lines any JSON value. */
export type RawValue = string | number | boolean | null | undefined | object;

export function isMissing(v: RawValue): boolean {
  if (v === undefined || v === null) return true;
  return typeof v === 'string' && MISSING_MARKERS.includes(v.trim().toLowerCase());
}

export type Parsed<T> =
  { kind: 'value'; value: T } | { kind: 'missing' } | { kind: 'invalid'; reason: string };

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d+,\d+(?:[eE][+-]?\d+)?$/;

/** A number from a cell; with `decimalComma` (the `;` dialect) `12,5` is 12.5. */
export function parseNumber(v: RawValue, decimalComma = false): Parsed<number> {
  if (isMissing(v)) return { kind: 'missing' };
  if (typeof v === 'number')
    return Number.isFinite(v)
      ? { kind: 'value', value: v }
      : { kind: 'invalid', reason: 'not a number' };
  if (typeof v !== 'string') return { kind: 'invalid', reason: 'not a number' };
  let text = v.trim();
  if (decimalComma && DECIMAL_COMMA.test(text)) text = text.replace(',', '.');
  if (!NUMBER.test(text)) return { kind: 'invalid', reason: 'not a number' };
  const value = Number(text);
  return Number.isFinite(value)
    ? { kind: 'value', value }
    : { kind: 'invalid', reason: 'not a number' };
}

/** A measurement: a number inside the feature's physically possible range. */
export function parseMeasurement(
  v: RawValue,
  range: { min: number; max: number },
  decimalComma = false,
  mark?: DecimalMark,
): Parsed<number> {
  const n = parseNumber(v, decimalComma);
  if (n.kind !== 'value') return n;
  const otherMark = typeof v === 'string' ? mark?.see(v) : undefined;
  if (otherMark) return { kind: 'invalid', reason: otherMark };
  if (n.value < range.min || n.value > range.max) {
    return {
      kind: 'invalid',
      reason: `out of the physically possible range ${range.min} to ${range.max}`,
    };
  }
  return n;
}

/** A diagnosis code per the feature group's label definition, case-insensitively. */
export function parseDiagnosis(v: RawValue, group: FeatureGroup): Parsed<Diagnosis> {
  if (isMissing(v)) return { kind: 'missing' };
  if (typeof v !== 'string' && typeof v !== 'number')
    return { kind: 'invalid', reason: 'unknown diagnosis code' };
  // `1.0` and `0.00` (a spreadsheet's numbers) are the codes 1 and 0, as JSON's 1.0 already is.
  const code = String(v)
    .trim()
    .toLowerCase()
    .replace(/^([01])\.0+$/, '$1');
  if (group.label.malignant.some((m) => m.toLowerCase() === code))
    return { kind: 'value', value: 'M' };
  if (group.label.benign.some((b) => b.toLowerCase() === code))
    return { kind: 'value', value: 'B' };
  const expected = [...group.label.malignant, ...group.label.benign].join(', ');
  return { kind: 'invalid', reason: `unknown diagnosis code (expected one of ${expected})` };
}

/** A provided risk score: an integer 1-10 (`7` and `7.0` alike). */
export function parseRiskScore(
  v: RawValue,
  decimalComma = false,
  mark?: DecimalMark,
): Parsed<number> {
  const n = parseNumber(v, decimalComma);
  if (n.kind === 'missing') return n;
  const otherMark = n.kind === 'value' && typeof v === 'string' ? mark?.see(v) : undefined;
  if (otherMark) return { kind: 'invalid', reason: otherMark };
  if (n.kind === 'invalid' || !Number.isInteger(n.value) || n.value < 1 || n.value > 10) {
    return { kind: 'invalid', reason: 'not an integer from 1 to 10' };
  }
  return n;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO-8601 date or date-time, returned in UTC (`toISOString`). A time without an offset
 * is read as UTC, and a date alone as its UTC midnight: a file's local zone is unknowable,
 * and a fixed rule keeps a re-dropped file at the same event times.
 */
/** Event times must fall in [1900, now + a day of clock skew]: anything else is a typo or a
 * placeholder (9999-12-31), and a future time would keep the row out of every snapshot. */
export const EARLIEST_EVENT_TIME = Date.UTC(1900, 0, 1);
export const CLOCK_SKEW_MS = 24 * 3_600_000;

export function parseEventTime(v: RawValue, now?: Date): Parsed<string> {
  if (isMissing(v)) return { kind: 'missing' };
  const invalid = { kind: 'invalid', reason: 'not an ISO-8601 date or date-time' } as const;
  if (typeof v !== 'string') return invalid;
  const m = ISO.exec(v.trim());
  if (!m) return invalid;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone = 'Z'] = m;
  const offset =
    zone.toUpperCase() === 'Z'
      ? 'Z'
      : zone.length === 5
        ? `${zone.slice(0, 3)}:${zone.slice(3)}`
        : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`);
  // Date.parse rolls 2024-02-30 over to March; a calendar check refuses it instead.
  const calendar = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  if (
    Number.isNaN(ms) ||
    calendar.getUTCMonth() !== Number(mo) - 1 ||
    calendar.getUTCDate() !== Number(d)
  )
    return invalid;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return invalid;
  if (ms < EARLIEST_EVENT_TIME) return { kind: 'invalid', reason: 'before 1900' };
  if (now && ms > now.getTime() + CLOCK_SKEW_MS)
    return { kind: 'invalid', reason: 'in the future' };
  return { kind: 'value', value: new Date(ms).toISOString() };
}

/** An identifier cell (record or patient id): text or an integer, at most `max` characters. */
export function parseIdentifier(v: RawValue, max = 128): Parsed<string> {
  if (isMissing(v)) return { kind: 'missing' };
  if (typeof v === 'number' && Number.isSafeInteger(v)) return { kind: 'value', value: String(v) };
  if (typeof v !== 'string') return { kind: 'invalid', reason: 'not text' };
  const id = v.trim();
  if (id.length > max) return { kind: 'invalid', reason: `longer than ${max} characters` };
  return { kind: 'value', value: id };
}

/** A record id: an identifier that is also safe in the CSV files it travels into. */
export function parseRecordId(v: RawValue): Parsed<string> {
  const id = parseIdentifier(v);
  if (id.kind !== 'value') return id;
  const unsafe = unsafeRecordIdReason(id.value);
  return unsafe === undefined ? id : { kind: 'invalid', reason: unsafe };
}

export function parseNote(v: RawValue): Parsed<string> {
  if (isMissing(v)) return { kind: 'missing' };
  if (typeof v !== 'string') return { kind: 'invalid', reason: 'not text' };
  if (longerThanChars(v, MAX_NOTE_CHARS))
    return { kind: 'invalid', reason: `note too long (over ${MAX_NOTE_CHARS} characters)` };
  return { kind: 'value', value: v };
}
