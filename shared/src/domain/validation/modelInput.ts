import {
  aliasIndex,
  modelFeatureNames,
  normaliseHeader,
  WDBC_FEATURE_GROUP,
  type FeatureGroup,
} from '../../contracts/featureGroup.ts';

/**
 * The rules a record must meet before the model sees it, shared by POST /predict (one JSON
 * object) and batch files (CSV cells or JSON Lines objects), so both refuse the same rows for
 * the same reasons. They match ingest's: every measurement is required and must lie in the
 * feature group's physically possible range, a risk score is an integer 1-10, a record id at
 * most 128 characters, a note at most 100,000. On top of ingest, a record to score carries
 * exactly one of a pathology note or a risk score: a note and a score that disagree would
 * leave the model's input ambiguous, so both together are refused rather than one silently
 * winning.
 *
 * Reasons name the field and the rule, never the value: a rejected value can be note text.
 */

export interface FieldIssue {
  field: string;
  reason: string;
}

/** Where a column or key goes: a model-input slot (0-based, model order), or a named field. */
export type Slot =
  number | 'record_id' | 'pathology_note' | 'patient_id' | 'event_time' | 'diagnosis';

export interface ValidInput {
  recordId?: string;
  /** The measurements in model order; the score slot (last) is NaN until a score is known. */
  values: Float64Array;
  note?: string;
  score?: number;
}

export type InputVerdict = { ok: true; input: ValidInput } | { ok: false; issues: FieldIssue[] };

export const MAX_RECORD_ID_CHARS = 128;
/** Notes longer than this (in characters) are refused: nobody's pathology report is a book. */
export const MAX_NOTE_CHARS = 100_000;

/**
 * True when `text` has more than `max` characters, counted as a person counts them (code
 * points: an emoji or a rare CJK character is one, not the two UTF-16 units of `.length`).
 */
export function longerThanChars(text: string, max: number): boolean {
  if (text.length <= max) return false;
  return text.length > 2 * max || charCount(text) > max;
}

/** The characters (code points) in `text`. */
export function charCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // a low surrogate ends a character already counted
  }
  return n;
}
export const NOTE_OR_SCORE = 'needs a pathology_note or a malignancy_risk_score';
export const NOT_BOTH = 'send either a pathology_note or a malignancy_risk_score, not both';

/** Cells that mean "unknown" in hospital exports (as ingest reads them). */
const MISSING = new Set(['', '?', 'na', 'n/a', 'nan', 'null']);
const NUMBER = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

export interface ObjectOptions {
  /** Unknown keys are issues (the API: typos fail loudly) or ignored (files carry extra columns). */
  unknownKeys: 'reject' | 'ignore';
  /** Accept numbers written as strings (`"17.99"`), as JSON Lines exports often do. */
  numericStrings: boolean;
}

export class ModelInputValidator {
  /** Model input order: the measurements, then the score. */
  readonly featureNames: readonly string[];
  readonly nMeasurements: number;
  /** Index of the score in the model input. */
  readonly scoreSlot: number;
  readonly min: Float64Array;
  readonly max: Float64Array;
  private readonly exact = new Map<string, Slot>();
  private readonly normalised: Map<string, string>;

  constructor(readonly group: FeatureGroup = WDBC_FEATURE_GROUP) {
    this.featureNames = modelFeatureNames(group);
    this.nMeasurements = group.features.length;
    this.scoreSlot = this.nMeasurements;
    this.min = Float64Array.from(group.features.map((f) => f.min));
    this.max = Float64Array.from(group.features.map((f) => f.max));
    this.normalised = aliasIndex(group);
    // The canonical spellings resolve without normalising: the hot path of a well-formed request.
    for (const [name, slot] of this.canonical()) this.exact.set(name, slot);
  }

  private *canonical(): Iterable<[string, Slot]> {
    for (let i = 0; i < this.featureNames.length; i++) yield [this.featureNames[i], i];
    for (const named of [
      'record_id',
      'pathology_note',
      'patient_id',
      'event_time',
      'diagnosis',
    ] as const) {
      yield [named, named];
    }
  }

  /** The slot of a key or header in any accepted spelling, or undefined when unknown. */
  resolve(key: string): Slot | undefined {
    const hit = this.exact.get(key);
    if (hit !== undefined) return hit;
    const name = this.normalised.get(normaliseHeader(key));
    if (name === undefined) return undefined;
    const slot =
      name === this.group.scoreFeature ? this.scoreSlot : this.featureNames.indexOf(name);
    if (slot >= 0) return slot;
    return name as Slot;
  }

  /** The reason a parsed measurement is refused, or undefined when it is fine. */
  measurementIssue(slot: number, value: number): string | undefined {
    if (!Number.isFinite(value)) return 'not a number';
    if (value < this.min[slot] || value > this.max[slot]) {
      return `out of the physically possible range ${this.min[slot]} to ${this.max[slot]}`;
    }
    return undefined;
  }

  scoreIssue(value: number): string | undefined {
    return Number.isInteger(value) && value >= 1 && value <= 10
      ? undefined
      : 'not an integer from 1 to 10';
  }

  /**
   * Validates one object (a /predict body or a JSON Lines row); every problem is listed, in
   * model order, then the unknown keys.
   */
  validateObject(obj: Record<string, unknown>, options: ObjectOptions): InputVerdict {
    const n = this.nMeasurements;
    const values = new Float64Array(n + 1).fill(NaN);
    const seen = new Uint8Array(n + 1);
    const issues: FieldIssue[] = [];
    const unknown: FieldIssue[] = [];
    let recordId: string | undefined;
    let note: string | undefined;
    let score: number | undefined;
    for (const key in obj) {
      const raw = obj[key];
      const slot = this.resolve(key);
      if (slot === undefined) {
        if (options.unknownKeys === 'reject')
          unknown.push({ field: key.slice(0, 64), reason: 'unknown field' });
        continue;
      }
      if (typeof slot === 'number') {
        if (seen[slot]) {
          issues.push({
            field: this.featureNames[slot],
            reason: 'given twice (under two spellings)',
          });
          continue;
        }
        seen[slot] = 1;
        const v = toNumber(raw, options.numericStrings);
        if (v === undefined) continue; // missing: reported below
        if (slot === this.scoreSlot) {
          const reason = Number.isNaN(v) ? 'not a number' : this.scoreIssue(v);
          if (reason) issues.push({ field: this.featureNames[slot], reason });
          else score = v;
          continue;
        }
        const reason = Number.isNaN(v) ? 'not a number' : this.measurementIssue(slot, v);
        if (reason) {
          issues.push({ field: this.featureNames[slot], reason });
          seen[slot] = 2;
        } else values[slot] = v;
        continue;
      }
      if (slot === 'record_id') {
        const id = toIdentifier(raw);
        if (typeof id === 'object') issues.push({ field: 'record_id', reason: id.reason });
        else recordId = id;
      } else if (slot === 'pathology_note') {
        if (isMissing(raw)) continue;
        if (typeof raw !== 'string') issues.push({ field: 'pathology_note', reason: 'not text' });
        else if (longerThanChars(raw, MAX_NOTE_CHARS)) {
          issues.push({
            field: 'pathology_note',
            reason: `note too long (over ${MAX_NOTE_CHARS} characters)`,
          });
        } else note = raw;
      }
      // patient_id, event_time and diagnosis are accepted and not used for a prediction.
    }
    for (let i = 0; i < n; i++) {
      if (seen[i] !== 2 && Number.isNaN(values[i])) {
        issues.push({ field: this.featureNames[i], reason: 'missing' });
      }
    }
    const scoreIssue = this.noteOrScoreIssue(note !== undefined, score !== undefined, issues);
    if (scoreIssue) issues.push(scoreIssue);
    issues.sort((a, b) => this.order(a.field) - this.order(b.field));
    issues.push(...unknown);
    if (issues.length > 0) return { ok: false, issues };
    if (score !== undefined) values[this.scoreSlot] = score;
    const input: ValidInput = { values };
    if (recordId !== undefined) input.recordId = recordId;
    if (note !== undefined) input.note = note;
    if (score !== undefined) input.score = score;
    return { ok: true, input };
  }

  /** The note/score rule, unless the note or score was already refused for itself. */
  noteOrScoreIssue(
    hasNote: boolean,
    hasScore: boolean,
    issues: readonly FieldIssue[] = [],
  ): FieldIssue | undefined {
    if (hasNote && hasScore) return { field: this.group.scoreFeature, reason: NOT_BOTH };
    if (hasNote || hasScore) return undefined;
    const refused = issues.some(
      (x) => x.field === this.group.scoreFeature || x.field === 'pathology_note',
    );
    return refused ? undefined : { field: this.group.scoreFeature, reason: NOTE_OR_SCORE };
  }

  private order(field: string): number {
    const i = this.featureNames.indexOf(field);
    if (i >= 0) return i;
    return field === 'record_id' ? -1 : this.featureNames.length;
  }
}

export function isMissing(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  return typeof v === 'string' && MISSING.has(v.trim().toLowerCase());
}

/** A number, NaN when present but not a number, undefined when missing. */
function toNumber(v: unknown, numericStrings: boolean): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : NaN;
  if (isMissing(v)) return undefined;
  if (numericStrings && typeof v === 'string' && NUMBER.test(v)) return Number(v);
  return NaN;
}

function toIdentifier(v: unknown): string | { reason: string } | undefined {
  if (isMissing(v)) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v !== 'string') return { reason: 'not text' };
  const id = v.trim();
  if (id.length > MAX_RECORD_ID_CHARS)
    return { reason: `longer than ${MAX_RECORD_ID_CHARS} characters` };
  return id;
}

/** One validator per feature group, built once per process. */
let shared: ModelInputValidator | undefined;
export function modelInputValidator(): ModelInputValidator {
  shared ??= new ModelInputValidator();
  return shared;
}
