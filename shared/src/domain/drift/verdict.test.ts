import { buildBaseline, readBaseline } from './baseline.ts';
import { assessDataDrift, DEFAULT_DRIFT_OPTIONS } from './verdict.ts';

/** Deterministic standard normals (Box–Muller over a linear congruential stream). */
function normals(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return Array.from(
    { length: n },
    () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
  );
}

const FEATURES = Array.from({ length: 10 }, (_, i) => `f${i}`);
const baselineRows = Array.from({ length: 1000 }, (_, r) =>
  FEATURES.map((_, f) => normals(1, r * 31 + f + 1)[0]),
);
const files = buildBaseline(baselineRows, FEATURES);
const baseline = readBaseline(files.statistics, files.constraints, files.sampleCsv);

function window(
  n: number,
  seed: number,
  shift: (f: number) => number = () => 0,
): Map<string, number[]> {
  return new Map(
    FEATURES.map((name, f) => [name, normals(n, seed * 100 + f).map((v) => v + shift(f))]),
  );
}

describe('Module: drift/verdict', () => {
  describe('Function: assessDataDrift', () => {
    it('finds no drift on a window from the baseline distribution', () => {
      // Act
      const { verdict, features } = assessDataDrift(baseline, window(100, 1), 100);

      // Assess
      expect(verdict.status).toBe('no-drift');
      expect(verdict.tested_features).toBe(10);
      expect(features.every((f) => f.ks_p_value !== null && f.psi !== null)).toBe(true);
    });

    it("where SageMaker's fixed 0.1 distance alone would flag features of a small clean window", () => {
      // Act: 30 rows with no drift
      const { verdict, features } = assessDataDrift(baseline, window(30, 2), 30, {
        ...DEFAULT_DRIFT_OPTIONS,
        minSamples: 20,
      });

      // Assess
      expect(features.filter((f) => f.distance_exceeds_threshold).length).toBeGreaterThan(5);
      expect(verdict.status).toBe('no-drift');
    });

    it('declares dataset drift when enough features shift', () => {
      // Act: three of ten features moved by one standard deviation
      const { verdict } = assessDataDrift(
        baseline,
        window(100, 3, (f) => (f < 3 ? 1 : 0)),
        100,
      );

      // Assess
      expect(verdict.status).toBe('drift');
      expect(verdict.drifted_features).toEqual(['f0', 'f1', 'f2']);
      expect(verdict.drifted_share).toBeCloseTo(0.3, 12);
      expect(verdict.required_drifted).toBe(1);
    });

    it('reports but does not declare drift when fewer features drift than the configured share', () => {
      // Act
      const { verdict } = assessDataDrift(
        baseline,
        window(100, 4, (f) => (f === 0 ? 1 : 0)),
        100,
        { ...DEFAULT_DRIFT_OPTIONS, featureShare: 0.3 },
      );

      // Assess
      expect(verdict.status).toBe('no-drift');
      expect(verdict.drifted_features).toEqual(['f0']);
      expect(verdict.reason).toMatch(/1 of 10 features differ \(f0\), 3 needed/);
    });

    it('does not count a significant shift smaller than the comparison threshold (effect-size floor)', () => {
      // Act: 5000 rows, every feature moved by 0.15 sd (KS distance about 0.06)
      const { verdict, features } = assessDataDrift(
        baseline,
        window(5000, 7, () => 0.15),
        5000,
      );

      // Assess
      expect(features.filter((f) => f.significant).length).toBeGreaterThan(5);
      expect(features.every((f) => !f.distance_exceeds_threshold)).toBe(true);
      expect(verdict.status).toBe('no-drift');
      expect(verdict.reason).toMatch(
        /differ significantly on 5000 rows, but by less than the comparison threshold/,
      );
    });

    it('gives no verdict on too few samples, and says so', () => {
      // Act
      const { verdict, features } = assessDataDrift(
        baseline,
        window(20, 5, () => 3),
        20,
      );

      // Assess
      expect(verdict.status).toBe('insufficient-samples');
      expect(verdict.reason).toBe(
        'no verdict: 20 captured row(s) in the window, at least 50 needed',
      );
      expect(features[0].ks_p_value).not.toBeNull();
    });

    it('leaves features absent from the window untested', () => {
      // Prepare
      const live = window(100, 6);
      live.delete('f9');

      // Act
      const { verdict, features } = assessDataDrift(baseline, live, 100);

      // Assess
      expect(verdict.tested_features).toBe(9);
      expect(features[9]).toMatchObject({ feature: 'f9', n: 0, ks_p_value: null, drifted: false });
    });
  });
});
