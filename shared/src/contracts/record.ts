import { z } from 'zod';
import { WDBC_FEATURES } from './featureGroup.ts';

export const DiagnosisSchema = z.enum(['M', 'B']);
export type Diagnosis = z.infer<typeof DiagnosisSchema>;

export const RiskScoreSchema = z.number().int().min(1).max(10);

const measurements = Object.fromEntries(
  WDBC_FEATURES.map((name) => [name, z.number().finite().nonnegative()]),
) as Record<string, z.ZodNumber>;

/**
 * A patient record as it travels the mesh after ingest. `patient_id` here is always the
 * keyed pseudonym, never the hospital's identifier.
 */
export const PatientRecordSchema = z
  .object({
    record_id: z.string().min(1).max(128),
    /** Keyed pseudonym; absent when the hospital file had no patient column. */
    patient_id: z.string().min(1).max(128).optional(),
    event_time: z.string().datetime({ offset: true }),
    diagnosis: DiagnosisSchema.optional(),
    pathology_note: z.string().max(200_000).optional(),
    malignancy_risk_score: RiskScoreSchema.optional(),
    ...measurements,
  })
  .strict();
export type PatientRecord = z.infer<typeof PatientRecordSchema> & Record<string, unknown>;

export const ScoreSourceSchema = z.enum(['bedrock', 'local', 'openai', 'provided', 'none']);
export type ScoreSource = z.infer<typeof ScoreSourceSchema>;

/** Evidence is a short quoted span and its offsets; it never carries the whole note. */
export const EvidenceSchema = z
  .object({
    quote: z.string().max(300),
    start: z.number().int().nonnegative().optional(),
    end: z.number().int().nonnegative().optional(),
    weight: z.number().optional(),
    rule: z.string().optional(),
  })
  .strict();
export type Evidence = z.infer<typeof EvidenceSchema>;

export const NoteScoreSchema = z
  .object({
    malignancy_risk_score: RiskScoreSchema,
    evidence: z.array(EvidenceSchema).max(20),
    rationale: z.string().max(2000),
    scorer_id: z.string(),
    prompt_version: z.string(),
  })
  .strict();
export type NoteScore = z.infer<typeof NoteScoreSchema>;

/** What the feature store holds: measurements, label, score and its provenance; no note text. */
export const FeatureRecordSchema = PatientRecordSchema.omit({ pathology_note: true })
  .extend({
    score_source: ScoreSourceSchema,
    scorer_id: z.string().optional(),
    /** Set when a record is withdrawn; point-in-time reads exclude it from then on. */
    is_deleted: z.boolean().default(false),
  })
  .strict();
export type FeatureRecord = z.infer<typeof FeatureRecordSchema> & Record<string, unknown>;
