import { copySpan } from './copySpan.ts';

describe('Function: copySpan', () => {
  it.each([0, 1, 48, 49, 300])('copies a span of %i bytes to the given offset', (n) => {
    // Prepare
    const src = Uint8Array.from({ length: n + 10 }, (_, i) => (i * 7) % 256);
    const dst = new Uint8Array(n + 20).fill(0xff);

    // Act
    const copied = copySpan(src, 5, 5 + n, dst, 3);

    // Assess
    expect(copied).toBe(n);
    expect([...dst.subarray(3, 3 + n)]).toEqual([...src.subarray(5, 5 + n)]);
    expect(dst[2]).toBe(0xff);
    expect(dst[3 + n]).toBe(0xff);
  });
});
