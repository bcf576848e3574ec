import { buildKllSketch, sketchSample } from './kll.ts';
import { quantile } from './sample.ts';

describe('Module: drift/kll', () => {
  describe('Function: buildKllSketch', () => {
    it('keeps every value in level 0 when there are at most k', () => {
      // Act
      const sketch = buildKllSketch([3, 1, 2], 2048, 0.64);

      // Assess
      expect(sketch).toEqual({ parameters: { c: 0.64, k: 2048 }, data: [[3, 1, 2]] });
    });

    it('compacts beyond k, preserving the total weight and the quantiles within a few percent', () => {
      // Prepare
      const values = Array.from({ length: 20_000 }, (_, i) => (i * 7919) % 20_000);

      // Act
      const sketch = buildKllSketch(values, 200, 0.64);
      const s = sketchSample(sketch);

      // Assess
      const stored = sketch.data.reduce((a, l) => a + l.length, 0);
      expect(stored).toBeLessThan(1000);
      expect(s.total).toBe(20_000);
      for (const q of [0.1, 0.5, 0.9])
        expect(Math.abs(quantile(s, q) - q * 20_000)).toBeLessThan(0.03 * 20_000);
    });

    it('is deterministic', () => {
      const values = Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 100);
      expect(buildKllSketch(values, 128)).toEqual(buildKllSketch(values, 128));
    });
  });
});
