import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import { readBaseline, type Baseline } from '@cancer-mlops/shared/domain/drift/baseline.ts';
import type { BaselineQuality } from '@cancer-mlops/shared/domain/drift/quality.ts';
import { describeError } from '@cancer-mlops/shared/runtime/errors.ts';

/**
 * The baseline of a registered model, from `artifacts/models/<version>/`: statistics.json
 * (required), constraints.json, baseline-sample.csv (samples for the KS test; without it the
 * KLL sketch in statistics.json stands in) and evaluation.json (validation quality).
 */

export const MODELS_BUCKET = 'artifacts';
export const modelPrefix = (version: string) => `models/${version}/`;

export type LoadedBaseline =
  | { ok: true; baseline: Baseline; quality: BaselineQuality; keys: string[]; warnings: string[] }
  | { ok: false; reason: string; keys: string[] };

async function getJson(
  objects: Pick<ObjectStore, 'get'>,
  key: string,
): Promise<unknown | undefined> {
  const body = await objects.get(MODELS_BUCKET, key);
  if (body === undefined) return undefined;
  return JSON.parse(body.toString('utf8')) as unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A metric as a number, whether plain (`0.97`) or Model Monitor's `{ "value": 0.97 }`. */
function metric(source: Record<string, unknown>, names: readonly string[]): number | undefined {
  for (const name of names) {
    const v = source[name];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (isObject(v) && typeof v.value === 'number' && Number.isFinite(v.value)) return v.value;
  }
  return undefined;
}

/**
 * Validation quality from evaluation.json, wherever the training service put it: at the top
 * level, under `validation`, `validation_metrics` or `metrics` (or `metrics.validation`), or in
 * Model Monitor's model-quality format (`binary_classification_metrics.auc.value`).
 */
export function parseEvaluation(json: unknown): BaselineQuality {
  if (!isObject(json)) return {};
  const candidates: Record<string, unknown>[] = [];
  const push = (v: unknown) => {
    if (isObject(v)) candidates.push(v);
  };
  push(json.validation);
  push(json.validation_metrics);
  if (isObject(json.metrics)) push(json.metrics.validation);
  push(json.metrics);
  push(json.binary_classification_metrics);
  push(json);
  const out: BaselineQuality = {};
  for (const c of candidates) {
    out.roc_auc ??= metric(c, ['roc_auc', 'auc', 'rocAuc']);
    out.accuracy ??= metric(c, ['accuracy']);
    out.sensitivity ??= metric(c, ['sensitivity', 'recall', 'true_positive_rate']);
    out.specificity ??= metric(c, ['specificity', 'true_negative_rate']);
  }
  return Object.fromEntries(
    Object.entries(out).filter(([, v]) => v !== undefined),
  ) as BaselineQuality;
}

export async function loadBaseline(
  objects: Pick<ObjectStore, 'get'>,
  version: string,
  prefix: string = modelPrefix(version),
): Promise<LoadedBaseline> {
  const keys = {
    statistics: `${prefix}statistics.json`,
    constraints: `${prefix}constraints.json`,
    sample: `${prefix}baseline-sample.csv`,
    evaluation: `${prefix}evaluation.json`,
  };
  const warnings: string[] = [];
  try {
    const statistics = await getJson(objects, keys.statistics);
    if (statistics === undefined)
      return {
        ok: false,
        reason: `no baseline: ${MODELS_BUCKET}/${keys.statistics} does not exist`,
        keys: [],
      };
    const used = [keys.statistics];
    const constraints = await getJson(objects, keys.constraints);
    if (constraints === undefined)
      warnings.push(
        'constraints.json is missing: SageMaker defaults apply (threshold 0.1, completeness 100%)',
      );
    else used.push(keys.constraints);
    const sample = await objects.get(MODELS_BUCKET, keys.sample);
    if (sample === undefined)
      warnings.push(
        'baseline-sample.csv is missing: the KS test uses the KLL sketch of statistics.json',
      );
    else used.push(keys.sample);
    let quality: BaselineQuality = {};
    try {
      const evaluation = await getJson(objects, keys.evaluation);
      if (evaluation === undefined)
        warnings.push('evaluation.json is missing: no concept-drift comparison');
      else {
        quality = parseEvaluation(evaluation);
        used.push(keys.evaluation);
      }
    } catch (e) {
      warnings.push(
        `evaluation.json is unreadable (${describeError(e)}): no concept-drift comparison`,
      );
    }
    const baseline = readBaseline(statistics, constraints, sample?.toString('utf8'));
    if (baseline.unusable.length)
      warnings.push(`no distribution in the baseline for: ${baseline.unusable.join(', ')}`);
    return { ok: true, baseline, quality, keys: used, warnings };
  } catch (e) {
    return {
      ok: false,
      reason: `invalid baseline for model ${version}: ${describeError(e)}`,
      keys: [],
    };
  }
}

/**
 * A model version's files never change once registered, so a warm Lambda (or the long-lived
 * local runtime) parses a baseline once per version. Failures are not cached: the baseline
 * of a model being registered may appear a moment later.
 */
const cache = new WeakMap<object, Map<string, LoadedBaseline>>();

export async function loadBaselineCached(
  objects: Pick<ObjectStore, 'get'>,
  version: string,
  prefix?: string,
): Promise<LoadedBaseline> {
  let byVersion = cache.get(objects);
  if (!byVersion) cache.set(objects, (byVersion = new Map()));
  const hit = byVersion.get(version);
  if (hit) return hit;
  const loaded = await loadBaseline(objects, version, prefix);
  if (loaded.ok) {
    if (byVersion.size >= 4) byVersion.delete(byVersion.keys().next().value as string);
    byVersion.set(version, loaded);
  }
  return loaded;
}
