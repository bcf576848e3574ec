import { DecimalMark, otherDecimalMarkReason } from './decimalMark.ts';

describe('Class: DecimalMark', () => {
  it('takes the first mark it sees and refuses the other after it', () => {
    // Prepare
    const mark = new DecimalMark();
    // Act
    const seen = ['1001', '1e3', '17,99', '0,1184', '1.206', '2019'].map((t) => mark.see(t));
    // Assess
    expect(seen).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      otherDecimalMarkReason(','),
      undefined,
    ]);
  });

  it('reads a file written with dots as a dotted file', () => {
    const mark = new DecimalMark();
    expect(['17.99', '0.1184', '1001'].map((t) => mark.see(t))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    expect(mark.see('12,5')).toBe(
      'written with a decimal "," where this file\'s numbers use "." (a thousands separator?): write it as the others are',
    );
  });
});
