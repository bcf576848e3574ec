import {
  cdfAt,
  equalWidthCounts,
  quantile,
  sampleOf,
  weightedMean,
  weightedStd,
} from './sample.ts';

describe('Module: drift/sample', () => {
  it('sorts and drops non-finite values', () => {
    const s = sampleOf([3, Number.NaN, 1, Infinity, 2]);
    expect(Array.from(s.values)).toEqual([1, 2, 3]);
    expect(s.total).toBe(3);
  });

  it('quantile interpolates like numpy (type 7)', () => {
    const s = sampleOf([1, 2, 3, 4]);
    expect(quantile(s, 0.5)).toBe(2.5);
    expect(quantile(s, 0.25)).toBeCloseTo(1.75, 12);
    expect(quantile(s, 1)).toBe(4);
  });

  it('weighted quantile and CDF use the weights', () => {
    const s = sampleOf([1, 2], [3, 1]);
    expect(s.total).toBe(4);
    expect(quantile(s, 0.5)).toBe(1);
    expect(quantile(s, 0.9)).toBe(2);
    expect(cdfAt(s, 1.5)).toBe(0.75);
  });

  it('mean and population standard deviation', () => {
    const s = sampleOf([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(weightedMean(s)).toBe(5);
    expect(weightedStd(s)).toBe(2);
  });

  it('equal-width counts clamp out-of-range values into the edge bins', () => {
    expect(equalWidthCounts(sampleOf([-5, 0, 0.5, 1, 9]), 0, 1, 2)).toEqual([2, 3]);
  });
});
