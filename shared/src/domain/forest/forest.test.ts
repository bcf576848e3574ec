import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { explainRow, predictRaw, predictRow } from './predict.ts';
import { outOfBagProbabilities, trainForest } from './forest.ts';
import {
  HyperparameterError,
  resolveHyperparameters,
  resolveMaxFeatures,
} from './hyperparameters.ts';
import { permutationImportance } from './importance.ts';
import { trainForestParallel } from './parallel.ts';
import { Rng, treeSeed } from './prng.ts';
import { bootstrapCounts } from './tree.ts';
import type { TrainedForest } from './types.ts';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

function wdbc(): { X: Float64Array; y: Uint8Array; names: string[] } {
  const lines = readFileSync(`${ROOT}data/wdbc.data`, 'utf8').trim().split('\n');
  const d = 30;
  const X = new Float64Array(lines.length * d);
  const y = new Uint8Array(lines.length);
  lines.forEach((line, i) => {
    const c = line.split(',');
    y[i] = c[1] === 'M' ? 1 : 0;
    for (let f = 0; f < d; f++) X[i * d + f] = Number(c[f + 2]);
  });
  return { X, y, names: Array.from({ length: d }, (_, f) => `f${f}`) };
}

function forestHash(t: TrainedForest): string {
  const h = createHash('sha256');
  const { roots, feature, threshold, right, value, imputation } = t.forest;
  for (const a of [roots, feature, threshold, right, value, imputation])
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

const data = wdbc();

describe('Function: trainForest', () => {
  it('builds the exact tree for a known tiny dataset', () => {
    // Prepare: one feature, classes separated between 3 and 4; every row, every feature.
    const X = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const y = Uint8Array.from([0, 0, 0, 1, 1, 1]);

    // Act
    const t = trainForest(X, y, ['x'], { nEstimators: 1, bootstrap: false, maxFeatures: 'all' });

    // Assess: root splits at the midpoint 3.5; left leaf benign, right leaf malignant.
    expect(Array.from(t.forest.feature)).toEqual([0, -1, -1]);
    expect(t.forest.threshold[0]).toBe(3.5);
    expect(Array.from(t.forest.right)).toEqual([2, -1, -1]);
    expect(Array.from(t.forest.value)).toEqual([0.5, 0, 1]);
    expect(predictRow(t.forest, [3.4])).toBe(0);
    expect(predictRow(t.forest, [3.6])).toBe(1);
  });

  it('needs two levels for XOR and stops at maxDepth', () => {
    // Prepare: XOR on two features.
    const X = Float64Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
    const y = Uint8Array.from([0, 1, 1, 0]);
    const hp = { nEstimators: 1, bootstrap: false, maxFeatures: 'all' as const };

    // Act
    const full = trainForest(X, y, ['a', 'b'], hp);
    const stump = trainForest(X, y, ['a', 'b'], { ...hp, maxDepth: 1 });

    // Assess: the full tree classifies all four corners; the stump cannot.
    expect(Array.from(predictRaw(full.forest, X, 4))).toEqual([0, 1, 1, 0]);
    expect(stump.forest.feature.length).toBe(3);
    expect(Array.from(predictRaw(stump.forest, X, 4))).toEqual([0.5, 0.5, 0.5, 0.5]);
  });

  it('is byte-identical for the same seed and differs for another', () => {
    // Act
    const a = trainForest(data.X, data.y, data.names, { nEstimators: 20 }, { seed: 7 });
    const b = trainForest(data.X, data.y, data.names, { nEstimators: 20 }, { seed: 7 });
    const c = trainForest(data.X, data.y, data.names, { nEstimators: 20 }, { seed: 8 });

    // Assess
    expect(forestHash(a)).toBe(forestHash(b));
    expect(forestHash(a)).not.toBe(forestHash(c));
  });

  it('gives out-of-bag probabilities from the trees that did not see each row', () => {
    // Act
    const t = trainForest(data.X, data.y, data.names, { nEstimators: 30 }, { seed: 3 });

    // Assess: recompute row 0 by hand from the replayed bootstraps.
    const oob = t.oob!;
    let sum = 0;
    let votes = 0;
    for (let k = 0; k < 30; k++) {
      if (bootstrapCounts(treeSeed(3, k), data.y.length, t.hyperparameters)[0] !== 0) continue;
      let nd = t.forest.roots[k];
      while (t.forest.feature[nd] >= 0) {
        nd = data.X[t.forest.feature[nd]] <= t.forest.threshold[nd] ? nd + 1 : t.forest.right[nd];
      }
      sum += t.forest.value[nd];
      votes++;
    }
    expect(votes).toBeGreaterThan(0);
    expect(oob.probabilities[0]).toBeCloseTo(sum / votes, 12);
    expect(oob.covered).toBe(data.y.length);
    expect(oob.rocAuc).toBeGreaterThan(0.97);
    expect(oob.accuracy).toBeGreaterThan(0.92);
  });

  it('has no OOB estimate without bootstrap', () => {
    // Act
    const t = trainForest(data.X, data.y, data.names, { nEstimators: 3, bootstrap: false });

    // Assess
    expect(t.oob).toBeNull();
  });

  it('respects minSamplesLeaf', () => {
    // Prepare
    const hp = { nEstimators: 5, bootstrap: false, minSamplesLeaf: 20 };

    // Act
    const t = trainForest(data.X, data.y, data.names, hp, { seed: 1 });

    // Assess: count training rows reaching each leaf.
    const reach = new Map<number, number>();
    for (let i = 0; i < data.y.length; i++) {
      for (let k = 0; k < t.forest.nTrees; k++) {
        let nd = t.forest.roots[k];
        while (t.forest.feature[nd] >= 0) {
          nd =
            data.X[i * 30 + t.forest.feature[nd]] <= t.forest.threshold[nd]
              ? nd + 1
              : t.forest.right[nd];
        }
        reach.set(nd, (reach.get(nd) ?? 0) + 1);
      }
    }
    expect(Math.min(...reach.values())).toBeGreaterThanOrEqual(20);
  });

  it('balances classes with classWeight balanced', () => {
    // Act
    const t = trainForest(data.X, data.y, data.names, {
      nEstimators: 1,
      bootstrap: false,
      classWeight: 'balanced',
    });

    // Assess: with balanced weights the root holds half the weight in each class.
    expect(t.forest.value[t.forest.roots[0]]).toBeCloseTo(0.5, 12);
  });

  it('imputes missing values with the training median, in training and prediction', () => {
    // Prepare: knock out some values of feature 0.
    const X = data.X.slice();
    for (let i = 0; i < 50; i++) X[i * 7 * 30] = NaN;
    const t = trainForest(X, data.y, data.names, { nEstimators: 10 }, { seed: 2 });
    const row = data.X.slice(0, 30);
    const missing = row.slice();
    missing[0] = NaN;
    const filled = row.slice();
    filled[0] = t.forest.imputation[0];

    // Act / Assess
    expect(Number.isNaN(t.forest.imputation[0])).toBe(false);
    expect(predictRow(t.forest, missing)).toBe(predictRow(t.forest, filled));
  });

  it('refuses bad input with a clear error', () => {
    // Assess
    expect(() => trainForest(new Float64Array(3), Uint8Array.from([0, 1]), ['a'])).toThrow(
      /expected 2 rows x 1/,
    );
    expect(() => trainForest(new Float64Array(2), Uint8Array.from([0, 2]), ['a'])).toThrow(
      /label of row 1 is 2/,
    );
    expect(() => trainForest(new Float64Array(2), Uint8Array.from([1, 1]), ['a'])).toThrow(
      /one class only/,
    );
    expect(() =>
      trainForest(Float64Array.from([1, Infinity]), Uint8Array.from([0, 1]), ['a']),
    ).toThrow(/infinite/);
  });
});

describe('Function: explainRow', () => {
  it('has bias + contributions adding up to the predicted probability', () => {
    // Prepare
    const t = trainForest(data.X, data.y, data.names, { nEstimators: 50 }, { seed: 5 });

    for (const i of [0, 19, 100, 568]) {
      // Act
      const e = explainRow(t.forest, data.X, i * 30);

      // Assess
      const total = e.bias + e.contributions.reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(predictRow(t.forest, data.X, i * 30), 12);
      expect(e.probability).toBeCloseTo(predictRow(t.forest, data.X, i * 30), 12);
    }
  });
});

describe('Function: impurity and permutation importance', () => {
  it('ranks the informative feature above noise', () => {
    // Prepare: feature 0 decides the label (with 10% flips), features 1-3 are noise.
    const rng = new Rng(11);
    const n = 400;
    const X = new Float64Array(n * 4);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < 4; f++) X[i * 4 + f] = rng.nextFloat();
      y[i] = (X[i * 4] > 0.5 ? 1 : 0) ^ (rng.nextFloat() < 0.1 ? 1 : 0);
    }
    const t = trainForest(X, y, ['signal', 'n1', 'n2', 'n3'], { nEstimators: 40 }, { seed: 1 });

    // Act
    const perm = permutationImportance(t.forest, X, y, {
      repeats: 3,
      oob: { hyperparameters: t.hyperparameters, seed: t.seed },
    });

    // Assess
    const imp = Array.from(t.impurityImportance);
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(imp[0]).toBe(Math.max(...imp));
    expect(perm.basis).toBe('oob');
    expect(perm.mean[0]).toBeGreaterThan(0.2);
    for (let f = 1; f < 4; f++) expect(perm.mean[f]).toBeLessThan(0.05);
  });
});

describe('Function: outOfBagProbabilities', () => {
  it('matches the OOB result of training', () => {
    // Prepare
    const t = trainForest(data.X, data.y, data.names, { nEstimators: 10 }, { seed: 9 });

    // Act
    const p = outOfBagProbabilities(t.forest, data.X, data.y.length, t.hyperparameters, t.seed);

    // Assess
    expect(Array.from(p)).toEqual(Array.from(t.oob!.probabilities));
  });
});

describe('Function: resolveHyperparameters', () => {
  it('fills scikit-learn defaults', () => {
    // Act
    const hp = resolveHyperparameters({});

    // Assess
    expect(hp).toMatchObject({
      nEstimators: 100,
      maxFeatures: 'sqrt',
      minSamplesLeaf: 1,
      bootstrap: true,
    });
    expect(resolveMaxFeatures('sqrt', 31)).toBe(5);
    expect(resolveMaxFeatures(0.5, 31)).toBe(15);
    expect(resolveMaxFeatures(40, 31)).toBe(31);
  });

  it('names the bad key', () => {
    // Assess
    expect(() => resolveHyperparameters({ nEstimators: 0 })).toThrow(HyperparameterError);
    expect(() => resolveHyperparameters({ maxFeatures: 1.5 })).toThrow(/maxFeatures/);
    expect(() => resolveHyperparameters({ bogus: 1 } as never)).toThrow(/bogus: unknown/);
  });
});

describe('Function: trainForestParallel', () => {
  it('gives the same forest as trainForest (in jest: workers or the in-thread fallback)', async () => {
    // Act
    const serial = trainForest(data.X, data.y, data.names, { nEstimators: 12 }, { seed: 4 });
    const parallel = await trainForestParallel(
      data.X,
      data.y,
      data.names,
      { nEstimators: 12 },
      { seed: 4, workers: 2 },
    );

    // Assess
    expect(forestHash(parallel)).toBe(forestHash(serial));
    expect(Array.from(parallel.oob!.probabilities)).toEqual(Array.from(serial.oob!.probabilities));
  });

  it('uses worker threads under tsx and still matches trainForest byte for byte', () => {
    // Prepare: a child process running the real entrypoint through tsx, as the container does.
    const script = `
      import { createHash } from 'node:crypto';
      import { trainForest } from './shared/src/domain/forest/forest.ts';
      import { trainForestParallel } from './shared/src/domain/forest/parallel.ts';
      const n = 300, d = 6;
      let s = 1; const r = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
      const X = new Float64Array(n * d), y = new Uint8Array(n);
      for (let i = 0; i < n; i++) { for (let f = 0; f < d; f++) X[i * d + f] = r(); y[i] = X[i * d] + X[i * d + 1] > 1 ? 1 : 0; }
      const names = ['a', 'b', 'c', 'd', 'e', 'f'];
      const h = (t) => { const x = createHash('sha256'); for (const a of [t.forest.feature, t.forest.threshold, t.forest.right, t.forest.value]) x.update(new Uint8Array(a.buffer)); return x.digest('hex'); };
      const p = await trainForestParallel(X, y, names, { nEstimators: 16 }, { seed: 5, workers: 2, fallback: 'error' });
      const t = trainForest(X, y, names, { nEstimators: 16 }, { seed: 5 });
      console.log(JSON.stringify({ workers: p.workersUsed, same: h(p) === h(t) }));
    `;

    // Act
    const out = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );

    // Assess
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout.trim())).toEqual({ workers: 2, same: true });
  });
});
