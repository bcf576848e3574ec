import { readFileSync } from 'node:fs';
import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';

/** data/wdbc.data (UCI, 569 rows: id, diagnosis, 30 features) as feature records. */
export interface WdbcRow {
  diagnosis: 'M' | 'B';
  features: Record<string, number>;
}

export function loadWdbc(): WdbcRow[] {
  const text = readFileSync(new URL('../../../../data/wdbc.data', import.meta.url), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const cells = line.split(',');
      return {
        diagnosis: cells[1] as 'M' | 'B',
        features: Object.fromEntries(WDBC_FEATURES.map((f, i) => [f, Number(cells[i + 2])])),
      };
    });
}

/** The size features (radius, perimeter, area: mean, standard error, worst). */
export const SIZE_FEATURES = WDBC_FEATURES.filter((f) => /^(radius|perimeter|area)_/.test(f));

/** k items drawn without replacement. */
export function drawWithoutReplacement<T>(items: readonly T[], k: number, rand: () => number): T[] {
  const idx = items.map((_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, k).map((i) => items[i]);
}
