import { kolmogorovSurvival, ksStatistic, ksTwoSample, smirnovExactPValue } from './ks.ts';
import { sampleOf } from './sample.ts';

// Two samples rounded to 3 decimals (numpy default_rng(7): N(0,1) x60 and N(0.5,1) x80); the
// reference values are scipy.stats.ks_2samp's on the same numbers.
const X = [
  0.001, 0.299, -0.274, -0.891, -0.455, -0.992, 0.06, 1.34, -0.492, -0.62, 0.49, 0.357, 0.105,
  -0.93, -0.029, 0.695, -1.344, -0.458, -1.901, -1.29, -1.842, -0.235, -1.267, 0.271, 0.157, -0.187,
  -2.517, -0.539, -0.049, 0.113, -1.53, -0.478, -0.979, -0.809, 1.061, -0.808, -0.033, 0.884,
  -0.584, -0.112, 0.11, 0.064, -1.225, 0.076, 1.359, -1.547, 0.859, 0.119, -0.641, 2.0, 0.762,
  -1.199, 0.075, 0.577, -0.189, 0.683, -0.067, 0.667, 1.439, -0.676,
];
const Y = [
  0.703, 0.037, 0.627, -0.687, -0.079, 0.304, 1.399, 1.645, -0.824, -0.295, 1.147, -1.492, 0.037,
  0.403, 1.757, 1.189, 0.173, 0.131, 0.25, 2.024, 0.072, 0.196, 0.853, 0.379, 0.303, -0.614, 0.488,
  0.056, 1.666, 1.153, 0.476, 1.168, 0.16, 1.552, 0.495, 1.083, -0.791, 0.847, -1.188, -1.535,
  0.196, -0.4, 0.664, 2.745, -0.332, -0.124, 0.705, 0.993, 0.324, 0.294, 1.202, 1.02, -0.534, 0.421,
  0.535, -0.554, 0.76, -0.358, 1.472, 0.693, 0.589, -0.091, 0.381, -1.498, -0.631, 0.863, -1.629,
  1.347, -1.246, 1.257, -0.345, 1.279, 0.631, -1.037, 1.749, 1.942, 0.434, 0.226, 0.34, -0.475,
];

describe('Module: drift/ks', () => {
  describe('Function: kolmogorovSurvival', () => {
    // Published critical values c(α) of the Kolmogorov distribution (two-sample KS tables):
    // 1.224 -> 0.10, 1.358 -> 0.05, 1.628 -> 0.01, 1.949 -> 0.001.
    it.each([
      [1.224, 0.1],
      [1.358, 0.05],
      [1.628, 0.01],
      [1.949, 0.001],
    ])('Q(%p) is about %p (published critical values)', (lambda, alpha) => {
      // Act
      const q = kolmogorovSurvival(lambda);

      // Assess
      expect(q).toBeCloseTo(alpha, 3);
    });

    it.each([
      [0.2, 0.999999999999495],
      [0.5, 0.9639452436648751],
      [1.0, 0.26999967167735456],
      [3.0, 3.045995948942526e-8],
    ])(
      'Q(%p) matches scipy.special.kolmogorov on both sides of the series switch',
      (lambda, expected) => {
        // Act
        const q = kolmogorovSurvival(lambda);

        // Assess
        expect(Math.abs(q - expected)).toBeLessThan(1e-10 + 1e-8 * expected);
      },
    );

    it('is 1 at and below zero', () => {
      expect(kolmogorovSurvival(0)).toBe(1);
      expect(kolmogorovSurvival(-1)).toBe(1);
    });
  });

  describe('Function: ksStatistic', () => {
    it('is 1 for separated samples and 0 for identical ones', () => {
      expect(ksStatistic(sampleOf([1, 2, 3]), sampleOf([4, 5, 6]))).toBe(1);
      expect(ksStatistic(sampleOf([1, 2, 3]), sampleOf([3, 2, 1]))).toBe(0);
    });

    it('is computed after ties on both sides (hand-computed)', () => {
      // Prepare: F_a jumps to 2/4 at 1 and 1 at 2; F_b to 1/2 at 1 and 1 at 3.
      const a = sampleOf([1, 1, 2, 2]);
      const b = sampleOf([1, 3]);

      // Act
      const d = ksStatistic(a, b);

      // Assess: at x=2, |1 - 1/2| = 0.5; at x=1, |1/2 - 1/2| = 0
      expect(d).toBe(0.5);
    });

    it('honours weights: an item of weight 2 counts twice', () => {
      const weighted = sampleOf([1, 2], [2, 1]);
      const expanded = sampleOf([1, 1, 2]);
      expect(ksStatistic(weighted, sampleOf([1.5]))).toBeCloseTo(
        ksStatistic(expanded, sampleOf([1.5])),
        12,
      );
    });
  });

  describe('Function: smirnovExactPValue', () => {
    it('counts merge orders by hand: 2 of the C(4,2)=6 orders of 2+2 values are fully separated', () => {
      expect(smirnovExactPValue(1, 2, 2)).toBeCloseTo(2 / 6, 12);
      expect(smirnovExactPValue(0.5, 2, 2)).toBeCloseTo(1, 12);
    });

    it('gives 2/C(6,3) = 0.1 for two separated samples of three', () => {
      expect(smirnovExactPValue(1, 3, 3)).toBeCloseTo(0.1, 12);
    });

    it('is symmetric in n and m', () => {
      expect(smirnovExactPValue(0.475, 10, 8)).toBeCloseTo(smirnovExactPValue(0.475, 8, 10), 12);
    });
  });

  describe('Function: ksTwoSample', () => {
    it('matches scipy exact on 10 vs 8 values (D=0.475, p=0.2037)', () => {
      // Prepare
      const a = sampleOf([0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64]);
      const b = sampleOf([-0.8, -1.1, 0.2, -0.35, -2.1, -0.15, 0.9, -1.5]);

      // Act
      const r = ksTwoSample(a, b);

      // Assess
      expect(r.method).toBe('exact');
      expect(r.statistic).toBeCloseTo(0.475, 12);
      expect(r.pValue).toBeCloseTo(0.20366561543032125, 8);
    });

    it('matches scipy exact on 60 vs 80 values (D=0.3833, p=5.539e-5)', () => {
      // Act
      const r = ksTwoSample(sampleOf(X), sampleOf(Y));

      // Assess
      expect(r.statistic).toBeCloseTo(0.38333333333333336, 12);
      expect(r.pValue / 5.539088044202648e-5).toBeCloseTo(1, 3);
    });

    it('asymptotic p-value (Stephens correction) is within 10% of the exact one at n=60, m=80', () => {
      // Act
      const asym = ksTwoSample(sampleOf(X), sampleOf(Y), 'asymptotic');

      // Assess
      expect(asym.method).toBe('asymptotic');
      expect(asym.effectiveN).toBeCloseTo((60 * 80) / 140, 12);
      expect(Math.abs(asym.pValue / 5.539088044202648e-5 - 1)).toBeLessThan(0.1);
    });

    it.each([0.13, 0.145, 0.174, 0.202])(
      'at the sizes the monitor sees (100 live vs 569 baseline rows) the asymptotic p agrees with the exact one within 3%% at D=%p',
      (d) => {
        // Prepare
        const en = (100 * 569) / 669;
        const sq = Math.sqrt(en);

        // Act
        const exact = smirnovExactPValue(d, 100, 569);
        const asym = kolmogorovSurvival((sq + 0.12 + 0.11 / sq) * d);

        // Assess
        expect(Math.abs(asym / exact - 1)).toBeLessThan(0.03);
      },
    );

    it('the exact p of 50 vs 50 at D=0.28 matches scipy (0.0391946)', () => {
      // scipy.stats._stats_py._compute_prob_outside_square(50, 14)
      expect(smirnovExactPValue(0.28, 50, 50)).toBeCloseTo(0.039194586195352224, 9);
    });

    it('returns p=1 and a NaN statistic when one side is empty', () => {
      const r = ksTwoSample(sampleOf([1, 2]), sampleOf([]));
      expect(r.pValue).toBe(1);
      expect(r.statistic).toBeNaN();
    });
  });
});
