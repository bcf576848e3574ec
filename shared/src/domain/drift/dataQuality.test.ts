import { buildBaseline, readBaseline } from './baseline.ts';
import { checkColumns, dataQualityViolations } from './dataQuality.ts';
import type { FeatureDrift } from './verdict.ts';

const FEATURES = ['radius_mean', 'malignancy_risk_score'];
const files = buildBaseline(
  Array.from({ length: 20 }, (_, i) => ({
    radius_mean: 10.25 + i,
    malignancy_risk_score: 1 + (i % 10),
  })),
  FEATURES,
);
const baseline = readBaseline(files.statistics, files.constraints);

describe('Module: drift/dataQuality', () => {
  describe('Function: checkColumns', () => {
    it('counts missing values, wrong types and extra columns; keeps only usable values', () => {
      // Prepare
      const rows = [
        { radius_mean: 12.5, malignancy_risk_score: 3, clinic: 'x' },
        { radius_mean: null, malignancy_risk_score: 2.5 },
        { radius_mean: '13', malignancy_risk_score: 4 },
        { malignancy_risk_score: 5, clinic: 'y' },
      ];

      // Act
      const check = checkColumns(rows, baseline);

      // Assess
      expect(check.columns[0]).toMatchObject({
        feature: 'radius_mean',
        present: 1,
        missing: 2,
        type_mismatch: 1,
        completeness: 0.5,
        type_match: 0.5,
      });
      expect(check.columns[1]).toMatchObject({
        expected_type: 'Integral',
        present: 3,
        type_mismatch: 1,
      });
      expect(check.values.get('radius_mean')).toEqual([12.5]);
      expect(check.missing_columns).toEqual([]);
      expect(check.extra_columns).toEqual([{ column: 'clinic', rows: 2 }]);
    });

    it('names a baseline column absent from every row as missing', () => {
      const check = checkColumns([{ radius_mean: 1 }], baseline);
      expect(check.missing_columns).toEqual(['malignancy_risk_score']);
    });
  });

  describe('Function: dataQualityViolations', () => {
    it("writes SageMaker's check types, with names but never the values of unknown columns", () => {
      // Prepare
      const check = checkColumns(
        [
          { radius_mean: 'abc', secret_column: 'Jane Doe' },
          { radius_mean: 11, secret_column: 'John Roe' },
        ],
        baseline,
      );
      const drift = [
        {
          feature: 'radius_mean',
          drifted: true,
          distance: 0.5,
          distance_threshold: 0.1,
          ks_p_value: 1e-6,
          adjusted_p_value: 2e-6,
          n: 80,
        },
      ] as FeatureDrift[];

      // Act
      const violations = dataQualityViolations(check, baseline, drift);

      // Assess
      expect(violations.map((v) => [v.feature_name, v.constraint_check_type])).toEqual([
        ['malignancy_risk_score', 'missing_column_check'],
        ['secret_column', 'extra_column_check'],
        ['radius_mean', 'data_type_check'],
        ['radius_mean', 'baseline_drift_check'],
      ]);
      expect(violations[3].description).toMatch(
        /^Baseline drift distance: 0.5000 exceeds threshold: 0.1 and is significant/,
      );
      expect(JSON.stringify(violations)).not.toMatch(/Jane|John|abc/);
    });

    it('writes nothing on an empty window', () => {
      expect(dataQualityViolations(checkColumns([], baseline), baseline)).toEqual([]);
    });
  });
});
