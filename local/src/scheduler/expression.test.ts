import { nextFireTime, parseSchedule, ScheduleExpressionError } from './expression.ts';

const at = (iso: string) => new Date(iso);
const next = (expr: string, after: string) => nextFireTime(expr, at(after))?.toISOString();

/** The next n fire times after `after`. */
function series(expr: string, after: string, n: number): string[] {
  const out: string[] = [];
  let t = at(after);
  for (let i = 0; i < n; i++) {
    const f = nextFireTime(expr, t);
    if (!f) break;
    out.push(f.toISOString());
    t = f;
  }
  return out;
}

describe('Function: parseSchedule', () => {
  it('parses rates in minutes, hours and days', () => {
    // Act & Assess
    expect(parseSchedule('rate(1 minute)')).toMatchObject({ kind: 'rate', periodMs: 60_000 });
    expect(parseSchedule('rate(5 minutes)')).toMatchObject({ kind: 'rate', periodMs: 300_000 });
    expect(parseSchedule('rate(1 hour)')).toMatchObject({ kind: 'rate', periodMs: 3_600_000 });
    expect(parseSchedule('rate(12 hours)')).toMatchObject({ kind: 'rate', periodMs: 43_200_000 });
    expect(parseSchedule('rate(7 days)')).toMatchObject({ kind: 'rate', periodMs: 604_800_000 });
  });

  it('rejects what EventBridge rejects', () => {
    // Act & Assess
    for (const bad of [
      'rate(1 minutes)',
      'rate(5 minute)',
      'rate(0 minutes)',
      'rate(2 weeks)',
      'every hour',
      'cron(0 10 * * *)',
      'cron(0 10 * * * *)',
      'cron(0 10 ? * ? *)',
      'cron(60 10 * * ? *)',
      'cron(0 24 * * ? *)',
      'cron(0 10 32 * ? *)',
      'cron(0 10 ? * 8 *)',
      'cron(0 10 ? FOO * *)',
      'cron(0 10 * * ? 1969)',
      'cron(0/0 * * * ? *)',
      'cron(0 9 ? * 2#6 *)',
    ]) {
      expect(() => parseSchedule(bad)).toThrow(ScheduleExpressionError);
    }
  });
});

describe('Function: nextFireTime', () => {
  describe('Method: rate', () => {
    it('fires every period from the anchor, strictly after the given time', () => {
      // Prepare
      const anchor = at('2026-03-01T10:00:30Z');

      // Act & Assess
      expect(nextFireTime('rate(1 hour)', anchor)?.toISOString()).toBe('2026-03-01T11:00:30.000Z');
      expect(nextFireTime('rate(1 hour)', at('2026-03-01T11:00:30Z'), anchor)?.toISOString()).toBe(
        '2026-03-01T12:00:30.000Z',
      );
      expect(
        nextFireTime('rate(5 minutes)', at('2026-03-01T10:07:00Z'), anchor)?.toISOString(),
      ).toBe('2026-03-01T10:10:30.000Z');
    });
  });

  describe('Method: cron (the EventBridge user guide examples)', () => {
    it('cron(0 10 * * ? *) fires at 10:00 UTC every day', () => {
      // Act & Assess
      expect(series('cron(0 10 * * ? *)', '2026-03-01T10:00:00Z', 2)).toEqual([
        '2026-03-02T10:00:00.000Z',
        '2026-03-03T10:00:00.000Z',
      ]);
      expect(next('cron(0 10 * * ? *)', '2026-03-01T09:59:59Z')).toBe('2026-03-01T10:00:00.000Z');
    });

    it('cron(15 12 * * ? *) fires at 12:15 every day', () => {
      // Act & Assess
      expect(next('cron(15 12 * * ? *)', '2026-03-01T12:15:00Z')).toBe('2026-03-02T12:15:00.000Z');
    });

    it('cron(0 18 ? * MON-FRI *) fires at 18:00 Monday to Friday', () => {
      // Act & Assess: 2026-03-06 is a Friday
      expect(series('cron(0 18 ? * MON-FRI *)', '2026-03-06T18:00:00Z', 2)).toEqual([
        '2026-03-09T18:00:00.000Z',
        '2026-03-10T18:00:00.000Z',
      ]);
    });

    it('cron(0 8 1 * ? *) fires at 8:00 on the first day of every month', () => {
      // Act & Assess
      expect(series('cron(0 8 1 * ? *)', '2026-01-01T08:00:00Z', 2)).toEqual([
        '2026-02-01T08:00:00.000Z',
        '2026-03-01T08:00:00.000Z',
      ]);
    });

    it('cron(0/15 * * * ? *) fires every 15 minutes', () => {
      // Act & Assess
      expect(series('cron(0/15 * * * ? *)', '2026-03-01T23:31:10Z', 3)).toEqual([
        '2026-03-01T23:45:00.000Z',
        '2026-03-02T00:00:00.000Z',
        '2026-03-02T00:15:00.000Z',
      ]);
    });

    it('cron(0/5 8-17 ? * MON-FRI *) fires every 5 minutes from 8:00 to 17:55 on weekdays', () => {
      // Act & Assess: Friday 17:55, then Monday 08:00
      expect(series('cron(0/5 8-17 ? * MON-FRI *)', '2026-03-06T17:50:00Z', 2)).toEqual([
        '2026-03-06T17:55:00.000Z',
        '2026-03-09T08:00:00.000Z',
      ]);
    });

    it('cron(0 9 ? * 2#1 *) fires at 9:00 on the first Monday of the month', () => {
      // Act & Assess
      expect(series('cron(0 9 ? * 2#1 *)', '2026-03-01T00:00:00Z', 2)).toEqual([
        '2026-03-02T09:00:00.000Z',
        '2026-04-06T09:00:00.000Z',
      ]);
    });
  });

  describe('Method: cron (special values)', () => {
    it('runs the weekly training schedule on Sundays at 03:00 (training topology)', () => {
      // Act & Assess: 2026-03-01 is a Sunday
      expect(series('cron(0 3 ? * SUN *)', '2026-03-01T03:00:00Z', 2)).toEqual([
        '2026-03-08T03:00:00.000Z',
        '2026-03-15T03:00:00.000Z',
      ]);
      expect(next('cron(0 3 ? * 1 *)', '2026-03-01T02:00:00Z')).toBe('2026-03-01T03:00:00.000Z');
    });

    it('handles L, nL, W and LW', () => {
      // Act & Assess
      expect(series('cron(0 0 L * ? *)', '2026-01-31T00:00:00Z', 2)).toEqual([
        '2026-02-28T00:00:00.000Z',
        '2026-03-31T00:00:00.000Z',
      ]);
      expect(next('cron(0 0 L 2 ? *)', '2028-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
      // Last Friday of March 2026 is the 27th.
      expect(next('cron(15 10 ? * 6L *)', '2026-03-01T00:00:00Z')).toBe('2026-03-27T10:15:00.000Z');
      // 2026-03-15 is a Sunday: the nearest weekday is Monday the 16th.
      expect(next('cron(0 12 15W * ? *)', '2026-03-01T00:00:00Z')).toBe('2026-03-16T12:00:00.000Z');
      // 2026-05-31 is a Sunday: the last weekday of May is Friday the 29th.
      expect(next('cron(0 12 LW * ? *)', '2026-05-01T00:00:00Z')).toBe('2026-05-29T12:00:00.000Z');
    });

    it('handles lists, wrapping ranges, month names and years', () => {
      // Act & Assess
      expect(series('cron(0,30 6 ? * FRI-MON *)', '2026-03-06T06:30:00Z', 3)).toEqual([
        '2026-03-07T06:00:00.000Z',
        '2026-03-07T06:30:00.000Z',
        '2026-03-08T06:00:00.000Z',
      ]);
      expect(next('cron(0 0 1 JAN,JUL ? *)', '2026-03-01T00:00:00Z')).toBe(
        '2026-07-01T00:00:00.000Z',
      );
      expect(next('cron(0 0 1 1 ? 2030-2031)', '2026-03-01T00:00:00Z')).toBe(
        '2030-01-01T00:00:00.000Z',
      );
      expect(next('cron(0 0 1 1 ? 2020)', '2026-03-01T00:00:00Z')).toBeUndefined();
    });
  });
});
