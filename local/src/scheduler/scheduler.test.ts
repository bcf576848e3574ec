import type { RuntimeLog } from '../log.ts';
import { Scheduler, type ScheduledEvent } from './scheduler.ts';

describe('Class: Scheduler', () => {
  let clock: Date;
  let errors: Record<string, unknown>[];
  let scheduler: Scheduler;
  const log: RuntimeLog = {
    info: () => {},
    warn: () => {},
    error: (_m, e) => errors.push(e ?? {}),
  };

  beforeEach(() => {
    clock = new Date('2026-03-01T10:00:00Z');
    errors = [];
    scheduler = new Scheduler({
      now: () => clock,
      log,
      region: 'eu-west-1',
      accountId: '111122223333',
    });
  });

  afterEach(async () => {
    await scheduler.stop();
  });

  describe('Method: advanceTo', () => {
    it('fires each occurrence with a real Scheduled Event envelope timed at the schedule', async () => {
      // Prepare
      const seen: ScheduledEvent[] = [];
      scheduler.add({
        name: 'analyze-drift',
        expression: 'rate(1 hour)',
        handler: (e) => void seen.push(e),
      });

      // Act
      const fired = await scheduler.advanceTo(new Date('2026-03-01T13:30:00Z'));

      // Assess
      expect(fired).toBe(3);
      expect(seen.map((e) => e.time)).toEqual([
        '2026-03-01T11:00:00Z',
        '2026-03-01T12:00:00Z',
        '2026-03-01T13:00:00Z',
      ]);
      expect(seen[0]).toEqual({
        version: '0',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '111122223333',
        time: '2026-03-01T11:00:00Z',
        region: 'eu-west-1',
        resources: ['arn:aws:events:eu-west-1:111122223333:rule/analyze-drift'],
        detail: {},
      });
      expect(new Set(seen.map((e) => e.id)).size).toBe(3);
      expect(scheduler.nextFire('analyze-drift')?.toISOString()).toBe('2026-03-01T14:00:00.000Z');
    });

    it('interleaves several schedules in time order', async () => {
      // Prepare
      const order: string[] = [];
      scheduler.add({
        name: 'hourly',
        expression: 'rate(1 hour)',
        handler: (e) => void order.push(`h ${e.time}`),
      });
      scheduler.add({
        name: 'weekly',
        expression: 'cron(0 3 ? * SUN *)',
        handler: (e) => void order.push(`w ${e.time}`),
      });

      // Act: 2026-03-08 is a Sunday
      await scheduler.advanceTo(new Date('2026-03-08T04:00:00Z'));

      // Assess
      const weekly = order.indexOf('w 2026-03-08T03:00:00Z');
      expect(weekly).toBeGreaterThan(0);
      expect(order[weekly - 1]).toBe('h 2026-03-08T03:00:00Z');
      expect(order[weekly + 1]).toBe('h 2026-03-08T04:00:00Z');
      expect(order.filter((o) => o.startsWith('h'))).toHaveLength(7 * 24 - 6);
    });

    it('never fires a disabled schedule, but still checks its expression', async () => {
      // Prepare
      let fired = 0;
      scheduler.add({
        name: 'off',
        expression: 'rate(1 minute)',
        enabled: false,
        handler: () => void fired++,
      });

      // Act
      await scheduler.advanceTo(new Date('2026-03-02T00:00:00Z'));

      // Assess
      expect(fired).toBe(0);
      expect(() =>
        scheduler.add({
          name: 'bad',
          expression: 'rate(1 minutes)',
          enabled: false,
          handler: () => {},
        }),
      ).toThrow();
    });

    it('logs a failing handler and keeps the schedule going', async () => {
      // Prepare
      let calls = 0;
      scheduler.add({
        name: 'flaky',
        expression: 'rate(1 minute)',
        handler: () => {
          calls++;
          throw new Error('no baseline yet');
        },
      });

      // Act
      await scheduler.advanceTo(new Date('2026-03-01T10:03:00Z'));

      // Assess
      expect(calls).toBe(3);
      expect(errors).toHaveLength(3);
      expect(errors[0]).toMatchObject({ schedule: 'flaky', error: 'Error: no baseline yet' });
    });
  });

  describe('Method: start', () => {
    it('fires on a timer when the clock reaches the next fire time', async () => {
      // Prepare: a clock that runs in real time and can be moved forward
      let shift = 0;
      const timed = new Scheduler({ now: () => new Date(Date.now() + shift), log });
      const seen: ScheduledEvent[] = [];
      timed.add({ name: 'soon', expression: 'rate(1 minute)', handler: (e) => void seen.push(e) });
      const first = timed.nextFire('soon')!;
      shift = 60_000 - 30;

      // Act: the first run is now about 30 ms away
      timed.start();
      for (let i = 0; i < 500 && seen.length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      await timed.stop();

      // Assess
      expect(seen).toHaveLength(1);
      expect(seen[0].time).toBe(first.toISOString().replace(/\.\d{3}Z$/, 'Z'));
      expect(timed.nextFire('soon')!.getTime()).toBe(first.getTime() + 60_000);
    });
  });
});
