import { z } from 'zod';
import { CommonConfigSchema, readConfig } from '@cancer-mlops/shared/runtime/config.ts';

const fraction = z.coerce.number().min(0).max(1);

/**
 * The training service's settings. The approval thresholds and mode are configuration, not
 * code: a site whose clinical governance requires a person in the loop sets
 * APPROVAL_MODE=manual, and packages then wait in PendingManualApproval.
 */
export const TrainingConfigSchema = CommonConfigSchema.extend({
  /** auto: the policy approves or rejects. manual: the policy only recommends; a person decides. */
  APPROVAL_MODE: z.enum(['auto', 'manual']).default('auto'),
  APPROVAL_MIN_AUC: fraction.default(0.97),
  APPROVAL_MIN_SENSITIVITY: fraction.default(0.95),
  /** How much ROC AUC a challenger may lose against the champion on the same validation set. */
  APPROVAL_MAX_AUC_DROP: fraction.default(0.005),
  /** Fewest validation cases per class before the policy judges at all. */
  APPROVAL_MIN_VALIDATION_PER_CLASS: z.coerce.number().int().min(0).default(20),
  /** Newly labelled records (written since the last training's cutoff) that trigger a training. */
  NEW_DATA_THRESHOLD: z.coerce.number().int().positive().default(50),
  /** Smaller datasets are refused before any training job starts. */
  MIN_DATASET_ROWS: z.coerce.number().int().min(2).default(20),
  VALIDATION_FRACTION: z.coerce.number().gt(0).lt(1).default(0.2),
  SPLIT_SEED: z.coerce.number().int().nonnegative().default(42),
  /** JSON object of hyperparameters passed to the container (values become strings). */
  TRAINING_HYPERPARAMETERS: z
    .string()
    .default('{}')
    .transform((s, ctx) => {
      try {
        const v: unknown = JSON.parse(s);
        if (v && typeof v === 'object' && !Array.isArray(v)) {
          return Object.fromEntries(
            Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)]),
          );
        }
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
      return z.NEVER;
    }),
  /** Git commit or release of the code that trains; recorded in every package's lineage. */
  CODE_VERSION: z.string().min(1).default('dev'),
  /**
   * A lock whose training job does not exist is abandoned after this long: the request that
   * took it died before starting the job, since no Lambda runs longer than 15 minutes.
   */
  TRAINING_LOCK_STALE_SECONDS: z.coerce.number().int().positive().default(900),
});
export type TrainingConfig = z.infer<typeof TrainingConfigSchema>;

export const readTrainingConfig = (env: NodeJS.ProcessEnv = process.env): TrainingConfig =>
  readConfig(TrainingConfigSchema, env);
