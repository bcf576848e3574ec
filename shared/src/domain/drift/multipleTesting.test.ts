import { bonferroniAdjust, holmAdjust } from './multipleTesting.ts';

describe('Module: drift/multipleTesting', () => {
  describe('Function: holmAdjust', () => {
    it('matches the hand computation (and R p.adjust(method = "holm"))', () => {
      // Prepare: sorted 0.005, 0.01, 0.03, 0.04 -> 4·0.005, 3·0.01, max(2·0.03, ·), max(1·0.04, 0.06)
      const p = [0.01, 0.04, 0.03, 0.005];

      // Act
      const adj = holmAdjust(p);

      // Assess
      expect(adj[3]).toBeCloseTo(0.02, 12);
      expect(adj[0]).toBeCloseTo(0.03, 12);
      expect(adj[2]).toBeCloseTo(0.06, 12);
      expect(adj[1]).toBeCloseTo(0.06, 12);
    });

    it('caps at 1 and leaves untested features out of the family', () => {
      // Act
      const adj = holmAdjust([0.5, Number.NaN, 0.01]);

      // Assess: family of 2
      expect(adj[2]).toBeCloseTo(0.02, 12);
      expect(adj[0]).toBe(0.5);
      expect(adj[1]).toBeNaN();
      expect(holmAdjust([0.9, 0.8])).toEqual([1, 1]);
    });

    it('never rejects less than Bonferroni', () => {
      const p = [0.001, 0.012, 0.013, 0.2, 0.03];
      const holm = holmAdjust(p);
      const bonf = bonferroniAdjust(p);
      holm.forEach((h, i) => expect(h).toBeLessThanOrEqual(bonf[i] + 1e-15));
    });
  });
});
