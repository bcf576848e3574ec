import { describeRun } from './monitor.ts';

describe('Function: describeRun', () => {
  const base = {
    run_id: 'r1',
    samples: 120,
    model_version: '2',
    data: { status: 'no-drift' },
    concept: null,
    html_path: '/state/report.html',
  };

  it('says why ground-truth rows and files were not used, by reason and count', () => {
    // Act
    const lines = describeRun({
      ...base,
      ground_truth: {
        files: 2,
        new_labels: 60,
        matched: 58,
        unknown_ids: 2,
        rows_skipped: 3,
        skipped_reasons: { 'no inference id': 1, 'diagnosis is not M or B': 2 },
        refused: [{ key: 'ground-truth/a.csv', reason: 'empty file' }],
      },
    });

    // Assess
    expect(lines).toEqual([
      'monitoring run r1: 120 captured request(s), model v2',
      '  data drift: no-drift',
      '  ground truth: 60 new label(s) from 2 file(s), 58 matched to a prediction, 2 with an inference_id no prediction has',
      '  ground-truth rows skipped: 3 (diagnosis is not M or B: 2; no inference id: 1)',
      '  ground-truth file refused: ground-truth/a.csv (empty file)',
      '  report: /state/report.html',
    ]);
  });

  it('says nothing of ground truth when none arrived', () => {
    // Act
    const lines = describeRun({
      ...base,
      ground_truth: {
        files: 0,
        new_labels: 0,
        matched: 0,
        unknown_ids: 0,
        rows_skipped: 0,
        skipped_reasons: {},
        refused: [],
      },
    });

    // Assess
    expect(lines.some((l) => l.includes('ground'))).toBe(false);
  });
});
