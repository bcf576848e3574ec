import { readFileSync } from 'node:fs';
import { assembleKernel, BATCH_KERNEL, renderKernelModule } from '../../../../scripts/wasm.ts';
import { Rng } from './prng.ts';
import { predictBatch } from './batchPredict.ts';
import { trainForest } from './forest.ts';
import { predictRaw, predictRawScalar } from './predict.ts';
import type { Forest } from './types.ts';

/** n rows of d Gaussian features; the label depends on the first two, with noise. */
function dataset(n: number, d: number, seed: number): { X: Float64Array; y: Uint8Array } {
  const rng = new Rng(seed);
  const X = new Float64Array(n * d);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < d; f++) X[i * d + f] = rng.nextGaussian();
    y[i] = X[i * d] + (d > 1 ? X[i * d + 1] : 0) + 0.5 * rng.nextGaussian() > 0 ? 1 : 0;
  }
  return { X, y };
}

function forestOf(d: number, seed: number, nEstimators = 25): Forest {
  const { X, y } = dataset(400, d, seed);
  const names = Array.from({ length: d }, (_, f) => `f${f}`);
  return trainForest(X, y, names, { nEstimators }, { seed, oob: false }).forest;
}

/** The kernel's answer and the TypeScript loop's, row by row, compared as exact bit patterns. */
function expectSameAsScalar(forest: Forest, X: Float64Array, n: number): void {
  const kernel = new Float64Array(n);
  expect(predictBatch(forest, X, n, kernel)).toBe(true);
  const scalar = predictRawScalar(forest, X, n);
  expect(Buffer.from(kernel.buffer).equals(Buffer.from(scalar.buffer))).toBe(true);
}

describe('Function: predictBatch (WebAssembly kernel)', () => {
  it('is assembled from batchKernel.wat exactly as committed', async () => {
    // Act
    const bytes = await assembleKernel(BATCH_KERNEL.wat);

    // Assess: run `npm run build:wasm` after editing the .wat.
    expect(readFileSync(BATCH_KERNEL.module, 'utf8')).toBe(renderKernelModule(BATCH_KERNEL, bytes));
  });

  it.each([
    [1, 16],
    [3, 17],
    [7, 18],
    [30, 19],
    // Every remainder of eight rows at a time, and fewer rows than eight.
    [5, 7],
    [30, 20],
    [30, 21],
    [30, 22],
    [30, 23],
    [30, 4096],
    [30, 4097],
    [12, 10_003],
  ])('gives bit-identical results to predictRow with %i features on %i rows', (d, n) => {
    // Prepare: rows from another draw than the training data, so paths vary.
    const forest = forestOf(d, d * 31 + 1);
    const { X } = dataset(n, d, 99);

    // Act + Assess
    expectSameAsScalar(forest, X, n);
  });

  it('replaces missing values by the training median, as the TypeScript loop does', () => {
    // Prepare: every third value missing, plus infinities and negative zero.
    const d = 5;
    const forest = forestOf(d, 3);
    const { X } = dataset(1000, d, 4);
    for (let i = 0; i < X.length; i += 3) X[i] = NaN;
    X[1] = Infinity;
    X[7] = -Infinity;
    X[11] = -0;

    // Act + Assess
    expectSameAsScalar(forest, X, 1000);
  });

  it('leaves the caller rows untouched (imputation happens on its own copy)', () => {
    // Prepare
    const forest = forestOf(4, 5);
    const { X } = dataset(64, 4, 6);
    X[0] = NaN;
    const before = Float64Array.from(X);

    // Act
    predictRaw(forest, X, 64);

    // Assess
    expect(Buffer.from(X.buffer).equals(Buffer.from(before.buffer))).toBe(true);
  });

  it('handles trees that are a single leaf', () => {
    // Prepare: leaves of at least 20 rows out of 20, so no tree can split.
    const X = Float64Array.from({ length: 40 }, (_, i) => i);
    const y = Uint8Array.from({ length: 20 }, (_, i) => i % 2);
    const hp = { nEstimators: 3, bootstrap: false, minSamplesLeaf: 20 };
    const forest = trainForest(X, y, ['a', 'b'], hp, { oob: false }).forest;
    expect(Array.from(forest.feature)).toEqual([-1, -1, -1]);

    // Act
    const out = new Float64Array(20);
    predictBatch(forest, X, 20, out);

    // Assess
    expect(Array.from(out)).toEqual(new Array(20).fill(0.5));
  });

  it('keeps one kernel per forest and several forests apart', () => {
    // Prepare
    const a = forestOf(6, 11);
    const b = forestOf(6, 12);
    const { X } = dataset(300, 6, 13);

    // Act: interleave the two forests.
    const a1 = predictRaw(a, X, 300);
    const b1 = predictRaw(b, X, 300);
    const a2 = predictRaw(a, X, 300);

    // Assess
    expect(Array.from(a2)).toEqual(Array.from(a1));
    expect(Array.from(b1)).not.toEqual(Array.from(a1));
    expect(Array.from(b1)).toEqual(Array.from(predictRawScalar(b, X, 300)));
  });

  it('refuses rows or an output that are too short', () => {
    // Prepare
    const forest = forestOf(3, 1);

    // Act + Assess
    expect(() => predictRaw(forest, new Float64Array(3 * 20 - 1), 20)).toThrow(RangeError);
    expect(() => predictRaw(forest, new Float64Array(3 * 20), 16.5)).toThrow(RangeError);
    expect(() => predictRaw(forest, new Float64Array(3 * 20), 20, new Float64Array(19))).toThrow(
      RangeError,
    );
  });
});
