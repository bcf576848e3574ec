import { z } from 'zod';
import { EvidenceSchema, FeatureRecordSchema, PatientRecordSchema } from './record.ts';

/** Where a record came from, so a dead letter can be traced back to its file and row. */
export const SourceRefSchema = z
  .object({
    bucket: z.string(),
    key: z.string(),
    row: z.number().int().positive(),
    ingest_id: z.string(),
  })
  .strict();

/** ingest -> scoring, queue `notes-to-score`. */
export const NoteToScoreMessageSchema = z
  .object({
    kind: z.literal('note-to-score'),
    record: PatientRecordSchema,
    source: SourceRefSchema,
  })
  .strict();
export type NoteToScoreMessage = z.infer<typeof NoteToScoreMessageSchema>;

/** scoring.scoreNote -> scoring.writeFeatures, queue `feature-writes`. */
export const FeatureWriteMessageSchema = z
  .object({
    kind: z.literal('feature-write'),
    record: FeatureRecordSchema,
    evidence: z.array(EvidenceSchema).default([]),
    source: SourceRefSchema,
  })
  .strict();
export type FeatureWriteMessage = z.infer<typeof FeatureWriteMessageSchema>;

/** Anything -> training, queue `training-requests`. */
export const TrainingRequestSchema = z
  .object({
    kind: z.literal('training-request'),
    reason: z.enum(['initial', 'new-data', 'schedule', 'drift', 'manual']),
    /** Two requests with the same key never run two trainings at once. */
    idempotency_key: z.string().min(1),
    requested_at: z.string().datetime({ offset: true }),
    detail: z.string().max(2000).optional(),
    cutoff: z.string().datetime({ offset: true }).optional(),
  })
  .strict();
export type TrainingRequest = z.infer<typeof TrainingRequestSchema>;
