import { mulberry32 } from './random.ts';

describe('Function: mulberry32', () => {
  it('gives the same sequence for the same seed and numbers in [0, 1)', () => {
    // Act
    const a = mulberry32(7);
    const b = mulberry32(7);
    const xs = Array.from({ length: 100 }, () => a());

    // Assess
    expect(xs).toEqual(Array.from({ length: 100 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(8)()).not.toBe(xs[0]);
  });
});
