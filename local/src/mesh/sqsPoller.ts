import { FAILURE_REASONS, type SqsBatchResult } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import { describeError } from '@cancer-mlops/shared/runtime/errors.ts';
import type { LocalQueues, ReceivedMessage } from '../queue/localQueues.ts';
import { toSqsEvent } from '../queue/sqsEvent.ts';
import type { RuntimeLog } from '../log.ts';

export interface SqsPollerOptions {
  queues: LocalQueues;
  queue: string;
  batchSize: number;
  region: string;
  invoke: (event: unknown) => Promise<unknown>;
  log: RuntimeLog;
  /**
   * Seconds a failed message stays invisible before its next try, times its receive count.
   * SQS would wait the whole visibility timeout (minutes); locally a short back-off keeps
   * the loop responsive while still counting receives towards the dead-letter queue.
   */
  retryDelaySeconds: number;
}

/**
 * The Lambda event source mapping for one SQS trigger: receive up to batchSize, invoke,
 * delete what succeeded, record the reason of each reported failure (so the dead letter
 * says why) and let it come back later. Concurrency 1, as a reserved-concurrency consumer.
 */
export class SqsPoller {
  private running = false;
  private busy = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly o: SqsPollerOptions) {}

  get isBusy(): boolean {
    return this.busy;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.o.queues.onMessage((q) => {
      if (q === this.o.queue) this.wake?.();
    });
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const messages = this.o.queues.receive(this.o.queue, this.o.batchSize);
      if (messages.length === 0) {
        await this.sleep();
        continue;
      }
      this.busy = true;
      try {
        await this.process(messages);
      } finally {
        this.busy = false;
      }
    }
  }

  private async process(messages: ReceivedMessage[]): Promise<void> {
    const { queues, queue } = this.o;
    const event = toSqsEvent(messages, queues.arn(queue), this.o.region);
    let failed: Map<string, string>;
    try {
      const result = (await this.o.invoke(event)) as SqsBatchResult | undefined;
      failed = new Map();
      const reasons = result?.[FAILURE_REASONS];
      for (const f of result?.batchItemFailures ?? []) {
        failed.set(
          f.itemIdentifier,
          reasons?.get(f.itemIdentifier) ?? 'reported as failed by the function',
        );
      }
    } catch (e) {
      // A thrown error fails the whole batch, as on Lambda.
      const reason = describeError(e);
      failed = new Map(messages.map((m) => [m.messageId, reason]));
    }
    for (const m of messages) {
      const reason = failed.get(m.messageId);
      if (reason === undefined) {
        queues.delete(queue, m.receiptHandle);
        continue;
      }
      queues.recordFailure(queue, m.receiptHandle, reason);
      const count = Number(m.attributes.ApproximateReceiveCount) || 1;
      queues.changeVisibility(
        queue,
        m.receiptHandle,
        Math.min(60, this.o.retryDelaySeconds * count),
      );
    }
  }

  /** Waits for a send to this queue, or for the next message to become visible again. */
  private sleep(): Promise<void> {
    return new Promise((resolve) => {
      const next = this.o.queues.nextVisibleAt(this.o.queue);
      const ms = next === undefined ? 1000 : Math.min(1000, Math.max(5, next - Date.now()));
      this.wake = () => {
        clearTimeout(this.timer);
        this.wake = undefined;
        resolve();
      };
      this.timer = setTimeout(() => this.wake?.(), ms);
    });
  }
}
