import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventBridgeEnvelope } from '@cancer-mlops/shared/contracts/events.ts';
import { EventBridgeEnvelopeSchema } from '@cancer-mlops/shared/contracts/events.ts';
import { openRuntimeDb, type RuntimeDb } from '../db.ts';
import type { RuntimeLog } from '../log.ts';
import { LocalQueues } from '../queue/localQueues.ts';
import { LocalBus, type BusRule } from './localBus.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function capturingLog() {
  const entries: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  const log: RuntimeLog = {
    info: (message, extra) => entries.push({ level: 'info', message, extra }),
    warn: (message, extra) => entries.push({ level: 'warn', message, extra }),
    error: (message, extra) => entries.push({ level: 'error', message, extra }),
  };
  return { log, entries };
}

const drift = {
  source: 'cancer-mlops.monitor',
  'detail-type': 'DriftDetected',
  detail: { run_id: 'r1' },
};

describe('Class: LocalBus', () => {
  let dir: string;
  let db: RuntimeDb;
  let queues: LocalQueues;
  let bus: LocalBus;
  let logged: ReturnType<typeof capturingLog>;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-bus-'));
    db = openRuntimeDb(dir);
    queues = new LocalQueues(db);
    queues.createQueue({
      name: 'drift-reactions',
      visibilityTimeoutSeconds: 30,
      maxReceiveCount: 3,
      dlqName: 'dlq',
    });
    logged = capturingLog();
    bus = new LocalBus(db, {
      queues,
      now: () => new Date('2026-03-01T10:20:30.456Z'),
      log: logged.log,
      retryDelayMs: 0,
    });
  });

  afterEach(() => {
    bus.close();
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const functionRule = (
    name: string,
    seen: EventBridgeEnvelope[],
    invoke?: () => void,
  ): BusRule => ({
    name,
    bus: 'custom',
    pattern: { source: ['cancer-mlops.monitor'], 'detail-type': ['DriftDetected'] },
    targets: [
      {
        type: 'function',
        id: `fn-${name}`,
        invoke: (e) => {
          seen.push(e);
          invoke?.();
        },
      },
    ],
  });

  describe('Method: putEvents', () => {
    it('builds the EventBridge envelope and invokes the matching function target', async () => {
      // Prepare
      const seen: EventBridgeEnvelope[] = [];
      bus.addRule(functionRule('on-drift', seen));
      bus.start();

      // Act
      const result = bus.putEvents('custom', [{ ...drift, resources: ['arn:x'] }]);
      await bus.idle();

      // Assess
      expect(result.FailedEntryCount).toBe(0);
      expect(seen).toHaveLength(1);
      expect(EventBridgeEnvelopeSchema.parse(seen[0])).toEqual({
        version: '0',
        id: expect.stringMatching(UUID),
        'detail-type': 'DriftDetected',
        source: 'cancer-mlops.monitor',
        account: '000000000000',
        time: '2026-03-01T10:20:30Z',
        region: 'us-east-1',
        resources: ['arn:x'],
        detail: { run_id: 'r1' },
      });
      expect(result.Entries).toEqual([{ EventId: seen[0].id }]);
    });

    it('keeps the buses apart and skips rules whose pattern does not match', async () => {
      // Prepare
      const seen: EventBridgeEnvelope[] = [];
      bus.addRule(functionRule('on-drift', seen));
      bus.start();

      // Act
      bus.putEvents('default', [drift]);
      bus.putEvents('custom', [{ ...drift, 'detail-type': 'RetrainingRequested' }]);
      await bus.idle();

      // Assess
      expect(seen).toEqual([]);
    });

    it('sends the event (or the rule input) to a queue target within the same call', () => {
      // Prepare
      bus.addRule({
        name: 'drift-detected',
        bus: 'custom',
        pattern: { 'detail-type': ['DriftDetected'] },
        targets: [{ type: 'queue', queue: 'drift-reactions' }],
      });
      bus.addRule({
        name: 'weekly',
        bus: 'custom',
        pattern: { 'detail-type': ['DriftDetected'] },
        targets: [{ type: 'queue', queue: 'drift-reactions', input: { kind: 'fixed' } }],
      });

      // Act: no start() needed, queue targets are written with the event
      bus.putEvents('custom', [drift]);

      // Assess
      const bodies = queues.receive('drift-reactions', 10).map((m) => JSON.parse(m.body));
      expect(bodies).toHaveLength(2);
      expect(bodies).toContainEqual({ kind: 'fixed' });
      expect(bodies.find((b) => b.version === '0')).toMatchObject({
        'detail-type': 'DriftDetected',
        detail: { run_id: 'r1' },
      });
    });

    it('rejects malformed entries one by one, like PutEvents, and routes the rest', () => {
      // Prepare
      bus.addRule({
        name: 'all-monitor',
        bus: 'custom',
        pattern: { source: ['cancer-mlops.monitor'] },
        targets: [{ type: 'queue', queue: 'drift-reactions' }],
      });

      // Act
      const result = bus.putEvents('custom', [
        { source: '', 'detail-type': 'X', detail: {} },
        { source: 'cancer-mlops.monitor', 'detail-type': 'X', detail: 'not an object' },
        drift,
      ]);

      // Assess
      expect(result.FailedEntryCount).toBe(2);
      expect(result.Entries[0]).toMatchObject({ ErrorCode: 'InvalidArgument' });
      expect(result.Entries[1]).toMatchObject({ ErrorCode: 'MalformedDetail' });
      expect(result.Entries[2]).toHaveProperty('EventId');
      expect(queues.depth('drift-reactions').visible).toBe(1);
    });

    it('rejects a bad pattern when the rule is added', () => {
      // Act & Assess
      expect(() =>
        bus.addRule({ name: 'bad', bus: 'custom', pattern: { source: 'x' }, targets: [] }),
      ).toThrow(/must be in an array/);
    });
  });

  describe('Method: failing targets', () => {
    it('retries a function target that failed once', async () => {
      // Prepare
      const seen: EventBridgeEnvelope[] = [];
      let calls = 0;
      bus.addRule(
        functionRule('flaky', seen, () => {
          if (++calls === 1) throw new Error('transient');
        }),
      );
      bus.start();

      // Act
      bus.putEvents('custom', [drift]);
      await bus.idle();

      // Assess
      expect(seen).toHaveLength(2);
      expect(seen[1].id).toBe(seen[0].id);
      expect(bus.deadLetters()).toEqual([]);
      expect(logged.entries.filter((e) => e.level === 'warn')).toHaveLength(1);
    });

    it('dead-letters a function target that failed twice, logs it, and still serves the other targets', async () => {
      // Prepare
      const healthy: EventBridgeEnvelope[] = [];
      const broken: EventBridgeEnvelope[] = [];
      bus.addRule(
        functionRule('broken', broken, () => {
          throw new Error('model registry unavailable');
        }),
      );
      bus.addRule(functionRule('healthy', healthy));
      bus.start();

      // Act
      const result = bus.putEvents('custom', [drift]);
      await bus.idle();

      // Assess
      expect(healthy).toHaveLength(1);
      expect(broken).toHaveLength(2);
      const [dead] = bus.deadLetters();
      expect(dead).toMatchObject({
        bus: 'custom',
        rule: 'broken',
        target: 'fn-broken',
        error: 'Error: model registry unavailable',
        attempts: 2,
      });
      expect(dead.event.id).toBe((result.Entries[0] as { EventId: string }).EventId);
      expect(logged.entries).toContainEqual(
        expect.objectContaining({
          level: 'error',
          extra: expect.objectContaining({ rule: 'broken' }),
        }),
      );
    });

    it('dead-letters an event for a queue that does not exist instead of throwing', () => {
      // Prepare
      bus.addRule({
        name: 'to-nowhere',
        bus: 'custom',
        pattern: { source: ['cancer-mlops.monitor'] },
        targets: [{ type: 'queue', queue: 'missing' }],
      });

      // Act
      const result = bus.putEvents('custom', [drift]);

      // Assess
      expect(result.FailedEntryCount).toBe(0);
      expect(bus.deadLetters()).toEqual([
        expect.objectContaining({
          rule: 'to-nowhere',
          target: 'queue:missing',
          error: expect.stringMatching(/missing/),
        }),
      ]);
    });

    it('redrives dead letters for a fresh set of attempts', async () => {
      // Prepare
      let fail = true;
      const seen: EventBridgeEnvelope[] = [];
      bus.addRule(
        functionRule('fixed-later', seen, () => {
          if (fail) throw new Error('down');
        }),
      );
      bus.start();
      bus.putEvents('custom', [drift]);
      await bus.idle();
      fail = false;

      // Act
      const n = bus.redriveDeadLetters();
      await bus.idle();

      // Assess
      expect(n).toBe(1);
      expect(seen).toHaveLength(3);
      expect(bus.deadLetters()).toEqual([]);
    });
  });

  describe('Method: start', () => {
    it('delivers, after a restart, the function deliveries a previous run left pending', async () => {
      // Prepare: a run that accepted the event but never got to invoke the target
      bus.addRule(functionRule('on-drift', []));
      bus.putEvents('custom', [drift]);
      bus.close();

      // Act
      const seen: EventBridgeEnvelope[] = [];
      const next = new LocalBus(db, { queues, log: logged.log, retryDelayMs: 0 });
      next.addRule(functionRule('on-drift', seen));
      next.start();
      await next.idle();
      next.close();

      // Assess
      expect(seen).toHaveLength(1);
      expect(seen[0].detail).toEqual({ run_id: 'r1' });
    });

    it('dead-letters pending deliveries whose rule no longer exists', () => {
      // Prepare
      bus.addRule(functionRule('removed', []));
      bus.putEvents('custom', [drift]);
      bus.close();

      // Act
      const next = new LocalBus(db, { queues, log: logged.log });
      next.start();
      next.close();

      // Assess
      expect(next.deadLetters()).toEqual([
        expect.objectContaining({ rule: 'removed', error: 'the rule or target no longer exists' }),
      ]);
    });
  });

  describe('Method: deliver', () => {
    it('delivers an envelope built elsewhere to the targets of a scheduled rule', async () => {
      // Prepare
      const seen: EventBridgeEnvelope[] = [];
      bus.addRule({
        name: 'hourly-drift',
        bus: 'default',
        targets: [{ type: 'function', id: 'fn', invoke: (e) => void seen.push(e) }],
      });
      bus.start();
      const envelope = {
        version: '0',
        id: 'x',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '000000000000',
        time: '2026-03-01T11:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: {},
      };

      // Act
      bus.deliver('hourly-drift', envelope);
      bus.putEvents('default', [
        { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} },
      ]);
      await bus.idle();

      // Assess: only the delivered envelope, a scheduled rule matches no event
      expect(seen).toEqual([envelope]);
    });
  });

  describe('Method: publisher', () => {
    it('publishes our events on the custom bus and refuses aws.* sources', async () => {
      // Prepare
      const seen: EventBridgeEnvelope[] = [];
      bus.addRule(functionRule('on-drift', seen));
      bus.start();
      const publisher = bus.publisher();

      // Act
      await publisher.publish([drift]);
      await bus.idle();

      // Assess
      expect(seen).toHaveLength(1);
      await expect(
        publisher.publish([{ source: 'aws.sagemaker', 'detail-type': 'X', detail: {} }]),
      ).rejects.toThrow(/reserved/);
      await expect(
        publisher.publish([{ source: 'x', 'detail-type': 'X', detail: [] }]),
      ).rejects.toThrow(/MalformedDetail/);
    });
  });
});
