import { randomUUID } from 'node:crypto';
import type { EventBridgeEnvelope } from '@cancer-mlops/shared/contracts/events.ts';
import { errorMessage, stderrLog, type RuntimeLog } from '../log.ts';
import { nextFireTime, parseSchedule, type Schedule } from './expression.ts';

export type ScheduledEvent = EventBridgeEnvelope<Record<string, never>>;

export interface ScheduledJob {
  /** The rule's name: it is in the event's `resources` ARN. */
  name: string;
  /** `rate(...)` or `cron(...)`. */
  expression: string;
  /** As in the topology: a disabled schedule is parsed (so it is checked) but never fires. */
  enabled?: boolean;
  handler: (event: ScheduledEvent) => unknown;
}

export interface SchedulerOptions {
  now?: () => Date;
  region?: string;
  accountId?: string;
  log?: RuntimeLog;
}

interface Entry {
  job: ScheduledJob;
  schedule: Schedule;
  anchor: Date;
  next: Date | undefined;
}

/** setTimeout's longest delay; a schedule further out is re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * EventBridge scheduled rules: calls each job's handler at the fire times of its
 * expression with a real 'Scheduled Event' envelope whose `time` is the scheduled time.
 * With `start()` it runs on timers; `advanceTo(date)` fires everything due up to `date`
 * without waiting, which is how tests (and a fake clock) drive it. A run that was missed
 * (the process slept) fires once when noticed, not once per missed period, as EventBridge
 * does not catch up either. A handler error is logged and does not stop the schedule.
 */
export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => Date;
  private readonly region: string;
  private readonly accountId: string;
  private readonly log: RuntimeLog;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: SchedulerOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.log = options.log ?? stderrLog('scheduler');
  }

  /** Adds a job; its expression is parsed now, so a bad one fails at start-up. */
  add(job: ScheduledJob): void {
    if (this.entries.has(job.name))
      throw new Error(`a schedule named "${job.name}" exists already`);
    const schedule = parseSchedule(job.expression);
    const anchor = this.now();
    const next = job.enabled === false ? undefined : nextFireTime(schedule, anchor, anchor);
    this.entries.set(job.name, { job, schedule, anchor, next });
    this.arm();
  }

  remove(name: string): void {
    this.entries.delete(name);
    this.arm();
  }

  /** When the job fires next (undefined when disabled or never again). */
  nextFire(name: string): Date | undefined {
    return this.entries.get(name)?.next;
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Fires, in time order, every occurrence due at or before `date`, awaiting each handler;
   * returns how many fired. Independent of timers and of the clock.
   */
  async advanceTo(date: Date): Promise<number> {
    let fired = 0;
    for (;;) {
      const due = this.earliest();
      if (!due?.next || due.next.getTime() > date.getTime()) break;
      const at = due.next;
      due.next = nextFireTime(due.schedule, at, due.anchor);
      await this.fire(due.job, at);
      fired++;
    }
    this.arm();
    return fired;
  }

  private earliest(): Entry | undefined {
    let best: Entry | undefined;
    for (const e of this.entries.values()) {
      if (e.next && (!best?.next || e.next.getTime() < best.next.getTime())) best = e;
    }
    return best;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running) return;
    const due = this.earliest();
    if (!due?.next) return;
    const delay = Math.min(Math.max(0, due.next.getTime() - this.now().getTime()), MAX_TIMER_MS);
    this.timer = setTimeout(() => this.onTimer(), delay);
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = undefined;
    const now = this.now();
    for (const e of this.entries.values()) {
      if (!e.next || e.next.getTime() > now.getTime()) continue;
      const at = e.next;
      e.next = nextFireTime(e.schedule, now, e.anchor);
      const p = this.fire(e.job, at).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
    this.arm();
  }

  private async fire(job: ScheduledJob, at: Date): Promise<void> {
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.accountId,
      time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [`arn:aws:events:${this.region}:${this.accountId}:rule/${job.name}`],
      detail: {},
    };
    try {
      await job.handler(event);
    } catch (e) {
      this.log.error('scheduled job failed', {
        schedule: job.name,
        time: event.time,
        error: errorMessage(e),
      });
    }
  }
}
