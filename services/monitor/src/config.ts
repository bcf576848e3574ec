import { z } from 'zod';
import { readConfig } from '@cancer-mlops/shared/runtime/config.ts';

/**
 * The monitor's settings, from the environment. Every one has a default, so the local
 * runtime and a fresh deploy behave the same with no variable set.
 */
export const MonitorConfigSchema = z.object({
  /** A window with fewer captured rows gets statistics but no verdict. */
  DRIFT_MIN_SAMPLES: z.coerce.number().int().positive().default(50),
  /** Dataset drift: at least this share of the tested features drifts. */
  DRIFT_FEATURE_SHARE: z.coerce.number().gt(0).max(1).default(0.1),
  /** Family-wise significance level of the per-feature tests (and of the quality tests). */
  DRIFT_ALPHA: z.coerce.number().gt(0).lt(1).default(0.05),
  DRIFT_PSI_BINS: z.coerce.number().int().min(2).max(50).default(10),
  /** reactToDrift: no second RetrainingRequested within this many minutes of the last. */
  DRIFT_COOLDOWN_MINUTES: z.coerce.number().nonnegative().default(360),
  /** reactToDrift: a data-drift alarm needs at least this many drifted features. */
  DRIFT_MIN_EVIDENCE: z.coerce.number().int().nonnegative().default(2),
  /** First run: how far back to read captures. */
  DRIFT_INITIAL_LOOKBACK_HOURS: z.coerce.number().positive().default(24),
  /** Capture files may land this long after their hour; those hours are listed again. */
  DRIFT_LATE_ARRIVAL_HOURS: z.coerce.number().nonnegative().default(2),
  /** A window still short of DRIFT_MIN_SAMPLES is closed (no verdict) after this long. */
  DRIFT_MAX_WINDOW_HOURS: z.coerce.number().positive().default(168),
  /** Concept drift: live ROC AUC at least this far below validation ... */
  QUALITY_AUC_DROP: z.coerce.number().nonnegative().default(0.05),
  /** ... or live sensitivity this far below (both also need p < DRIFT_ALPHA). */
  QUALITY_SENSITIVITY_DROP: z.coerce.number().nonnegative().default(0.1),
  QUALITY_MIN_LABELS: z.coerce.number().int().positive().default(30),
  /** Ground truth is matched to predictions captured within this many days. */
  QUALITY_LOOKBACK_DAYS: z.coerce.number().positive().default(14),
  /** Live quality is computed over labels received within this many days. */
  QUALITY_WINDOW_DAYS: z.coerce.number().positive().default(30),
  /** Only this endpoint's captures (`capture/<name>/…`); every endpoint when unset. */
  MONITOR_ENDPOINT_NAME: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,63}$/)
    .optional(),
});

export interface MonitorConfig {
  minSamples: number;
  featureShare: number;
  alpha: number;
  psiBins: number;
  cooldownMinutes: number;
  minEvidence: number;
  initialLookbackHours: number;
  lateArrivalHours: number;
  maxWindowHours: number;
  aucDrop: number;
  sensitivityDrop: number;
  minLabels: number;
  lookbackDays: number;
  qualityWindowDays: number;
  endpointName?: string;
}

export function readMonitorConfig(env: NodeJS.ProcessEnv = process.env): MonitorConfig {
  const c = readConfig(MonitorConfigSchema, env);
  return {
    minSamples: c.DRIFT_MIN_SAMPLES,
    featureShare: c.DRIFT_FEATURE_SHARE,
    alpha: c.DRIFT_ALPHA,
    psiBins: c.DRIFT_PSI_BINS,
    cooldownMinutes: c.DRIFT_COOLDOWN_MINUTES,
    minEvidence: c.DRIFT_MIN_EVIDENCE,
    initialLookbackHours: c.DRIFT_INITIAL_LOOKBACK_HOURS,
    lateArrivalHours: c.DRIFT_LATE_ARRIVAL_HOURS,
    maxWindowHours: c.DRIFT_MAX_WINDOW_HOURS,
    aucDrop: c.QUALITY_AUC_DROP,
    sensitivityDrop: c.QUALITY_SENSITIVITY_DROP,
    minLabels: c.QUALITY_MIN_LABELS,
    lookbackDays: c.QUALITY_LOOKBACK_DAYS,
    qualityWindowDays: c.QUALITY_WINDOW_DAYS,
    ...(c.MONITOR_ENDPOINT_NAME ? { endpointName: c.MONITOR_ENDPOINT_NAME } : {}),
  };
}

export const DEFAULT_MONITOR_CONFIG: MonitorConfig = readMonitorConfig({});
