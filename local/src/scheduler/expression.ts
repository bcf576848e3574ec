/**
 * EventBridge schedule expressions, evaluated in UTC as EventBridge does:
 *
 * - `rate(N unit)`: unit minute(s) | hour(s) | day(s), singular exactly when N is 1 (AWS
 *   rejects `rate(1 minutes)` and `rate(5 minute)`, so this does too);
 * - `cron(minutes hours day-of-month month day-of-week year)`: `*`, `?`, lists `,`,
 *   ranges `-`, steps `/`, month names JAN-DEC, day names SUN-SAT (1 = SUN ... 7 = SAT),
 *   `L` (last day of the month, or `nL` the last weekday n of the month), `W` (`nW` the
 *   weekday nearest day n, `LW` the last weekday) and `#` (`n#k` the k-th weekday n). One of
 *   day-of-month and day-of-week must be `?`.
 */

export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
}

export type Schedule =
  | { kind: 'rate'; expression: string; periodMs: number }
  | { kind: 'cron'; expression: string; cron: CronFields };

interface DayOfMonth {
  days: Set<number>;
  last: boolean;
  lastWeekday: boolean;
  /** Days n of `nW`. */
  nearestWeekday: number[];
}

interface DayOfWeek {
  /** JS days, 0 = Sunday. */
  days: Set<number>;
  /** `nL`: the last such day of the month. */
  lastOf: Set<number>;
  /** `n#k`. */
  nth: { day: number; k: number }[];
}

export interface CronFields {
  minutes: number[];
  hours: number[];
  months: Set<number>;
  years: Set<number>;
  dayOfMonth: DayOfMonth | undefined;
  dayOfWeek: DayOfWeek | undefined;
}

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MIN_YEAR = 1970;
const MAX_YEAR = 2199;

export function parseSchedule(expression: string): Schedule {
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2];
    const singular = unit.replace(/s$/, '');
    if (!UNITS[singular] || n < 1)
      throw new ScheduleExpressionError(`invalid rate expression: ${expression}`);
    if ((n === 1) !== (unit === singular)) {
      throw new ScheduleExpressionError(
        `${expression}: the unit must be singular when the value is 1 and plural otherwise, as EventBridge requires`,
      );
    }
    return { kind: 'rate', expression: text, periodMs: n * UNITS[singular] };
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) return { kind: 'cron', expression: text, cron: parseCron(cron[1], expression) };
  throw new ScheduleExpressionError(`not a rate() or cron() expression: ${expression}`);
}

function parseCron(body: string, expression: string): CronFields {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(
      `${expression}: cron takes 6 fields (minutes hours day-of-month month day-of-week year)`,
    );
  }
  const [min, hour, dom, month, dow, year] = fields;
  const fail = (what: string) =>
    new ScheduleExpressionError(`${expression}: invalid ${what} field`);
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError(
      `${expression}: exactly one of day-of-month and day-of-week must be ?`,
    );
  }
  return {
    minutes: [...parseList(min, 0, 59, [], () => fail('minutes'))].sort((a, b) => a - b),
    hours: [...parseList(hour, 0, 23, [], () => fail('hours'))].sort((a, b) => a - b),
    months: parseList(month, 1, 12, MONTHS, () => fail('month')),
    years: parseList(year, MIN_YEAR, MAX_YEAR, [], () => fail('year')),
    dayOfMonth: dom === '?' ? undefined : parseDayOfMonth(dom, () => fail('day-of-month')),
    dayOfWeek: dow === '?' ? undefined : parseDayOfWeek(dow, () => fail('day-of-week')),
  };
}

function parseDayOfMonth(field: string, fail: () => Error): DayOfMonth {
  const spec: DayOfMonth = { days: new Set(), last: false, lastWeekday: false, nearestWeekday: [] };
  const plain: string[] = [];
  for (const part of field.split(',')) {
    if (part === 'L') spec.last = true;
    else if (part === 'LW') spec.lastWeekday = true;
    else if (/^\d{1,2}W$/.test(part)) {
      const n = Number(part.slice(0, -1));
      if (n < 1 || n > 31) throw fail();
      spec.nearestWeekday.push(n);
    } else plain.push(part);
  }
  if (plain.length > 0) spec.days = parseList(plain.join(','), 1, 31, [], fail);
  return spec;
}

function parseDayOfWeek(field: string, fail: () => Error): DayOfWeek {
  const spec: DayOfWeek = { days: new Set(), lastOf: new Set(), nth: [] };
  const plain: string[] = [];
  const day = (s: string) => {
    const v = parseValue(s, 1, 7, DAYS, fail);
    return v - 1;
  };
  for (const part of field.split(',')) {
    if (part === 'L') spec.days.add(6);
    else if (/^\w+L$/.test(part)) spec.lastOf.add(day(part.slice(0, -1)));
    else if (/^\w+#\d$/.test(part)) {
      const [d, k] = part.split('#');
      const nth = Number(k);
      if (nth < 1 || nth > 5) throw fail();
      spec.nth.push({ day: day(d), k: nth });
    } else plain.push(part);
  }
  if (plain.length > 0)
    for (const d of parseList(plain.join(','), 1, 7, DAYS, fail)) spec.days.add(d - 1);
  return spec;
}

/** A list of `*`, values, ranges (wrapping past the end, e.g. FRI-MON) and steps. */
function parseList(
  field: string,
  min: number,
  max: number,
  names: string[],
  fail: () => Error,
): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined || range === '') throw fail();
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw fail();
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (more !== undefined) throw fail();
      from = parseValue(a, min, max, names, fail);
      to = parseValue(b, min, max, names, fail);
    } else {
      from = parseValue(range, min, max, names, fail);
      to = stepText === undefined ? from : max;
    }
    const span = to >= from ? to - from : to + (max - min + 1) - from;
    for (let i = 0; i <= span; i += step) out.add(((from - min + i) % (max - min + 1)) + min);
  }
  return out;
}

function parseValue(
  text: string,
  min: number,
  max: number,
  names: string[],
  fail: () => Error,
): number {
  const named = names.indexOf(text.toUpperCase());
  const v = named >= 0 ? named + min : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(v) || v < min || v > max) throw fail();
  return v;
}

/**
 * The first fire time strictly after `after`. A rate fires every period from `anchor`
 * (when the rule was created; `after` when not given); cron fires on whole minutes.
 * Undefined when a cron can never fire again (its years are over).
 */
export function nextFireTime(
  schedule: Schedule | string,
  after: Date,
  anchor: Date = after,
): Date | undefined {
  const s = typeof schedule === 'string' ? parseSchedule(schedule) : schedule;
  if (s.kind === 'rate') {
    const elapsed = after.getTime() - anchor.getTime();
    const periods = elapsed < 0 ? 0 : Math.floor(elapsed / s.periodMs) + 1;
    return new Date(anchor.getTime() + periods * s.periodMs);
  }
  return nextCron(s.cron, after);
}

function nextCron(c: CronFields, after: Date): Date | undefined {
  // The first whole minute strictly after `after`.
  const start = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
  let y = start.getUTCFullYear();
  let m = start.getUTCMonth() + 1;
  let d = start.getUTCDate();
  let fromMinuteOfDay = start.getUTCHours() * 60 + start.getUTCMinutes();
  while (y <= MAX_YEAR) {
    if (!c.years.has(y)) {
      y++;
      m = 1;
      d = 1;
      fromMinuteOfDay = 0;
      continue;
    }
    if (!c.months.has(m)) {
      [y, m] = m === 12 ? [y + 1, 1] : [y, m + 1];
      d = 1;
      fromMinuteOfDay = 0;
      continue;
    }
    const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
    if (d <= daysInMonth && dayMatches(c, y, m, d, daysInMonth)) {
      const time = firstTimeOfDay(c, fromMinuteOfDay);
      if (time !== undefined)
        return new Date(Date.UTC(y, m - 1, d, Math.floor(time / 60), time % 60));
    }
    d++;
    fromMinuteOfDay = 0;
    if (d > daysInMonth) {
      [y, m] = m === 12 ? [y + 1, 1] : [y, m + 1];
      d = 1;
    }
  }
  return undefined;
}

function firstTimeOfDay(c: CronFields, fromMinuteOfDay: number): number | undefined {
  for (const h of c.hours) {
    if (h * 60 + 59 < fromMinuteOfDay) continue;
    for (const min of c.minutes) {
      if (h * 60 + min >= fromMinuteOfDay) return h * 60 + min;
    }
  }
  return undefined;
}

function dayMatches(c: CronFields, y: number, m: number, d: number, daysInMonth: number): boolean {
  const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  if (c.dayOfMonth) {
    const dom = c.dayOfMonth;
    if (dom.days.has(d)) return true;
    if (dom.last && d === daysInMonth) return true;
    if (dom.lastWeekday && d === nearestWeekday(y, m, daysInMonth, daysInMonth)) return true;
    return dom.nearestWeekday.some(
      (n) => n <= daysInMonth && d === nearestWeekday(y, m, n, daysInMonth),
    );
  }
  const dow = c.dayOfWeek as DayOfWeek;
  if (dow.days.has(weekday)) return true;
  if (dow.lastOf.has(weekday) && d + 7 > daysInMonth) return true;
  return dow.nth.some((n) => n.day === weekday && Math.ceil(d / 7) === n.k);
}

/** The weekday (Mon-Fri) nearest day n, never crossing into another month (Quartz's W). */
function nearestWeekday(y: number, m: number, n: number, daysInMonth: number): number {
  const weekday = new Date(Date.UTC(y, m - 1, n)).getUTCDay();
  if (weekday === 6) return n === 1 ? 3 : n - 1;
  if (weekday === 0) return n === daysInMonth ? n - 2 : n + 1;
  return n;
}
