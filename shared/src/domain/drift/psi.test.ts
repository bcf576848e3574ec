import {
  binProportions,
  populationStabilityIndex,
  psiBand,
  psiFromProportions,
  quantileEdges,
} from './psi.ts';
import { sampleOf } from './sample.ts';

describe('Module: drift/psi', () => {
  describe('Function: psiFromProportions', () => {
    it('is 0 for identical proportions', () => {
      expect(psiFromProportions([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
    });

    it('matches the hand computation (0.25-0.5)ln(0.5) + (0.75-0.5)ln(1.5) = 0.27465', () => {
      expect(psiFromProportions([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.2746530721670274, 12);
    });

    it('matches a ten-bin hand computation: 2·0.05·ln2 + 2·0.05·ln1.5 = 0.10986', () => {
      // Prepare
      const expected = new Array(10).fill(0.1);
      const actual = [0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.15, 0.15];

      // Act + Assess
      expect(psiFromProportions(expected, actual)).toBeCloseTo(0.10986122886681095, 12);
    });

    it('stays finite when a live bin is empty', () => {
      expect(Number.isFinite(psiFromProportions([0.5, 0.5], [0, 1]))).toBe(true);
    });
  });

  describe('Function: psiBand', () => {
    it.each([
      [0.05, 'stable'],
      [0.1, 'moderate'],
      [0.2499, 'moderate'],
      [0.25, 'significant'],
    ])('%p is %s', (value, band) => {
      expect(psiBand(value)).toBe(band);
    });
  });

  describe('Function: quantileEdges', () => {
    it('cuts 1..100 at its deciles', () => {
      // Act
      const edges = quantileEdges(sampleOf(Array.from({ length: 100 }, (_, i) => i + 1)), 10);

      // Assess: numpy.quantile(1..100, 0.1) = 10.9
      expect(edges).toHaveLength(9);
      expect(edges[0]).toBeCloseTo(10.9, 10);
      expect(edges[8]).toBeCloseTo(90.1, 10);
    });

    it('merges tied edges so a mostly-zero feature gets fewer bins, never empty ones by construction', () => {
      // Prepare
      const values = [
        ...new Array(80).fill(0),
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        10,
        11,
        12,
        13,
        14,
        15,
        16,
        17,
        18,
        19,
        20,
      ];

      // Act
      const edges = quantileEdges(sampleOf(values), 10);
      const shares = binProportions(sampleOf(values), edges);

      // Assess
      expect(edges[0]).toBe(0);
      expect(shares[0]).toBeCloseTo(0.8, 12);
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    });
  });

  describe('Function: populationStabilityIndex', () => {
    it('is about 0 for the baseline against itself and large for a shifted copy', () => {
      // Prepare
      const base = sampleOf(Array.from({ length: 1000 }, (_, i) => i));
      const shifted = sampleOf(Array.from({ length: 1000 }, (_, i) => i + 500));

      // Act
      const same = populationStabilityIndex(base, base);
      const moved = populationStabilityIndex(base, shifted);

      // Assess
      expect(same.value).toBeCloseTo(0, 12);
      expect(same.band).toBe('stable');
      expect(moved.band).toBe('significant');
    });
  });
});
