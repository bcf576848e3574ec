import { parseGroundTruth } from './groundTruth.ts';

describe('Module: groundTruth', () => {
  describe('Function: parseGroundTruth', () => {
    it('reads CSV with inference_id and diagnosis in any column order', () => {
      // Act
      const f = parseGroundTruth(
        'ground-truth/2026-12-03.csv',
        'diagnosis,inference_id,comment\nM,inf-1,x\nB,inf-2,\n?,inf-3,\nB,,\n',
      );

      // Assess
      expect(f.labels).toEqual([
        { inferenceId: 'inf-1', actual: 1 },
        { inferenceId: 'inf-2', actual: 0 },
      ]);
      expect(f.rows).toBe(4);
      expect(f.skipped).toBe(2);
      expect(f.reasons).toEqual({ 'diagnosis is not M or B': 1, 'no inference id': 1 });
    });

    it('reads our JSON Lines and SageMaker ground-truth records', () => {
      // Prepare
      const text = [
        '{"inference_id":"inf-1","diagnosis":"M"}',
        '{"groundTruthData":{"data":"0","encoding":"CSV"},"eventMetadata":{"eventId":"inf-2"},"eventVersion":"0"}',
        '{"inference_id":"inf-3"',
      ].join('\n');

      // Act
      const f = parseGroundTruth('ground-truth/x.jsonl', text);

      // Assess
      expect(f.labels).toEqual([
        { inferenceId: 'inf-1', actual: 1 },
        { inferenceId: 'inf-2', actual: 0 },
      ]);
      expect(f.reasons).toEqual({ 'malformed JSON line': 1 });
    });

    it('refuses a CSV without the two columns, saying which are needed', () => {
      expect(parseGroundTruth('ground-truth/x.csv', 'id,label_text\n1,M\n').error).toBe(
        'CSV header needs an inference_id and a diagnosis column',
      );
      expect(parseGroundTruth('ground-truth/x.csv', '').error).toBe('empty file');
    });
  });
});
