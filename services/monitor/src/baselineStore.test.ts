import { buildBaseline } from '@cancer-mlops/shared/domain/drift/baseline.ts';
import { loadBaseline, parseEvaluation } from './baselineStore.ts';
import { MemoryObjectStore } from './testing/fakes.ts';

describe('Module: baselineStore', () => {
  describe('Function: parseEvaluation', () => {
    it.each([
      [{ roc_auc: 0.99, accuracy: 0.96, sensitivity: 0.95 }],
      [{ validation: { roc_auc: 0.99, accuracy: 0.96, sensitivity: 0.95 }, train: { roc_auc: 1 } }],
      [{ metrics: { validation: { auc: 0.99, accuracy: 0.96, recall: 0.95 } } }],
      [
        {
          binary_classification_metrics: {
            auc: { value: 0.99, standard_deviation: 0.01 },
            accuracy: { value: 0.96 },
            recall: { value: 0.95 },
          },
        },
      ],
    ])('finds the validation metrics in %j', (json) => {
      expect(parseEvaluation(json)).toEqual({ roc_auc: 0.99, accuracy: 0.96, sensitivity: 0.95 });
    });
  });

  describe('Function: loadBaseline', () => {
    it('loads statistics, constraints, sample and evaluation of a model version', async () => {
      // Prepare
      const objects = new MemoryObjectStore();
      const files = buildBaseline([{ a: 1.5 }, { a: 2.5 }], ['a']);
      await objects.put('artifacts', 'models/v1/statistics.json', JSON.stringify(files.statistics));
      await objects.put(
        'artifacts',
        'models/v1/constraints.json',
        JSON.stringify(files.constraints),
      );
      await objects.put('artifacts', 'models/v1/baseline-sample.csv', files.sampleCsv);
      await objects.put('artifacts', 'models/v1/evaluation.json', '{"roc_auc":0.98}');

      // Act
      const r = await loadBaseline(objects, 'v1');

      // Assess
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.keys).toHaveLength(4);
      expect(r.warnings).toEqual([]);
      expect(r.quality).toEqual({ roc_auc: 0.98 });
      expect(r.baseline.features[0].source).toBe('sample-csv');
    });

    it('says what is missing', async () => {
      // Prepare
      const objects = new MemoryObjectStore();

      // Act
      const missing = await loadBaseline(objects, 'v9');
      await objects.put('artifacts', 'models/v9/statistics.json', '{"features": 3}');
      const invalid = await loadBaseline(objects, 'v9');

      // Assess
      expect(missing).toEqual({
        ok: false,
        reason: 'no baseline: artifacts/models/v9/statistics.json does not exist',
        keys: [],
      });
      expect(invalid.ok === false && invalid.reason).toMatch(
        /^invalid baseline for model v9: invalid message: features: expected array/,
      );
    });
  });
});
