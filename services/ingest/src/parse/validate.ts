import type { FeatureGroup } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import type { Diagnosis } from '@cancer-mlops/shared/contracts/record.ts';
import type { DecimalMark } from '@cancer-mlops/shared/domain/csv/decimalMark.ts';
import { charCount } from '@cancer-mlops/shared/domain/validation/modelInput.ts';
import {
  parseDiagnosis,
  parseEventTime,
  parseIdentifier,
  parseRecordId,
  parseMeasurement,
  parseNote,
  parseRiskScore,
  type Parsed,
  type RawValue,
} from './values.ts';

export interface FieldReason {
  field: string;
  reason: string;
}

/** A row's values after validation, before pseudonymisation and the id/time defaults. */
export interface ValidRow {
  record_id?: string;
  event_time?: string;
  diagnosis?: Diagnosis;
  pathology_note?: string;
  malignancy_risk_score?: number;
  measurements: Record<string, number>;
}

export type RowVerdict =
  | { ok: true; row: ValidRow; patientId?: string }
  | { ok: false; reasons: FieldReason[]; patientId?: string };

/**
 * Checks one row's fields (canonical names -> raw cells) against the feature group and says,
 * per failed field, why: missing, not a number, out of the physically possible range,
 * unknown diagnosis code, ... Every measurement is required (the model has no imputation
 * for them); label, note, score, ids and event time are optional. Reasons name the field and
 * the rule, never the value.
 */
export function validateFields(
  fields: ReadonlyMap<string, RawValue>,
  group: FeatureGroup,
  options: {
    decimalComma?: boolean;
    /** The file's decimal mark, with decimalComma (see decimalMark.ts). */
    decimalMark?: DecimalMark;
    now?: Date;
  } = {},
): RowVerdict {
  const decimalComma = options.decimalComma ?? false;
  const mark = decimalComma ? options.decimalMark : undefined;
  const reasons: FieldReason[] = [];
  const row: ValidRow = { measurements: {} };

  const take = <T>(field: string, parsed: Parsed<T>, required = false): T | undefined => {
    if (parsed.kind === 'value') return parsed.value;
    if (parsed.kind === 'invalid') reasons.push({ field, reason: parsed.reason });
    else if (required) reasons.push({ field, reason: 'missing' });
    return undefined;
  };

  const recordId = take('record_id', parseRecordId(fields.get('record_id')));
  if (recordId !== undefined) row.record_id = recordId;
  const patientId = take('patient_id', parseIdentifier(fields.get('patient_id')));
  const eventTime = take('event_time', parseEventTime(fields.get('event_time'), options.now));
  if (eventTime !== undefined) row.event_time = eventTime;
  const diagnosis = take('diagnosis', parseDiagnosis(fields.get('diagnosis'), group));
  if (diagnosis !== undefined) row.diagnosis = diagnosis;

  for (const f of group.features) {
    const value = take(f.name, parseMeasurement(fields.get(f.name), f, decimalComma, mark), true);
    if (value !== undefined) row.measurements[f.name] = value;
  }

  const score = take(
    group.scoreFeature,
    parseRiskScore(fields.get(group.scoreFeature), decimalComma, mark),
  );
  if (score !== undefined) row.malignancy_risk_score = score;
  const note = take('pathology_note', parseNote(fields.get('pathology_note')));
  if (note !== undefined) row.pathology_note = note;

  const withPatient = patientId !== undefined ? { patientId } : {};
  return reasons.length > 0
    ? { ok: false, reasons, ...withPatient }
    : { ok: true, row, ...withPatient };
}

/**
 * What a quarantine line keeps of a rejected row: the canonical fields as they were given
 * (cut to 64 characters), except the note (only its length) and the patient id (only its
 * pseudonym). A quarantine file is still patient data, so it holds what an operator needs to
 * find and fix the row, nothing more.
 */
export function quarantineFields(
  fields: ReadonlyMap<string, RawValue>,
  pseudonym: string | undefined,
): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const [name, value] of fields) {
    if (name === 'pathology_note') {
      if (typeof value === 'string' && value !== '') out.note_length = charCount(value);
      continue;
    }
    if (name === 'patient_id') {
      if (pseudonym !== undefined) out.patient_id = pseudonym;
      continue;
    }
    out[name] = cell(value);
  }
  return out;
}

function cell(v: RawValue): string | number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}
