import {
  accuracy,
  brierScore,
  confusionMatrix,
  evaluateBinary,
  f1,
  prAuc,
  precision,
  rocAuc,
  sensitivity,
  specificity,
} from './classification.ts';
import { applyCalibration, calibrationTable, fitPlatt } from './calibration.ts';
import { stratifiedFoldIds, stratifiedKFold } from './crossValidation.ts';
import {
  chooseThreshold,
  normalQuantile,
  requiredPositives,
  wilsonLowerBound,
} from './threshold.ts';
import { Rng } from '../forest/prng.ts';

// A small case worked by hand: positives score 0.35 and 0.8, negatives 0.1 and 0.4.
const Y = [0, 0, 1, 1];
const P = [0.1, 0.4, 0.35, 0.8];

describe('Function: rocAuc', () => {
  it('counts correctly ordered positive/negative pairs', () => {
    // Act / Assess: pairs (0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes) = 3/4.
    expect(rocAuc(Y, P)).toBe(0.75);
  });

  it('counts ties as half', () => {
    // Assess: one tied pair, one won pair -> (0.5 + 1) / 2.
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])).toBe(0.875);
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
  });

  it('refuses a single class', () => {
    // Assess
    expect(() => rocAuc([1, 1], [0.2, 0.3])).toThrow(/both classes/);
  });
});

describe('Function: prAuc', () => {
  it('is average precision', () => {
    // Act / Assess: thresholds 0.8 (R=.5, P=1), 0.4 (R=.5, P=.5), 0.35 (R=1, P=2/3):
    // AP = 0.5 * 1 + 0 * 0.5 + 0.5 * 2/3 = 0.8333...
    expect(prAuc(Y, P)).toBeCloseTo(0.5 + 1 / 3, 12);
  });
});

describe('Function: confusionMatrix and rates', () => {
  it('computes every rate from one matrix', () => {
    // Prepare: threshold 0.38 -> predicted malignant: 0.4 (FP), 0.8 (TP); 0.35 is a FN.
    const cm = confusionMatrix(Y, P, 0.38);

    // Assess
    expect(cm).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
    expect(accuracy(cm)).toBe(0.5);
    expect(sensitivity(cm)).toBe(0.5);
    expect(specificity(cm)).toBe(0.5);
    expect(precision(cm)).toBe(0.5);
    expect(f1(cm)).toBe(0.5);
  });

  it('uses >= threshold and handles empty denominators', () => {
    // Prepare
    const cm = confusionMatrix([1, 0, 1], [0.5, 0.2, 0.7], 0.5);
    const none = confusionMatrix([1, 0], [0.1, 0.2], 0.9);

    // Assess
    expect(cm).toEqual({ tp: 2, fp: 0, tn: 1, fn: 0 });
    expect(precision(none)).toBe(0);
    expect(f1(none)).toBe(0);
  });

  it('computes F1 as the harmonic mean', () => {
    // Prepare: tp 2, fp 2, fn 1 -> precision 0.5, recall 2/3, F1 = 4/7.
    const cm = { tp: 2, fp: 2, tn: 5, fn: 1 };

    // Assess
    expect(f1(cm)).toBeCloseTo(4 / 7, 12);
    expect(accuracy(cm)).toBe(0.7);
    expect(specificity(cm)).toBeCloseTo(5 / 7, 12);
  });
});

describe('Function: brierScore', () => {
  it('is the mean squared error', () => {
    // Assess: (0.01 + 0.01 + 0.04 + 0.09) / 4
    expect(brierScore([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3])).toBeCloseTo(0.0375, 12);
  });
});

describe('Function: evaluateBinary', () => {
  it('bundles the metrics and stays JSON-safe for one class', () => {
    // Act
    const m = evaluateBinary(Y, P, 0.38);
    const one = evaluateBinary([0, 0], [0.2, 0.1], 0.5);

    // Assess
    expect(m).toMatchObject({
      n: 4,
      positives: 2,
      rocAuc: 0.75,
      accuracy: 0.5,
      brier: expect.any(Number),
    });
    expect(one.rocAuc).toBeNull();
    expect(one.prAuc).toBeNull();
    expect(one.specificity).toBe(1);
  });
});

describe('Function: calibrationTable', () => {
  it('bins probabilities by equal width', () => {
    // Prepare
    const y = [0, 1, 1, 0, 1];
    const p = [0.05, 0.15, 0.12, 0.95, 1];

    // Act
    const table = calibrationTable(y, p, 10);

    // Assess: bin 0 holds 0.05; bin 1 holds 0.15 and 0.12; bin 9 holds 0.95 and 1.
    expect(table).toHaveLength(10);
    expect(table[0]).toMatchObject({
      lower: 0,
      upper: 0.1,
      count: 1,
      meanPredicted: 0.05,
      observedRate: 0,
    });
    expect(table[1].count).toBe(2);
    expect(table[1].meanPredicted).toBeCloseTo(0.135, 12);
    expect(table[1].observedRate).toBe(1);
    expect(table[9]).toMatchObject({ count: 2, observedRate: 0.5 });
    expect(table[9].meanPredicted).toBeCloseTo(0.975, 12);
    expect(table[5]).toMatchObject({ count: 0, meanPredicted: null, observedRate: null });
  });
});

describe('Function: fitPlatt', () => {
  it('recovers an increasing sigmoid and improves the Brier score of squeezed scores', () => {
    // Prepare: true probability q, reported score squeezed towards 0.5.
    const rng = new Rng(5);
    const y: number[] = [];
    const s: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const q = rng.nextFloat();
      y.push(rng.nextFloat() < q ? 1 : 0);
      s.push(0.25 + q / 2);
    }

    // Act
    const c = fitPlatt(y, s);

    // Assess
    expect(c.method).toBe('platt');
    if (c.method !== 'platt') return;
    expect(c.a).toBeLessThan(0);
    const calibrated = s.map((v) => applyCalibration(c, v));
    expect(brierScore(y, calibrated)).toBeLessThan(brierScore(y, s));
    expect(applyCalibration(c, 0.3)).toBeLessThan(applyCalibration(c, 0.7));
  });

  it("interpolates two points exactly onto Platt's smoothed targets", () => {
    // Prepare: one benign at 0.2, one malignant at 0.8. Targets: 1/3 and 2/3, so
    // 0.2a + b = ln 2 and 0.8a + b = -ln 2, i.e. a = -2 ln 2 / 0.6, b = ln 2 - 0.2a.

    // Act
    const c = fitPlatt([0, 1], [0.2, 0.8]);

    // Assess
    expect(c.method).toBe('platt');
    if (c.method !== 'platt') return;
    expect(c.a).toBeCloseTo((-2 * Math.LN2) / 0.6, 5);
    expect(c.b).toBeCloseTo(Math.LN2 + (0.2 * 2 * Math.LN2) / 0.6, 5);
    expect(applyCalibration(c, 0.2)).toBeCloseTo(1 / 3, 5);
    expect(applyCalibration(c, 0.8)).toBeCloseTo(2 / 3, 5);
  });

  it('falls back to identity with one class and skips NaN', () => {
    // Assess
    expect(fitPlatt([1, 1], [0.2, 0.9])).toEqual({ method: 'identity' });
    expect(fitPlatt([0, 1, 1], [0.1, NaN, 0.9]).method).toBe('platt');
  });
});

describe('Function: chooseThreshold', () => {
  // Four malignant (0.9, 0.8, 0.7, 0.3) and two benign (0.5, 0.2).
  const y = [1, 1, 1, 1, 0, 0];
  const p = [0.9, 0.8, 0.7, 0.3, 0.5, 0.2];

  it('takes the highest threshold reaching the target, midway to the next score', () => {
    // Act: 0.75 of 4 positives = 3 -> 3rd highest positive 0.7; next lower score 0.5 -> 0.6.
    const t = chooseThreshold(y, p, 0.75);

    // Assess
    expect(t.threshold).toBeCloseTo(0.6, 12);
    expect(t.sensitivity).toBe(0.75);
    expect(t.specificity).toBe(1);
  });

  it('catches every malignant case at target 1', () => {
    // Act: all 4 -> 0.3; next lower 0.2 -> 0.25.
    const t = chooseThreshold(y, p, 1);

    // Assess
    expect(t.threshold).toBeCloseTo(0.25, 12);
    expect(t.sensitivity).toBe(1);
    expect(t.specificity).toBe(0.5);
    expect(t.confusion).toEqual({ tp: 4, fp: 1, tn: 1, fn: 0 });
  });

  it('is not fooled by floating point in target * positives', () => {
    // Prepare: 20 positives at distinct scores; 0.95 * 20 = 19.000000000000004.
    const yy = Array.from({ length: 20 }, () => 1).concat([0]);
    const pp = Array.from({ length: 20 }, (_, i) => 1 - i / 40).concat([0]);

    // Act
    const t = chooseThreshold(yy, pp, 0.95);

    // Assess: exactly 19 caught.
    expect(t.confusion.tp).toBe(19);
  });

  it('with a confidence, keeps enough malignant rows above it for the Wilson bound to reach the target', () => {
    // Prepare: 100 positives at distinct scores, 100 negatives below them.
    const yy = Array.from({ length: 200 }, (_, i) => (i < 100 ? 1 : 0));
    const pp = yy.map((v, i) => (v ? 1 - i / 200 : 0.4 - i / 1000));

    // Act
    const plain = chooseThreshold(yy, pp, 0.95);
    const sure = chooseThreshold(yy, pp, 0.91, 0.95);

    // Assess: plain catches 95; at 95% confidence of 0.91, 96 of 100 are needed
    // (one-sided Wilson lower bound of 95/100 is 0.9008 < 0.91, of 96/100 is 0.9138).
    expect(plain.confusion.tp).toBe(95);
    expect(sure.confusion.tp).toBe(96);
    expect(sure.confidence).toBe(0.95);
    expect(sure.threshold).toBeGreaterThan(0.4);
  });

  it('refuses a bad target', () => {
    // Assess
    expect(() => chooseThreshold(y, p, 0.95, 1)).toThrow(/confidence/);
    expect(() => chooseThreshold(y, p, 0)).toThrow(/target sensitivity/);
    expect(() => chooseThreshold([0, 0], [0.1, 0.2])).toThrow(/malignant rows/);
  });
});

describe('Function: wilsonLowerBound, normalQuantile, requiredPositives', () => {
  it('matches published values', () => {
    // Assess: the 95% two-sided Wilson interval of 19/20 is 0.7639 - 0.9911.
    expect(wilsonLowerBound(19, 20, 1.959964)).toBeCloseTo(0.7639, 4);
    expect(wilsonLowerBound(0, 0, 1.96)).toBe(0);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 6);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it('asks for more rows with a confidence and for all of them when that is not enough', () => {
    // Assess
    expect(requiredPositives(20, 0.95, 0)).toBe(19);
    expect(requiredPositives(100, 0.91, 0.95)).toBe(96);
    expect(requiredPositives(170, 0.95, 0.95)).toBe(167);
    // 10/10 has a Wilson lower bound of 0.79 at z = 1.645: no count gives 0.95, so all.
    expect(requiredPositives(10, 0.95, 0.95)).toBe(10);
  });
});

describe('Function: stratifiedKFold', () => {
  it('keeps the class mix in every fold and covers each row once', () => {
    // Prepare: 23 malignant, 37 benign.
    const y = Array.from({ length: 60 }, (_, i) => (i < 23 ? 1 : 0));

    // Act
    const folds = stratifiedKFold(y, 5, 3);

    // Assess
    const seen = new Set<number>();
    for (const f of folds) {
      const pos = Array.from(f.test).filter((i) => y[i] === 1).length;
      expect(f.test.length).toBe(12);
      expect(pos === 4 || pos === 5).toBe(true);
      expect(f.train.length + f.test.length).toBe(60);
      for (const i of f.test) seen.add(i);
    }
    expect(seen.size).toBe(60);
    expect(Array.from(stratifiedFoldIds(y, 5, 3))).toEqual(Array.from(stratifiedFoldIds(y, 5, 3)));
    expect(Array.from(stratifiedFoldIds(y, 5, 4))).not.toEqual(
      Array.from(stratifiedFoldIds(y, 5, 3)),
    );
  });

  it('refuses more folds than the smaller class has rows', () => {
    // Assess
    expect(() => stratifiedKFold([1, 1, 0, 0, 0], 3)).toThrow(/smaller class has 2/);
    expect(() => stratifiedKFold([1, 0], 1)).toThrow(/integer >= 2/);
  });
});
