import type { EventBridgeEnvelope } from '@cancer-mlops/shared/contracts/events.ts';
import type {
  FunctionSpec,
  ServiceTopology,
  Trigger,
} from '@cancer-mlops/shared/topology/types.ts';
import {
  dlqName,
  functionName,
  queueName,
  resourceName,
  type NameContext,
} from '@cancer-mlops/shared/topology/names.ts';
import { describeError } from '@cancer-mlops/shared/runtime/errors.ts';
import type { LocalQueues } from '../queue/localQueues.ts';
import type { LocalBus } from '../bus/localBus.ts';
import type { RuntimeLog } from '../log.ts';
import type { Invoker } from './invoker.ts';
import { SqsPoller } from './sqsPoller.ts';

/** What the mesh needs from the object store: S3 notifications for a bucket + prefix. */
export interface ObjectNotifications {
  onObjectCreated(
    filter: { bucket: string; prefix: string; suffix?: string },
    listener: (event: unknown) => Promise<void>,
  ): void;
}

/** What the mesh needs from the scheduler. */
export interface Schedules {
  add(name: string, expression: string, fire: (event: EventBridgeEnvelope) => void): void;
}

/** What the mesh needs from the HTTP gateway. */
export interface Routes {
  route(
    method: string,
    path: string,
    auth: 'none' | 'jwt',
    handler: (event: unknown) => Promise<unknown>,
  ): void;
}

export interface MeshOptions {
  names: NameContext;
  region: string;
  queues: LocalQueues;
  bus: LocalBus;
  objects: ObjectNotifications;
  scheduler: Schedules;
  gateway: Routes;
  invoker: Invoker;
  log: RuntimeLog;
  retryDelaySeconds: number;
  /** Attempts of an asynchronous invocation (S3, schedule) before it is given up and logged. */
  asyncAttempts?: number;
}

/**
 * Wires every service's functions exactly as its topology says they are deployed: queues
 * with their DLQs and redrive, EventBridge rules (to functions and to queues), S3
 * notifications, schedules and HTTP routes. The handlers are the same modules Lambda runs.
 */
export class Mesh {
  private readonly pollers: SqsPoller[] = [];
  private asyncActive = 0;
  private readonly asyncFailures: { function: string; reason: string; at: Date }[] = [];

  constructor(
    private readonly topologies: ServiceTopology[],
    private readonly o: MeshOptions,
  ) {}

  /** Creates resources and routes; handlers are loaded first so a broken one fails the start. */
  async wire(): Promise<void> {
    const { names, queues, bus } = this.o;
    for (const t of this.topologies) {
      for (const q of t.queues) {
        queues.createQueue({
          name: dlqName(names, q.name),
          visibilityTimeoutSeconds: 30,
          maxReceiveCount: 1_000_000,
        });
        queues.createQueue({
          name: queueName(names, q.name),
          visibilityTimeoutSeconds: q.visibilityTimeoutSeconds,
          maxReceiveCount: q.maxReceiveCount,
          dlqName: dlqName(names, q.name),
        });
      }
    }
    for (const t of this.topologies) {
      for (const fn of t.functions) await this.o.invoker.load(t.service, fn);
      for (const rule of t.rules) {
        const name = resourceName(names, `${t.service}-${rule.name}`);
        const target = {
          type: 'queue' as const,
          queue: queueName(names, rule.targetQueue),
          input: rule.input,
        };
        bus.addRule({ name, bus: rule.bus, pattern: rule.pattern, targets: [target] });
        if (rule.schedule)
          this.o.scheduler.add(name, rule.schedule, (event) => bus.deliver(name, event));
      }
      for (const fn of t.functions)
        fn.triggers.forEach((trigger, i) => this.wireTrigger(t.service, fn, trigger, i));
    }
    bus.start();
  }

  start(): void {
    for (const p of this.pollers) p.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.pollers.map((p) => p.stop()));
  }

  /** True when no handler runs and no poller holds a batch. */
  get busy(): boolean {
    return (
      this.asyncActive > 0 ||
      this.o.invoker.activeInvocations > 0 ||
      this.pollers.some((p) => p.isBusy)
    );
  }

  /** Invokes a function directly (`mlops monitor run`), as `serverless invoke` would. */
  async invoke(service: string, fnName: string, event: unknown): Promise<unknown> {
    const t = this.topologies.find((x) => x.service === service);
    const fn = t?.functions.find((f) => f.name === fnName);
    if (!fn) throw new Error(`no function ${service}.${fnName}`);
    return this.o.invoker.invoke(service, fn, event);
  }

  /** Asynchronous invocations (S3, schedule) that failed every attempt. */
  failures(): { function: string; reason: string; at: Date }[] {
    return [...this.asyncFailures];
  }

  private wireTrigger(service: string, fn: FunctionSpec, trigger: Trigger, index: number): void {
    const { names, bus, invoker } = this.o;
    const physical = functionName(names, service, fn.name);
    const invoke = (event: unknown) => invoker.invoke(service, fn, event);
    switch (trigger.type) {
      case 'sqs':
        this.pollers.push(
          new SqsPoller({
            queues: this.o.queues,
            queue: queueName(names, trigger.queue),
            batchSize: trigger.batchSize,
            region: this.o.region,
            invoke,
            log: this.o.log,
            retryDelaySeconds: this.o.retryDelaySeconds,
          }),
        );
        return;
      case 'eventbridge':
        bus.addRule({
          name: `${physical}-${index}`,
          bus: trigger.bus,
          pattern: trigger.pattern,
          targets: [{ type: 'function', id: physical, invoke }],
        });
        return;
      case 's3':
        this.o.objects.onObjectCreated(
          { bucket: trigger.bucket, prefix: trigger.prefix, suffix: trigger.suffix },
          (event) => this.invokeAsync(physical, () => invoke(event)),
        );
        return;
      case 'schedule':
        if (trigger.enabled === false) return;
        this.o.scheduler.add(`${physical}-${index}`, trigger.expression, (event) => {
          void this.invokeAsync(physical, () => invoke(event));
        });
        return;
      case 'http':
        this.o.gateway.route(trigger.method, trigger.path, trigger.auth, invoke);
        return;
    }
  }

  /** An asynchronous Lambda invocation: retried, then recorded with its reason. */
  private async invokeAsync(physical: string, call: () => Promise<unknown>): Promise<void> {
    const attempts = this.o.asyncAttempts ?? 3;
    this.asyncActive++;
    try {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          await call();
          return;
        } catch (e) {
          if (attempt === attempts) {
            const reason = describeError(e);
            this.asyncFailures.push({ function: physical, reason, at: new Date() });
            this.o.log.error('asynchronous invocation failed every attempt', {
              function: physical,
              attempts,
              reason,
            });
          }
        }
      }
    } finally {
      this.asyncActive--;
    }
  }
}
