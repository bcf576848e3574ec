import { WDBC_FEATURE_GROUP, WDBC_FEATURES } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { mapHeader } from './header.ts';

describe('Function: mapHeader', () => {
  it('maps aliases in any case and spacing onto canonical names and lists ignored columns', () => {
    const sklearn = [
      'Mean Radius',
      ...WDBC_FEATURES.slice(1).map((f) => f.toUpperCase()),
      'ID',
      'Label',
      'Pathology Report',
      'MRN',
      'Unnamed: 32',
    ];
    const result = mapHeader(sklearn, WDBC_FEATURE_GROUP);
    expect(result).toEqual({
      ok: true,
      map: {
        columns: [
          ...WDBC_FEATURES,
          'record_id',
          'diagnosis',
          'pathology_note',
          'patient_id',
          undefined,
        ],
        ignored: ['Unnamed: 32'],
        headerless: false,
      },
    });
  });

  it('refuses a `target` column rather than guess which way its 0/1 codes go', () => {
    // scikit-learn's breast-cancer frame codes target 0 = malignant: read as 1 = malignant,
    // every label would be flipped, silently.
    const result = mapHeader(['id', ...WDBC_FEATURES, 'Target'], WDBC_FEATURE_GROUP);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/target.*ambiguous.*0 = malignant.*diagnosis/);
  });

  it('refuses a header that names a column twice', () => {
    expect(mapHeader(['id', 'record_id', ...WDBC_FEATURES], WDBC_FEATURE_GROUP)).toEqual({
      ok: false,
      reason: 'wrong header: columns 1 and 2 both map to record_id',
    });
  });

  it('refuses a header without every measurement, naming what is missing', () => {
    const result = mapHeader(['id', ...WDBC_FEATURES.slice(0, 28)], WDBC_FEATURE_GROUP);
    expect(result).toEqual({
      ok: false,
      reason:
        'wrong header: 2 of 30 measurement column(s) missing: symmetry_worst, fractal_dimension_worst',
    });
  });

  it('recognises the headerless UCI WDBC layout from its first record', () => {
    const first = ['842302', 'M', ...WDBC_FEATURES.map(() => '1.5')];
    const result = mapHeader(first, WDBC_FEATURE_GROUP);
    expect(result).toEqual({
      ok: true,
      map: { columns: ['record_id', 'diagnosis', ...WDBC_FEATURES], ignored: [], headerless: true },
    });
  });

  it('recognises the layout when the first record is unlabelled, or in the `;` dialect', () => {
    // Prepare
    const unlabelled = ['842302', '?', ...WDBC_FEATURES.map(() => '1.5')];
    const european = ['842302', 'M', ...WDBC_FEATURES.map(() => '1,5')];
    const blank = ['842302', '?', ...WDBC_FEATURES.map(() => '')];

    // Act + Assess
    expect(mapHeader(unlabelled, WDBC_FEATURE_GROUP)).toMatchObject({ ok: true });
    expect(mapHeader(european, WDBC_FEATURE_GROUP, undefined, true)).toMatchObject({ ok: true });
    expect(mapHeader(european, WDBC_FEATURE_GROUP)).toMatchObject({ ok: false });
    expect(mapHeader(blank, WDBC_FEATURE_GROUP)).toMatchObject({ ok: false });
  });

  it('refuses an unknown header without quoting its cells', () => {
    const result = mapHeader(['1000025', '5', '1'], WDBC_FEATURE_GROUP);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^no recognised header: none of the 3 column\(s\)/);
    expect(!result.ok && result.reason).not.toContain('1000025');
  });
});
