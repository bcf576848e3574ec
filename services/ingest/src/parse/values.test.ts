import { WDBC_FEATURE_GROUP } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import {
  isMissing,
  parseDiagnosis,
  parseEventTime,
  parseIdentifier,
  parseRecordId,
  parseMeasurement,
  parseNote,
  parseNumber,
  parseRiskScore,
} from './values.ts';

describe('Module: values', () => {
  describe('Function: isMissing', () => {
    it.each(['', '  ', '?', 'NA', 'na', 'N/A', 'NaN', 'null', null, undefined])(
      'treats %p as missing',
      (v) => {
        expect(isMissing(v)).toBe(true);
      },
    );
    it.each(['0', 0, 'none?'])('treats %p as a value', (v) => {
      expect(isMissing(v)).toBe(false);
    });
  });

  describe('Function: parseNumber', () => {
    it('never turns a missing marker into zero', () => {
      expect(parseNumber('?')).toEqual({ kind: 'missing' });
      expect(parseNumber('')).toEqual({ kind: 'missing' });
      expect(parseNumber('0')).toEqual({ kind: 'value', value: 0 });
    });
    it('reads decimal commas only in the `;` dialect', () => {
      expect(parseNumber('12,5', true)).toEqual({ kind: 'value', value: 12.5 });
      expect(parseNumber('12,5', false)).toEqual({ kind: 'invalid', reason: 'not a number' });
      expect(parseNumber('12.5', true)).toEqual({ kind: 'value', value: 12.5 });
      expect(parseNumber('1,001,5', true).kind).toBe('invalid');
    });
    it.each(['twelve', '1e400', '0x10', '12 cm', 'Infinity', true, {}])('refuses %p', (v) => {
      expect(parseNumber(v).kind).toBe('invalid');
    });
    it('reads exponents and JSON numbers', () => {
      expect(parseNumber('6.399e-03')).toEqual({ kind: 'value', value: 0.006399 });
      expect(parseNumber(17.99)).toEqual({ kind: 'value', value: 17.99 });
    });
  });

  describe('Function: parseMeasurement', () => {
    const radius = WDBC_FEATURE_GROUP.features[0];
    it('refuses values outside the physically possible range', () => {
      expect(parseMeasurement('-1', radius)).toEqual({
        kind: 'invalid',
        reason: 'out of the physically possible range 0 to 200',
      });
      expect(parseMeasurement('201', radius).kind).toBe('invalid');
      expect(parseMeasurement('200', radius)).toEqual({ kind: 'value', value: 200 });
    });
  });

  describe('Function: parseDiagnosis', () => {
    it.each([
      ['M', 'M'],
      ['m', 'M'],
      ['1', 'M'],
      [1, 'M'],
      ['Malignant', 'M'],
      ['b', 'B'],
      ['0', 'B'],
      [0, 'B'],
      ['BENIGN', 'B'],
      // A spreadsheet's 1.0 is the 1 that JSON's 1.0 already is.
      ['1.0', 'M'],
      ['0.00', 'B'],
    ])('maps %p to %s', (code, expected) => {
      expect(parseDiagnosis(code, WDBC_FEATURE_GROUP)).toEqual({ kind: 'value', value: expected });
    });
    it('refuses unknown codes and treats markers as unlabelled', () => {
      expect(parseDiagnosis('2', WDBC_FEATURE_GROUP).kind).toBe('invalid');
      expect(parseDiagnosis('1.5', WDBC_FEATURE_GROUP).kind).toBe('invalid');
      expect(parseDiagnosis('?', WDBC_FEATURE_GROUP)).toEqual({ kind: 'missing' });
    });
  });

  describe('Function: parseRiskScore', () => {
    it('accepts integers 1 to 10 only', () => {
      expect(parseRiskScore('7')).toEqual({ kind: 'value', value: 7 });
      expect(parseRiskScore('7.0')).toEqual({ kind: 'value', value: 7 });
      for (const bad of ['0', '11', '7.5', 'high'])
        expect(parseRiskScore(bad)).toEqual({
          kind: 'invalid',
          reason: 'not an integer from 1 to 10',
        });
      expect(parseRiskScore('NA')).toEqual({ kind: 'missing' });
    });
  });

  describe('Function: parseEventTime', () => {
    it.each([
      ['2024-03-01T12:00:00Z', '2024-03-01T12:00:00.000Z'],
      ['2024-03-01T12:00:00+02:00', '2024-03-01T10:00:00.000Z'],
      ['2024-03-01T12:00:00.123456+0200', '2024-03-01T10:00:00.123Z'],
      ['2024-03-01 12:00', '2024-03-01T12:00:00.000Z'],
      ['2024-03-01', '2024-03-01T00:00:00.000Z'],
    ])('reads %s as %s', (v, expected) => {
      expect(parseEventTime(v)).toEqual({ kind: 'value', value: expected });
    });
    it.each(['01/03/2024', '2024-02-30', '2024-03-01T25:00', 'yesterday', 1709294400])(
      'refuses %p',
      (v) => {
        expect(parseEventTime(v).kind).toBe('invalid');
      },
    );
    it('refuses placeholder and future times (they would never reach a training snapshot)', () => {
      // The times of /tmp/attack/ingest/15-event-time.csv, which were all accepted.
      const now = new Date('2026-12-04T08:00:00Z');
      expect(parseEventTime('0000-01-01', now)).toEqual({ kind: 'invalid', reason: 'before 1900' });
      expect(parseEventTime('2099-01-01T00:00:00Z', now)).toEqual({
        kind: 'invalid',
        reason: 'in the future',
      });
      expect(parseEventTime('9999-12-31T23:59:59Z', now).kind).toBe('invalid');
      expect(parseEventTime('2026-12-04T20:00:00Z', now).kind).toBe('value'); // clock skew
    });
  });

  describe('Function: parseIdentifier and parseNote', () => {
    it('reads ids from text or integers, trimmed, at most 128 characters', () => {
      expect(parseIdentifier(' 842302 ')).toEqual({ kind: 'value', value: '842302' });
      expect(parseIdentifier(842302)).toEqual({ kind: 'value', value: '842302' });
      expect(parseIdentifier('x'.repeat(129))).toEqual({
        kind: 'invalid',
        reason: 'longer than 128 characters',
      });
    });
    it('refuses record ids a spreadsheet would run as a formula, or with control characters', () => {
      // Record ids reach the training datasets (CSV), as in batch output: the same rule.
      expect(parseRecordId('=HYPERLINK("x")')).toEqual({
        kind: 'invalid',
        reason: 'starts with =, +, -, @ or a tab, which a spreadsheet would run as a formula',
      });
      expect(parseRecordId('a\u0007b')).toEqual({
        kind: 'invalid',
        reason: 'contains a control character',
      });
      for (const c of ['\u0085', '\u009b', '\u2028', '\u202e', '\u2066'])
        expect([c, parseRecordId(`a${c}b`)]).toEqual([
          c,
          { kind: 'invalid', reason: 'contains a control character' },
        ]);
      expect(parseRecordId('é-ü 42')).toEqual({ kind: 'value', value: 'é-ü 42' });
      expect(parseRecordId('-42')).toEqual({ kind: 'value', value: '-42' });
      expect(parseRecordId('842302-b, left')).toEqual({ kind: 'value', value: '842302-b, left' });
    });
    it('refuses notes over 100,000 characters, an emoji or a rare CJK character counted as one', () => {
      expect(parseNote('x'.repeat(100_000)).kind).toBe('value');
      expect(parseNote('🙂'.repeat(60_000)).kind).toBe('value');
      expect(parseNote(`${'𠀀'.repeat(50_000)}${'x'.repeat(50_000)}`).kind).toBe('value');
      expect(parseNote('🙂'.repeat(100_001)).kind).toBe('invalid');
      expect(parseNote('x'.repeat(100_001))).toEqual({
        kind: 'invalid',
        reason: 'note too long (over 100000 characters)',
      });
    });
  });
});
