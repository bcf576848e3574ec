import { baselineConstraints, baselineStatistics, kllSketch } from './baseline.ts';
import { gzipSync } from 'node:zlib';
import { tar, untar } from './modelArtifacts.ts';

describe('Function: baselineStatistics', () => {
  it("describes each feature as Model Monitor's data-quality baseline does", () => {
    // Prepare: two features, four rows, one missing value.
    const table = {
      features: ['radius_mean', 'malignancy_risk_score'],
      recordIds: ['a', 'b', 'c', 'd'],
      labels: Int8Array.from([1, 0, 0, 1]),
      values: Float64Array.from([10, 2, 12, 4, 14, Number.NaN, 16, 8]),
    };

    // Act
    const stats = baselineStatistics(table);
    const constraints = baselineConstraints(stats);

    // Assess
    expect(stats.version).toBe(0);
    expect(stats.dataset).toEqual({ item_count: 4 });
    const [radius, score] = stats.features;
    expect(radius).toMatchObject({
      name: 'radius_mean',
      inferred_type: 'Integral',
      numerical_statistics: {
        common: { num_present: 4, num_missing: 0 },
        mean: 13,
        sum: 52,
        min: 10,
        max: 16,
      },
    });
    expect(radius.numerical_statistics.std_dev).toBeCloseTo(Math.sqrt(5));
    expect(radius.numerical_statistics.distribution.kll.buckets).toHaveLength(10);
    expect(
      radius.numerical_statistics.distribution.kll.buckets.reduce((a, b) => a + b.count, 0),
    ).toBe(4);
    expect(radius.numerical_statistics.distribution.kll.sketch).toEqual({
      parameters: { c: 0.64, k: 2048 },
      data: [[10, 12, 14, 16]],
    });
    expect(score.numerical_statistics.common).toEqual({ num_present: 3, num_missing: 1 });
    expect(constraints.features[1]).toEqual({
      name: 'malignancy_risk_score',
      inferred_type: 'Integral',
      completeness: 0.75,
      num_constraints: { is_non_negative: true },
    });
    expect(constraints.monitoring_config).toEqual({
      evaluate_constraints: 'Enabled',
      emit_metrics: 'Enabled',
      datatype_check_threshold: 1.0,
      domain_content_threshold: 1.0,
      distribution_constraints: {
        perform_comparison: 'Enabled',
        comparison_threshold: 0.1,
        comparison_method: 'Robust',
        categorical_comparison_threshold: 0.1,
        categorical_drift_method: 'LInfinity',
      },
    });
  });
});

describe('Function: kllSketch', () => {
  it('compacts levels once a level is full, keeping the total weight about right', () => {
    // Act
    const values = Array.from({ length: 5000 }, (_, i) => i);
    const levels = kllSketch(values, 1, 64);

    // Assess
    expect(levels.length).toBeGreaterThan(1);
    const weight = levels.reduce((a, l, h) => a + l.length * 2 ** h, 0);
    expect(Math.abs(weight - 5000) / 5000).toBeLessThan(0.05);
    for (const l of levels) expect([...l].sort((a, b) => a - b)).toEqual(l);
  });
});

describe('Function: untar', () => {
  it('reads back the files of a model.tar.gz', () => {
    // Prepare
    const archive = tar({
      'model.bin': Buffer.alloc(1000, 7),
      'evaluation.json': Buffer.from('{}'),
    });

    // Act
    const files = untar(archive);

    // Assess
    expect([...files.keys()]).toEqual(['model.bin', 'evaluation.json']);
    expect(files.get('model.bin')).toEqual(Buffer.alloc(1000, 7));
    expect(gzipSync(archive).length).toBeGreaterThan(0);
  });
});
