import {
  aucStandardError,
  binomialCdf,
  compareQuality,
  normalCdf,
  qualityMetrics,
  rocAuc,
  type LabelledPrediction,
} from './quality.ts';

const OPTIONS = { aucDrop: 0.05, sensitivityDrop: 0.1, alpha: 0.05, minLabels: 30 };

function labelled(probability: number, actual: 0 | 1, threshold = 0.5): LabelledPrediction {
  return { probability, actual, predicted: probability >= threshold ? 1 : 0 };
}

describe('Module: drift/quality', () => {
  describe('Function: rocAuc', () => {
    it("matches scikit-learn's documented example (roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.75)", () => {
      expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    });

    it('counts ties as one half (hand-computed 8.5/9)', () => {
      // Prepare: pairs (pos > neg): 0.9 beats 3, 0.8 beats 3, 0.7 ties 0.7 and beats 2
      expect(rocAuc([0.9, 0.8, 0.7, 0.7, 0.3, 0.2], [1, 1, 1, 0, 0, 0])).toBeCloseTo(8.5 / 9, 12);
    });

    it('is null with one class', () => {
      expect(rocAuc([0.1, 0.2], [1, 1])).toBeNull();
    });
  });

  describe('Function: qualityMetrics', () => {
    it('computes the confusion-matrix rates', () => {
      // Prepare: TP=2, FN=1, TN=3, FP=1
      const items = [
        labelled(0.9, 1),
        labelled(0.8, 1),
        labelled(0.2, 1),
        labelled(0.1, 0),
        labelled(0.3, 0),
        labelled(0.4, 0),
        labelled(0.6, 0),
      ];

      // Act
      const m = qualityMetrics(items);

      // Assess
      expect(m).toMatchObject({
        n: 7,
        positives: 3,
        negatives: 4,
        true_positives: 2,
        false_negatives: 1,
        true_negatives: 3,
        false_positives: 1,
      });
      expect(m.accuracy).toBeCloseTo(5 / 7, 12);
      expect(m.sensitivity).toBeCloseTo(2 / 3, 12);
      expect(m.specificity).toBeCloseTo(3 / 4, 12);
      expect(m.precision).toBeCloseTo(2 / 3, 12);
    });
  });

  describe('Function: aucStandardError', () => {
    it('matches Hanley & McNeil (1982) by hand: A=0.8, 50+50 cases -> 0.04450', () => {
      // Q1 = 0.8/1.2, Q2 = 1.28/1.8, SE² = (0.16 + 49·0.026667 + 49·0.071111)/2500
      expect(aucStandardError(0.8, 50, 50)).toBeCloseTo(0.044502, 5);
    });
  });

  describe('Functions: normalCdf, binomialCdf', () => {
    it('Φ(1.96) = 0.97500 and Φ(0) = 0.5', () => {
      expect(normalCdf(1.96)).toBeCloseTo(0.9750021, 6);
      expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    });

    it('P(X<=3 | n=10, p=0.5) = 176/1024', () => {
      expect(binomialCdf(3, 10, 0.5)).toBeCloseTo(176 / 1024, 10);
      expect(binomialCdf(10, 10, 0.3)).toBe(1);
    });
  });

  describe('Function: compareQuality', () => {
    const baseline = { roc_auc: 0.99, accuracy: 0.96, sensitivity: 0.95 };

    it('gives no verdict on fewer labels than the minimum', () => {
      // Act
      const r = compareQuality(baseline, [labelled(0.9, 1), labelled(0.1, 0)], OPTIONS);

      // Assess
      expect(r.status).toBe('insufficient-labels');
      expect(r.reason).toMatch(/2 labelled/);
    });

    it('finds no drift when live quality matches validation', () => {
      // Prepare: 40 perfectly ranked predictions
      const items = Array.from({ length: 40 }, (_, i) =>
        labelled(i < 20 ? 0.9 - i * 0.01 : 0.3 - (i - 20) * 0.01, i < 20 ? 1 : 0),
      );

      // Act
      const r = compareQuality(baseline, items, OPTIONS);

      // Assess
      expect(r.status).toBe('no-drift');
      expect(r.live.roc_auc).toBe(1);
    });

    it('declares concept drift when AUC and sensitivity collapse on enough labels', () => {
      // Prepare: scores unrelated to the label
      const items = Array.from({ length: 60 }, (_, i) =>
        labelled(((i * 37) % 60) / 60, (i % 2) as 0 | 1),
      );

      // Act
      const r = compareQuality(baseline, items, OPTIONS);

      // Assess
      expect(r.status).toBe('drift');
      expect(r.reason).toMatch(/ROC AUC/);
      expect(r.auc_p_value).toBeLessThan(0.05);
    });

    it('says so when the model has no validation metrics', () => {
      expect(compareQuality({}, [], OPTIONS).status).toBe('no-baseline');
    });
  });
});
