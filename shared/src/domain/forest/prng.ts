/**
 * Seeded pseudo-random numbers. Every tree gets its own generator derived from (seed, tree
 * index), so a tree's randomness does not depend on which thread builds it or in what order:
 * serial and worker-thread training produce byte-identical forests.
 */

/** splitmix32 step: spreads a 32-bit state into a well-mixed 32-bit output. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Seed of tree `index` in a forest trained with `seed`. */
export function treeSeed(seed: number, index: number): number {
  return splitmix32(splitmix32(seed >>> 0) ^ Math.imul(index + 1, 0x27d4eb2d));
}

const TWO_POW_MINUS_32 = 2 ** -32;

/** xoshiro128**: small, fast, and good enough statistically for bootstrap and feature draws. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // Seed the four words through splitmix32 so that nearby seeds give unrelated streams.
    let s = seed >>> 0;
    this.a = s = splitmix32(s);
    this.b = s = splitmix32(s);
    this.c = s = splitmix32(s);
    this.d = splitmix32(s);
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** Next unsigned 32-bit integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /**
   * Uniform integer in [0, n) for 0 < n <= 2^32, without modulo bias. Lemire's multiply-shift
   * (exact in doubles while n <= 2^21), with rejection sampling beyond that.
   */
  nextInt(n: number): number {
    if (n <= 0x200000) {
      // m = x * n < 2^53 is exact; hi = floor(m / 2^32) is the draw, lo = m mod 2^32 decides rejection.
      let m = this.nextU32() * n;
      let hi = Math.floor(m * TWO_POW_MINUS_32);
      let lo = m - hi * 0x100000000;
      if (lo < n) {
        const reject = (0x100000000 - n) % n;
        while (lo < reject) {
          m = this.nextU32() * n;
          hi = Math.floor(m * TWO_POW_MINUS_32);
          lo = m - hi * 0x100000000;
        }
      }
      return hi;
    }
    const limit = 0x100000000 - (0x100000000 % n);
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  nextFloat(): number {
    return this.nextU32() / 0x100000000;
  }

  /** Standard normal deviate (Box-Muller); used for jittered copies and tests. */
  nextGaussian(): number {
    let u = this.nextFloat();
    while (u === 0) u = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.nextFloat());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
