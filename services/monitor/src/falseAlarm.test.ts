import { WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import {
  buildBaseline,
  readBaseline,
  type Baseline,
} from '@cancer-mlops/shared/domain/drift/baseline.ts';
import { assessDataDrift, type DriftOptions } from '@cancer-mlops/shared/domain/drift/verdict.ts';
import { DEFAULT_MONITOR_CONFIG } from './config.ts';
import { drawWithoutReplacement, loadWdbc, SIZE_FEATURES } from './testing/wdbc.ts';
import { mulberry32 } from '@cancer-mlops/shared/domain/random.ts';

/**
 * The false-alarm check on real data (issue 7): windows of 100 rows drawn from WDBC with no
 * shift must rarely declare dataset drift, and the same windows with the size features 40%
 * larger must almost always. The decision is the one analyzeDrift takes: the domain verdict
 * with the monitor's default configuration, against a baseline that went through the files
 * the training service writes (statistics.json, constraints.json, baseline-sample.csv).
 */

const WINDOWS = 200;
const ROWS = 100;
const OPTIONS: DriftOptions = {
  alpha: DEFAULT_MONITOR_CONFIG.alpha,
  featureShare: DEFAULT_MONITOR_CONFIG.featureShare,
  minSamples: DEFAULT_MONITOR_CONFIG.minSamples,
  psiBins: DEFAULT_MONITOR_CONFIG.psiBins,
};
const SIZE = new Set(SIZE_FEATURES);

function baselineOf(rows: readonly Record<string, number>[]): Baseline {
  const files = JSON.parse(JSON.stringify(buildBaseline(rows, WDBC_FEATURES)));
  return readBaseline(files.statistics, files.constraints, files.sampleCsv);
}

function windowValues(
  rows: readonly Record<string, number>[],
  shift: boolean,
): Map<string, number[]> {
  return new Map(
    WDBC_FEATURES.map((f) => [f, rows.map((r) => (shift && SIZE.has(f) ? r[f] * 1.4 : r[f]))]),
  );
}

function measure(baseline: Baseline, pool: readonly Record<string, number>[], seed: number) {
  const rand = mulberry32(seed);
  let cleanAlarms = 0;
  let shiftedAlarms = 0;
  let sageMakerCleanWindows = 0;
  for (let w = 0; w < WINDOWS; w++) {
    const rows = drawWithoutReplacement(pool, ROWS, rand);
    const clean = assessDataDrift(baseline, windowValues(rows, false), ROWS, OPTIONS);
    const shifted = assessDataDrift(baseline, windowValues(rows, true), ROWS, OPTIONS);
    if (clean.verdict.status === 'drift') cleanAlarms++;
    if (shifted.verdict.status === 'drift') shiftedAlarms++;
    // What SageMaker's fixed-threshold rule alone would say of the clean window.
    if (clean.features.some((f) => f.distance_exceeds_threshold)) sageMakerCleanWindows++;
  }
  return { cleanAlarms, shiftedAlarms, sageMakerCleanWindows };
}

describe('False-alarm check on WDBC (200 windows of 100 rows)', () => {
  const wdbc = loadWdbc().map((r) => r.features);

  it('baseline = all of WDBC: at most 5% of clean windows and at least 95% of shifted ones declare dataset drift', () => {
    // Prepare
    const baseline = baselineOf(wdbc);

    // Act
    const m = measure(baseline, wdbc, 2026);

    // Assess
    expect(m.cleanAlarms).toBeLessThanOrEqual(WINDOWS * 0.05);
    expect(m.shiftedAlarms).toBeGreaterThanOrEqual(WINDOWS * 0.95);
    // ... where the fixed 0.1 distance alone would have alarmed on most clean windows.
    expect(m.sageMakerCleanWindows).toBeGreaterThan(WINDOWS * 0.5);
  });

  it('stricter: baseline from one half of WDBC, windows from the other half (independent samples)', () => {
    // Prepare
    const [train, live] = [[], []] as Record<string, number>[][];
    const rand = mulberry32(11);
    for (const row of drawWithoutReplacement(wdbc, wdbc.length, rand))
      (train.length <= live.length ? train : live).push(row);
    const baseline = baselineOf(train);

    // Act
    const m = measure(baseline, live, 7);

    // Assess
    expect(m.cleanAlarms).toBeLessThanOrEqual(WINDOWS * 0.05);
    expect(m.shiftedAlarms).toBeGreaterThanOrEqual(WINDOWS * 0.95);
  });
});
