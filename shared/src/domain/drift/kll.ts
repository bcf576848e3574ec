import { sampleOf, type Sample } from './sample.ts';

/**
 * A KLL-style quantile sketch in the layout SageMaker Model Monitor writes into
 * statistics.json (`distribution.kll.sketch`): `data[h]` holds the items of compactor level
 * h, each standing for 2^h original values. With up to k values nothing is compacted, so a
 * baseline of a few thousand rows keeps every value and the KS test against it is exact.
 *
 * The compaction is deterministic (alternating even/odd offsets) rather than randomised:
 * the same training set always gives the same statistics.json.
 */
// A type alias (not an interface) so it fits statistics.json's open (looseObject) schema.
export type KllSketch = {
  parameters: { c: number; k: number };
  data: number[][];
};

export const KLL_DEFAULTS = { c: 0.64, k: 2048 } as const;

export function buildKllSketch(
  values: ArrayLike<number>,
  k: number = KLL_DEFAULTS.k,
  c: number = KLL_DEFAULTS.c,
): KllSketch {
  const levels: number[][] = [Array.from(values).filter((v) => Number.isFinite(v))];
  const capacity = (h: number) => Math.max(2, Math.ceil(k * c ** (levels.length - 1 - h)));
  let oddOffset = false;
  for (;;) {
    const h = levels.findIndex((items, level) => items.length > capacity(level));
    if (h < 0) break;
    const items = [...levels[h]].sort((a, b) => a - b);
    // An odd item out stays at its level so the total weight is preserved exactly.
    const kept = items.length % 2 === 1 ? [items.pop() as number] : [];
    const promoted: number[] = [];
    for (let i = oddOffset ? 1 : 0; i < items.length; i += 2) promoted.push(items[i]);
    oddOffset = !oddOffset;
    levels[h] = kept;
    if (h + 1 === levels.length) levels.push([]);
    levels[h + 1].push(...promoted);
  }
  return { parameters: { c, k }, data: levels };
}

/** The weighted sample a sketch stands for (level h items weigh 2^h). */
export function sketchSample(sketch: Pick<KllSketch, 'data'>): Sample {
  const values: number[] = [];
  const weights: number[] = [];
  sketch.data.forEach((items, h) => {
    for (const v of items) {
      values.push(v);
      weights.push(2 ** h);
    }
  });
  return sampleOf(values, weights);
}
