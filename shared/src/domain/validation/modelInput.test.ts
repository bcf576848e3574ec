import { modelFeatureNames, WDBC_FEATURES } from '../../contracts/featureGroup.ts';
import {
  charCount,
  longerThanChars,
  ModelInputValidator,
  NOT_BOTH,
  NOTE_OR_SCORE,
} from './modelInput.ts';

const value = (i: number) => Math.round((0.1 + i * 0.01) * 100) / 100;
const row = (): Record<string, unknown> =>
  Object.fromEntries(WDBC_FEATURES.map((n, i) => [n, value(i)]));

describe('Class: ModelInputValidator', () => {
  const v = new ModelInputValidator();
  const strict = { unknownKeys: 'reject', numericStrings: false } as const;
  const lenient = { unknownKeys: 'ignore', numericStrings: true } as const;

  describe('Method: resolve', () => {
    it('maps every accepted spelling onto its model slot or field', () => {
      expect(v.resolve('radius_mean')).toBe(0);
      expect(v.resolve('mean radius')).toBe(0);
      expect(v.resolve('Concave Points (Worst)')).toBe(
        modelFeatureNames().indexOf('concave_points_worst'),
      );
      // Brackets of any kind, with or without a space before them, as the README promises.
      expect(v.resolve('radius(mean)')).toBe(0);
      expect(v.resolve('Radius [mean]')).toBe(0);
      expect(v.resolve('radius {mean}')).toBe(0);
      expect(v.resolve('Risk Score')).toBe(30);
      expect(v.resolve('Pathology Report')).toBe('pathology_note');
      expect(v.resolve('MRN')).toBe('patient_id');
      expect(v.resolve('shoe size')).toBeUndefined();
    });
  });

  describe('Method: validateObject', () => {
    it('accepts a complete record with a score, in model order', () => {
      const verdict = v.validateObject(
        { ...row(), malignancy_risk_score: 3, record_id: 7 },
        strict,
      );
      expect(verdict.ok).toBe(true);
      if (!verdict.ok) return;
      expect(Array.from(verdict.input.values)).toEqual([
        ...WDBC_FEATURES.map((_, i) => value(i)),
        3,
      ]);
      expect(verdict.input).toMatchObject({ recordId: '7', score: 3 });
    });

    it('accepts a note instead of a score, leaving the score slot for the scorer', () => {
      const verdict = v.validateObject({ ...row(), pathology_note: 'ductal carcinoma' }, strict);
      expect(verdict.ok && Number.isNaN(verdict.input.values[30]) && verdict.input.note).toBe(
        'ductal carcinoma',
      );
    });

    it('lists every problem in model order, then unknown keys; values never appear', () => {
      const body: Record<string, unknown> = {
        ...row(),
        radius_mean: 'Jane',
        texture_mean: 1e9,
        'mean perimeter': 1,
        malignancy_risk_score: 2.5,
        extra: 1,
      };
      delete body.area_mean;
      const verdict = v.validateObject(body, strict);
      expect(verdict).toEqual({
        ok: false,
        issues: [
          { field: 'radius_mean', reason: 'not a number' },
          { field: 'texture_mean', reason: 'out of the physically possible range 0 to 200' },
          { field: 'perimeter_mean', reason: 'given twice (under two spellings)' },
          { field: 'area_mean', reason: 'missing' },
          { field: 'malignancy_risk_score', reason: 'not an integer from 1 to 10' },
          { field: 'extra', reason: 'unknown field' },
        ],
      });
    });

    it('holds exactly one of a note and a score', () => {
      expect(
        v.validateObject({ ...row(), malignancy_risk_score: 2, pathology_note: 'x' }, strict),
      ).toEqual({
        ok: false,
        issues: [{ field: 'malignancy_risk_score', reason: NOT_BOTH }],
      });
      expect(v.validateObject(row(), strict)).toEqual({
        ok: false,
        issues: [{ field: 'malignancy_risk_score', reason: NOTE_OR_SCORE }],
      });
    });

    it('reads numeric strings and missing markers when lenient (files), ignoring extra keys', () => {
      const verdict = v.validateObject(
        { ...row(), radius_mean: ' 12.5 ', malignancy_risk_score: '4', ward: 'B' },
        lenient,
      );
      expect(verdict.ok && verdict.input.values[0]).toBe(12.5);
      const missing = v.validateObject(
        { ...row(), radius_mean: 'NA', malignancy_risk_score: '4' },
        lenient,
      );
      expect(missing).toEqual({ ok: false, issues: [{ field: 'radius_mean', reason: 'missing' }] });
    });
  });
});

describe('Function: longerThanChars', () => {
  it.each([
    ['x'.repeat(10), false],
    ['x'.repeat(11), true],
    ['🙂'.repeat(10), false],
    ['🙂'.repeat(11), true],
    [`${'𠀀'.repeat(5)}${'é'.repeat(5)}`, false],
    ['🙂'.repeat(21), true],
  ])('counts characters as a person does (%#)', (text, longer) => {
    expect(longerThanChars(text, 10)).toBe(longer);
  });

  it('is the note limit of a request: 60,000 emoji are 60,000 characters', () => {
    const verdict = new ModelInputValidator().validateObject(
      { ...row(), pathology_note: '🙂'.repeat(60_000) },
      { unknownKeys: 'reject', numericStrings: false },
    );
    expect(verdict.ok).toBe(true);
    expect(charCount('🙂'.repeat(60_000))).toBe(60_000);
  });
});
