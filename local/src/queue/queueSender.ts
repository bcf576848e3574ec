import type { QueueSender } from '@cancer-mlops/shared/ports/messaging.ts';
import type { NameContext } from '@cancer-mlops/shared/topology/names.ts';
import { queueName } from '@cancer-mlops/shared/topology/names.ts';
import type { LocalQueues } from './localQueues.ts';

/**
 * The QueueSender port on the local queues: logical queue name to physical, each message
 * as a JSON body, all of one call in one transaction (SQS adapters batch by 10; locally
 * there is no limit to respect).
 */
export function localQueueSender(queues: LocalQueues, names: NameContext): QueueSender {
  return {
    async send(queue, messages) {
      if (messages.length === 0) return;
      queues.send(
        queueName(names, queue),
        messages.map((m) => JSON.stringify(m)),
      );
    },
  };
}
