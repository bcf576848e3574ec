import { randomUUID } from 'node:crypto';
import type { BusEvent, EventBridgeEnvelope } from '@cancer-mlops/shared/contracts/events.ts';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import type { EventPattern } from '@cancer-mlops/shared/topology/types.ts';
import type { RuntimeDb } from '../db.ts';
import { errorMessage, stderrLog, type RuntimeLog } from '../log.ts';
import { compilePattern, type EventMatcher } from './pattern.ts';

/** `default` carries AWS's own events (SageMaker state changes, schedules), `custom` ours. */
export type BusName = 'default' | 'custom';

export interface FunctionTarget {
  type: 'function';
  /** Stable across restarts (the physical function name): pending deliveries are keyed by it. */
  id: string;
  invoke: (event: EventBridgeEnvelope) => unknown;
}

export interface QueueTarget {
  type: 'queue';
  /** Physical queue name. */
  queue: string;
  /** Fixed message body instead of the event (the rule's Input); serialised as JSON. */
  input?: unknown;
}

export type BusTarget = FunctionTarget | QueueTarget;

export interface BusRule {
  name: string;
  bus: BusName;
  /** Without a pattern (a scheduled rule) the rule matches no event; `deliver` feeds it. */
  pattern?: EventPattern;
  targets: BusTarget[];
}

/** The PutEvents response, with AWS's field names. */
export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
}

export interface BusDeadLetter {
  id: number;
  bus: BusName;
  rule: string;
  target: string;
  event: EventBridgeEnvelope;
  error: string;
  attempts: number;
  failedAt: Date;
}

/**
 * What the bus needs from the queues: send bodies to a physical queue (LocalQueues fits). It
 * must use the bus's own database connection, so an event and its queue messages commit
 * together (on another connection the send would wait on the bus's write lock).
 */
export interface QueueSink {
  send(queue: string, bodies: readonly string[]): unknown;
}

export interface LocalBusOptions {
  queues: QueueSink;
  region?: string;
  accountId?: string;
  now?: () => Date;
  log?: RuntimeLog;
  /** Attempts per function target before the delivery is dead-lettered (2, like an async Lambda invoke's first retry). */
  maxAttempts?: number;
  /** Pause before a failed function delivery is retried. */
  retryDelayMs?: number;
}

/** EventBridge's limit for one PutEvents entry. */
export const MAX_ENTRY_BYTES = 256 * 1024;

interface DeliveryRow {
  id: number;
  bus: BusName;
  rule: string;
  target: string;
  envelope: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  failed_at: number | null;
}

interface CompiledRule {
  rule: BusRule;
  matches: EventMatcher;
}

/**
 * The local EventBridge: two buses, rules with event patterns, and targets that are
 * functions or queues. putEvents builds the real envelope and routes it within one SQLite
 * transaction: a queue target gets its message there and then, a function target gets a
 * row in a delivery outbox that survives a crash. Function targets are invoked
 * asynchronously, as EventBridge does; a target that keeps failing lands in the bus's
 * dead letters (`deadLetters()`) with the error, and every failure is logged: nothing is
 * dropped silently.
 */
export class LocalBus {
  private readonly rules = new Map<BusName, Map<string, CompiledRule>>([
    ['default', new Map()],
    ['custom', new Map()],
  ]);
  private readonly byName = new Map<string, BusRule>();
  private readonly targets = new Map<string, { rule: BusRule; target: BusTarget }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly running = new Set<number>();
  private readonly now: () => Date;
  private readonly log: RuntimeLog;
  private readonly region: string;
  private readonly accountId: string;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private started = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly stmt;

  constructor(
    private readonly db: RuntimeDb,
    private readonly options: LocalBusOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? stderrLog('bus');
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 2);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 1000);
    this.stmt = {
      insert: db.prepare(
        `INSERT INTO bus_deliveries (bus, rule, target, event_id, envelope, status, attempts, next_attempt_at, last_error, created_at, failed_at)
         VALUES (@bus, @rule, @target, @eventId, @envelope, @status, @attempts, @nextAt, @error, @now, @failedAt)`,
      ),
      due: db.prepare(
        `SELECT id, bus, rule, target, envelope, attempts, next_attempt_at, last_error, failed_at
         FROM bus_deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT 100`,
      ),
      nextDue: db.prepare(
        `SELECT MIN(next_attempt_at) AS at FROM bus_deliveries WHERE status = 'pending'`,
      ),
      pending: db.prepare(
        `SELECT rule, target, next_attempt_at FROM bus_deliveries WHERE status = 'pending'`,
      ),
      pendingTargets: db.prepare(
        `SELECT DISTINCT rule, target FROM bus_deliveries WHERE status = 'pending'`,
      ),
      done: db.prepare('DELETE FROM bus_deliveries WHERE id = ?'),
      retry: db.prepare(
        'UPDATE bus_deliveries SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?',
      ),
      dead: db.prepare(
        `UPDATE bus_deliveries SET status = 'dead', attempts = ?, last_error = ?, failed_at = ? WHERE id = ?`,
      ),
      deadForTarget: db.prepare(
        `UPDATE bus_deliveries SET status = 'dead', last_error = ?, failed_at = ? WHERE status = 'pending' AND rule = ? AND target = ?`,
      ),
      listDead: db.prepare(
        `SELECT id, bus, rule, target, envelope, attempts, next_attempt_at, last_error, failed_at
         FROM bus_deliveries WHERE status = 'dead' ORDER BY id LIMIT ?`,
      ),
      redrive: db.prepare(
        `UPDATE bus_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?, failed_at = NULL WHERE status = 'dead'`,
      ),
    };
  }

  /** Adds (or replaces) a rule; the pattern is checked here, so a bad one fails at start-up. */
  addRule(rule: BusRule): void {
    const matches = rule.pattern === undefined ? () => false : compilePattern(rule.pattern);
    const onBus = this.rules.get(rule.bus);
    if (!onBus) throw new Error(`unknown bus "${rule.bus}"`);
    const previous = this.byName.get(rule.name);
    if (previous) {
      this.forgetTargets(previous);
      this.rules.get(previous.bus)?.delete(rule.name);
    }
    this.byName.set(rule.name, rule);
    onBus.set(rule.name, { rule, matches });
    for (const target of rule.targets)
      this.targets.set(targetKey(rule.name, target), { rule, target });
    this.schedulePump(0);
  }

  /**
   * Starts invoking function targets, including deliveries left pending by a previous run.
   * Call it once every rule is added: a pending delivery whose rule or target no longer
   * exists is dead-lettered then, with that reason.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    const orphans = this.stmt.pendingTargets.all() as { rule: string; target: string }[];
    for (const o of orphans) {
      if (this.targets.has(`${o.rule}\u0000${o.target}`)) continue;
      this.stmt.deadForTarget.run(
        'the rule or target no longer exists',
        this.now().getTime(),
        o.rule,
        o.target,
      );
      this.log.error('bus delivery dead-lettered: target no longer exists', {
        rule: o.rule,
        target: o.target,
      });
    }
    this.schedulePump(0);
  }

  /** Stops invoking targets (pending deliveries stay in the outbox for the next start). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** EventBridge PutEvents: one envelope per entry, routed to every matching rule's targets. */
  putEvents(bus: BusName, entries: readonly BusEvent[]): PutEventsResult {
    const onBus = this.rules.get(bus);
    if (!onBus) throw new Error(`unknown bus "${bus}"`);
    const result: PutEventsResult = { FailedEntryCount: 0, Entries: [] };
    const now = this.now();
    let queued = false;
    this.db
      .transaction(() => {
        for (const entry of entries) {
          const problem = validateEntry(entry);
          if (problem) {
            result.FailedEntryCount++;
            result.Entries.push(problem);
            this.log.warn('bus rejected an event', {
              bus,
              errorCode: problem.ErrorCode,
              reason: problem.ErrorMessage,
            });
            continue;
          }
          const envelope = this.envelope(entry, now);
          result.Entries.push({ EventId: envelope.id });
          for (const { rule, matches } of onBus.values()) {
            if (!matches(envelope)) continue;
            for (const target of rule.targets) {
              if (target.type === 'queue') this.sendToQueue(bus, rule, target, envelope, now);
              else {
                this.insertDelivery(
                  bus,
                  rule.name,
                  target.id,
                  envelope,
                  'pending',
                  now.getTime(),
                  null,
                );
                queued = true;
              }
            }
          }
        }
      })
      .immediate();
    if (queued) this.schedulePump(0);
    return result;
  }

  /**
   * Delivers an envelope built elsewhere (the scheduler's 'Scheduled Event') to the targets
   * of a rule added before, with the same outbox, retries and dead letters as a matched event.
   */
  deliver(ruleName: string, envelope: EventBridgeEnvelope): void {
    const rule = this.byName.get(ruleName);
    if (!rule) throw new Error(`no rule named "${ruleName}"`);
    const now = this.now();
    let queued = false;
    this.db
      .transaction(() => {
        for (const target of rule.targets) {
          if (target.type === 'queue') this.sendToQueue(rule.bus, rule, target, envelope, now);
          else {
            this.insertDelivery(
              rule.bus,
              rule.name,
              target.id,
              envelope,
              'pending',
              now.getTime(),
              null,
            );
            queued = true;
          }
        }
      })
      .immediate();
    if (queued) this.schedulePump(0);
  }

  /** The EventPublisher port on the custom bus; like PutEvents with IAM, `aws.*` sources are refused. */
  publisher(): EventPublisher {
    return {
      publish: async (events) => {
        const refused = events.find(
          (e) => typeof e.source === 'string' && e.source.startsWith('aws.'),
        );
        if (refused) throw new Error(`source "${refused.source}" is reserved for AWS services`);
        const result = this.putEvents('custom', events);
        if (result.FailedEntryCount > 0) {
          const reasons = result.Entries.flatMap((e) =>
            'ErrorCode' in e ? [`${e.ErrorCode}: ${e.ErrorMessage}`] : [],
          );
          throw new Error(
            `PutEvents failed for ${result.FailedEntryCount} of ${events.length} events: ${reasons.join('; ')}`,
          );
        }
      },
    };
  }

  /** Resolves once no delivery to a known target is running or pending (retries included). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.inFlight.size > 0) {
        await Promise.allSettled([...this.inFlight]);
        continue;
      }
      if (!this.started || this.closed) return;
      const pending = (
        this.stmt.pending.all() as { rule: string; target: string; next_attempt_at: number }[]
      ).filter((r) => this.targets.has(`${r.rule}\u0000${r.target}`));
      if (pending.length === 0) return;
      const at = Math.min(...pending.map((r) => r.next_attempt_at));
      await new Promise((r) => setTimeout(r, Math.min(Math.max(0, at - this.now().getTime()), 50)));
      this.pump();
    }
  }

  /** Deliveries that failed every attempt, oldest first: the operator's events-dlq. */
  deadLetters(limit = 1000): BusDeadLetter[] {
    return (this.stmt.listDead.all(limit) as DeliveryRow[]).map((r) => ({
      id: r.id,
      bus: r.bus,
      rule: r.rule,
      target: r.target,
      event: JSON.parse(r.envelope) as EventBridgeEnvelope,
      error: r.last_error ?? 'unknown error',
      attempts: r.attempts,
      failedAt: new Date(r.failed_at ?? 0),
    }));
  }

  /** Puts every dead letter back in the outbox for a fresh set of attempts; returns how many. */
  redriveDeadLetters(): number {
    const n = this.stmt.redrive.run(this.now().getTime()).changes;
    if (n > 0) this.schedulePump(0);
    return n;
  }

  private envelope(entry: BusEvent, now: Date): EventBridgeEnvelope {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry['detail-type'],
      source: entry.source,
      account: this.accountId,
      time: entry.time ?? isoSeconds(now),
      region: this.region,
      resources: entry.resources ?? [],
      detail: entry.detail,
    };
  }

  private sendToQueue(
    bus: BusName,
    rule: BusRule,
    target: QueueTarget,
    envelope: EventBridgeEnvelope,
    now: Date,
  ) {
    const body = JSON.stringify(target.input === undefined ? envelope : target.input);
    try {
      // A nested transaction is a savepoint: a failed send undoes only itself.
      this.db.transaction(() => this.options.queues.send(target.queue, [body]))();
    } catch (e) {
      const error = errorMessage(e);
      this.insertDelivery(
        bus,
        rule.name,
        queueTargetId(target),
        envelope,
        'dead',
        now.getTime(),
        error,
        1,
      );
      this.log.error('bus could not send an event to a queue target; dead-lettered', {
        rule: rule.name,
        queue: target.queue,
        eventId: envelope.id,
        error,
      });
    }
  }

  private insertDelivery(
    bus: BusName,
    rule: string,
    target: string,
    envelope: EventBridgeEnvelope,
    status: 'pending' | 'dead',
    now: number,
    error: string | null,
    attempts = 0,
  ) {
    this.stmt.insert.run({
      bus,
      rule,
      target,
      eventId: envelope.id,
      envelope: JSON.stringify(envelope),
      status,
      attempts,
      nextAt: now,
      error,
      now,
      failedAt: status === 'dead' ? now : null,
    });
  }

  private schedulePump(delayMs: number): void {
    if (!this.started || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delayMs);
    this.timer.unref();
  }

  private pump(): void {
    if (!this.started || this.closed) return;
    const now = this.now().getTime();
    for (const row of this.stmt.due.all(now) as DeliveryRow[]) {
      if (this.running.has(row.id)) continue;
      const bound = this.targets.get(`${row.rule}\u0000${row.target}`);
      if (!bound) continue;
      this.running.add(row.id);
      const p = this.attempt(row, bound.target).finally(() => {
        this.running.delete(row.id);
        this.inFlight.delete(p);
      });
      this.inFlight.add(p);
    }
    const next = (this.stmt.nextDue.get() as { at: number | null }).at;
    if (next !== null && next > now) this.schedulePump(next - now);
  }

  private async attempt(row: DeliveryRow, target: BusTarget): Promise<void> {
    const envelope = JSON.parse(row.envelope) as EventBridgeEnvelope;
    const attempts = row.attempts + 1;
    try {
      if (target.type === 'function') await target.invoke(envelope);
      else
        this.options.queues.send(target.queue, [
          JSON.stringify(target.input === undefined ? envelope : target.input),
        ]);
      this.stmt.done.run(row.id);
    } catch (e) {
      const error = errorMessage(e);
      const extra = {
        rule: row.rule,
        target: row.target,
        eventId: envelope.id,
        attempt: attempts,
        error,
      };
      if (attempts >= this.maxAttempts) {
        this.stmt.dead.run(attempts, error, this.now().getTime(), row.id);
        this.log.error('bus target failed every attempt; event dead-lettered', extra);
      } else {
        this.stmt.retry.run(attempts, this.now().getTime() + this.retryDelayMs, error, row.id);
        this.log.warn('bus target failed; will retry', extra);
        this.schedulePump(this.retryDelayMs);
      }
    }
  }

  private forgetTargets(rule: BusRule): void {
    for (const t of rule.targets) this.targets.delete(targetKey(rule.name, t));
  }
}

const queueTargetId = (t: QueueTarget) => `queue:${t.queue}`;
const targetKey = (rule: string, t: BusTarget) =>
  `${rule}\u0000${t.type === 'function' ? t.id : queueTargetId(t)}`;

/** EventBridge writes event times to the second. */
const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function validateEntry(entry: BusEvent): { ErrorCode: string; ErrorMessage: string } | undefined {
  if (!entry || typeof entry.source !== 'string' || entry.source === '') {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid.' };
  }
  if (typeof entry['detail-type'] !== 'string' || entry['detail-type'] === '') {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid.' };
  }
  if (typeof entry.detail !== 'object' || entry.detail === null || Array.isArray(entry.detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  const size = Buffer.byteLength(JSON.stringify(entry), 'utf8');
  if (size > MAX_ENTRY_BYTES) {
    return {
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Entry size ${size} exceeds ${MAX_ENTRY_BYTES} bytes.`,
    };
  }
  return undefined;
}
