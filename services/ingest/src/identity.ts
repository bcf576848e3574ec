import { createHash, createHmac } from 'node:crypto';
import type { ValidRow } from './parse/validate.ts';

/** The secret holding the pseudonym key (logical name; `<prefix>-<stage>-pseudonym-key` on AWS). */
export const PSEUDONYM_SECRET = 'pseudonym-key';

/**
 * A keyed pseudonym for a hospital patient id: `p_` + the first 32 hex characters (128 bits)
 * of HMAC-SHA-256(key, id). The same id always maps to the same pseudonym, so a patient's
 * records stay linkable, but without the key nobody can test a guessed id against it (a plain
 * hash of a medical record number is reversed by trying them all). The id is trimmed, and
 * otherwise taken as written: `MRN-001` and `mrn-001` are different patients.
 */
export function pseudonymise(key: string, patientId: string): string {
  return `p_${createHmac('sha256', key).update(patientId.trim(), 'utf8').digest('hex').slice(0, 32)}`;
}

/**
 * The record id of a row that has none: `r_` + 32 hex characters of SHA-256 over the row's
 * canonical values (parsed numbers, canonical label, pseudonym, note, provided score; sorted
 * keys). It does not depend on the file name, the row's position, the delimiter or decimal
 * style, or the event time, so the same row dropped again, or in another file, gets the same
 * id and the feature store sees a duplicate instead of a new patient.
 */
export function deriveRecordId(row: ValidRow, pseudonym: string | undefined): string {
  const canonical: Record<string, unknown> = { ...row.measurements };
  if (row.diagnosis !== undefined) canonical.diagnosis = row.diagnosis;
  if (row.malignancy_risk_score !== undefined)
    canonical.malignancy_risk_score = row.malignancy_risk_score;
  if (row.pathology_note !== undefined) canonical.pathology_note = row.pathology_note;
  if (pseudonym !== undefined) canonical.patient_id = pseudonym;
  const sorted = Object.keys(canonical)
    .sort()
    .map((k) => [k, canonical[k]]);
  return `r_${createHash('sha256').update(JSON.stringify(sorted), 'utf8').digest('hex').slice(0, 32)}`;
}
