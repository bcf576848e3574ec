import { createHmac } from 'node:crypto';
import { deriveRecordId, pseudonymise } from './identity.ts';
import type { ValidRow } from './parse/validate.ts';

describe('Function: pseudonymise', () => {
  it('is p_ + the first 32 hex characters of HMAC-SHA-256(key, trimmed id)', () => {
    const expected = createHmac('sha256', 'k').update('MRN-1').digest('hex').slice(0, 32);
    expect(pseudonymise('k', ' MRN-1 ')).toBe(`p_${expected}`);
  });
  it('depends on the key', () => {
    expect(pseudonymise('k1', 'MRN-1')).not.toBe(pseudonymise('k2', 'MRN-1'));
  });
});

describe('Function: deriveRecordId', () => {
  const row: ValidRow = {
    diagnosis: 'M',
    measurements: { radius_mean: 17.99, texture_mean: 10.38 },
  };

  it('depends on the values, not on their order, the event time or the file', () => {
    const same: ValidRow = {
      measurements: { texture_mean: 10.38, radius_mean: 17.99 },
      diagnosis: 'M',
      event_time: '2020-01-01T00:00:00.000Z',
    };
    expect(deriveRecordId(row, undefined)).toBe(deriveRecordId(same, undefined));
    expect(deriveRecordId(row, undefined)).toMatch(/^r_[0-9a-f]{32}$/);
  });

  it('changes with any value, the label, the note or the patient', () => {
    const base = deriveRecordId(row, undefined);
    expect(
      deriveRecordId({ ...row, measurements: { ...row.measurements, radius_mean: 18 } }, undefined),
    ).not.toBe(base);
    expect(deriveRecordId({ ...row, diagnosis: 'B' }, undefined)).not.toBe(base);
    expect(deriveRecordId({ ...row, pathology_note: 'n' }, undefined)).not.toBe(base);
    expect(deriveRecordId(row, 'p_1')).not.toBe(base);
  });
});
