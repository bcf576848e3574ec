/**
 * Reads the model container's JSON answer to one instance. The container is ours (the same
 * serve code on SageMaker and locally), but the answer still crosses a process boundary, so
 * it is checked rather than trusted: a malformed answer is a 502, never a made-up prediction.
 */

export interface ModelPrediction {
  probability: number;
  /** The operating threshold, when the container states it. */
  threshold?: number;
  label: 'malignant' | 'benign';
  /** Per-feature contributions in model order, when the container explained. */
  contributions?: Float64Array;
}

export class ModelOutputError extends Error {
  override readonly name = 'ModelOutputError';
}

export function parseModelOutput(
  body: Uint8Array | string,
  featureNames: readonly string[],
): ModelPrediction {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    throw new ModelOutputError('the model answered with something that is not JSON');
  }
  const first = (parsed as { predictions?: unknown[] } | null)?.predictions?.[0] as
    Record<string, unknown> | undefined;
  if (first === undefined || first === null || typeof first !== 'object') {
    throw new ModelOutputError('the model answer has no predictions[0]');
  }
  const probability = first.probability_malignant;
  const threshold = first.threshold;
  if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
    throw new ModelOutputError('the model answer has no probability_malignant in [0, 1]');
  }
  if (
    threshold !== undefined &&
    (typeof threshold !== 'number' || !(threshold >= 0 && threshold <= 1))
  ) {
    throw new ModelOutputError('the model answer has a threshold outside [0, 1]');
  }
  const label = first.prediction;
  if (label !== 'malignant' && label !== 'benign')
    throw new ModelOutputError('the model answer has no prediction');
  const out: ModelPrediction = { probability, label };
  if (threshold !== undefined) out.threshold = threshold;
  const contributions = readContributions(first.contributions, featureNames);
  if (contributions) out.contributions = contributions;
  return out;
}

/**
 * Contributions in model order, from `[{feature, contribution}]` (the container's shape), an
 * object keyed by feature, or bare numbers in model order.
 */
function readContributions(raw: unknown, names: readonly string[]): Float64Array | undefined {
  if (raw === undefined || raw === null) return undefined;
  const out = new Float64Array(names.length);
  if (Array.isArray(raw)) {
    if (raw.length !== names.length)
      throw new ModelOutputError(
        `the model gave ${raw.length} contributions for ${names.length} features`,
      );
    for (let i = 0; i < raw.length; i++) {
      const item = raw[i] as unknown;
      if (typeof item === 'number') out[i] = item;
      else if (
        item &&
        typeof item === 'object' &&
        typeof (item as { contribution?: unknown }).contribution === 'number'
      ) {
        const { feature, contribution } = item as { feature?: unknown; contribution: number };
        // The container answers in model order; the search is only for one that does not.
        const at = typeof feature !== 'string' || names[i] === feature ? i : names.indexOf(feature);
        if (at < 0) throw new ModelOutputError('the model explained a feature it should not have');
        out[at] = contribution;
      } else throw new ModelOutputError('the model answer has contributions of an unknown shape');
    }
    return out;
  }
  if (typeof raw === 'object') {
    const byName = raw as Record<string, unknown>;
    for (let i = 0; i < names.length; i++) {
      const v = byName[names[i]];
      out[i] = typeof v === 'number' ? v : 0;
    }
    return out;
  }
  throw new ModelOutputError('the model answer has contributions of an unknown shape');
}
