import { buildBaseline, buildStatistics, readBaseline } from './baseline.ts';
import { parseNumericCsv } from './csv.ts';
import { ConstraintsSchema, StatisticsSchema } from './sagemaker.ts';

const FEATURES = ['radius_mean', 'malignancy_risk_score'];
const ROWS = Array.from({ length: 30 }, (_, i) => ({
  radius_mean: 10 + i * 0.5,
  malignancy_risk_score: (i % 10) + 1,
  record_id: `r${i}`,
}));

describe('Module: drift/baseline', () => {
  describe('Function: buildBaseline', () => {
    it("writes statistics.json in SageMaker Model Monitor's layout", () => {
      // Act
      const { statistics } = buildBaseline(ROWS, FEATURES);

      // Assess
      expect(StatisticsSchema.safeParse(statistics).success).toBe(true);
      expect(statistics.dataset).toEqual({ item_count: 30 });
      const radius = statistics.features[0];
      expect(radius.name).toBe('radius_mean');
      expect(radius.inferred_type).toBe('Fractional');
      const num = radius.numerical_statistics!;
      expect(num.common).toEqual({ num_present: 30, num_missing: 0 });
      expect(num.min).toBe(10);
      expect(num.max).toBe(24.5);
      expect(num.mean).toBeCloseTo(17.25, 12);
      expect(num.sum).toBeCloseTo(517.5, 12);
      expect(num.distribution!.kll!.buckets).toHaveLength(10);
      expect(num.distribution!.kll!.buckets.reduce((a, b) => a + b.count, 0)).toBe(30);
      expect(num.distribution!.kll!.sketch).toEqual({
        parameters: { c: 0.64, k: 2048 },
        data: [ROWS.map((r) => r.radius_mean)],
      });
      expect(statistics.features[1].inferred_type).toBe('Integral');
    });

    it('writes constraints.json with completeness and the 0.1 comparison threshold', () => {
      // Act
      const { constraints } = buildBaseline(
        [...ROWS, { radius_mean: null, malignancy_risk_score: 3 }],
        FEATURES,
      );

      // Assess
      expect(ConstraintsSchema.safeParse(constraints).success).toBe(true);
      expect(constraints.features[0]).toMatchObject({
        name: 'radius_mean',
        completeness: 30 / 31,
        num_constraints: { is_non_negative: true },
      });
      expect(constraints.monitoring_config?.distribution_constraints).toEqual({
        perform_comparison: 'Enabled',
        comparison_threshold: 0.1,
        comparison_method: 'Robust',
      });
    });

    it('keeps features only in the sample CSV, with a header row', () => {
      // Act
      const { sampleCsv } = buildBaseline(ROWS, FEATURES);

      // Assess
      const lines = sampleCsv.trim().split('\n');
      expect(lines[0]).toBe('radius_mean,malignancy_risk_score');
      expect(lines).toHaveLength(31);
      expect(sampleCsv).not.toContain('r1');
    });

    it('samples at most sampleSize rows, reproducibly for a seed', () => {
      // Prepare
      const many = Array.from({ length: 5000 }, (_, i) => [i, 1 + (i % 10)]);

      // Act
      const a = buildBaseline(many, FEATURES, { sampleSize: 2000, seed: 7 });
      const b = buildBaseline(many, FEATURES, { sampleSize: 2000, seed: 7 });

      // Assess
      const table = parseNumericCsv(a.sampleCsv);
      expect(table.rows).toBe(2000);
      expect(new Set(table.columns.get('radius_mean')).size).toBe(2000);
      expect(a.sampleCsv).toBe(b.sampleCsv);
    });
  });

  describe('Function: readBaseline', () => {
    it('prefers baseline-sample.csv, then the KLL sketch, then the buckets', () => {
      // Prepare
      const files = buildBaseline(ROWS, FEATURES);
      const stats = structuredClone(files.statistics);
      delete stats.features[1].numerical_statistics!.distribution!.kll!.sketch;

      // Act
      const fromCsv = readBaseline(files.statistics, files.constraints, files.sampleCsv);
      const fromSketch = readBaseline(stats, files.constraints);

      // Assess
      expect(fromCsv.features.map((f) => f.source)).toEqual(['sample-csv', 'sample-csv']);
      expect(fromSketch.features.map((f) => f.source)).toEqual(['kll-sketch', 'kll-buckets']);
      expect(fromSketch.features[0].sample.total).toBe(30);
      expect(fromSketch.features[1].sample.total).toBeCloseTo(30, 9);
      expect(fromSketch.comparisonThreshold).toBe(0.1);
    });

    it('reads per-feature threshold overrides and the documented "comparion_method" spelling', () => {
      // Prepare
      const files = buildBaseline(ROWS, FEATURES);
      const constraints = structuredClone(files.constraints) as Record<string, unknown> &
        typeof files.constraints;
      constraints.features[0].monitoringConfigOverrides = { comparison_threshold: 0.3 };
      constraints.monitoring_config = {
        distribution_constraints: { comparison_threshold: 0.2, comparion_method: 'Simple' },
      };

      // Act
      const b = readBaseline(files.statistics, constraints);

      // Assess
      expect(b.features[0].comparisonThreshold).toBe(0.3);
      expect(b.features[1].comparisonThreshold).toBe(0.2);
      expect(b.comparisonMethod).toBe('Simple');
    });

    it('rejects a statistics file that is not in the format, naming the field', () => {
      expect(() => readBaseline({ features: [{ name: 'x' }] }, undefined)).toThrow(/inferred_type/);
    });

    it('reads the live statistics it writes (round trip through JSON)', () => {
      const stats = JSON.parse(JSON.stringify(buildStatistics([[1], [2], [null]], ['a'])));
      const b = readBaseline(stats, undefined);
      expect(b.features[0]).toMatchObject({ name: 'a', source: 'kll-sketch', mean: 1.5 });
    });
  });
});
