import { eventConsumer } from '@cancer-mlops/shared/runtime/eventConsumer.ts';
import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import {
  completeBatch,
  TransformJobStateChangeDetailSchema,
  type CompleteDeps,
} from '../completeBatch.ts';

/** SageMaker Transform Job State Change -> `<name>.out`, summary, BatchCompleted. */
export const createHandler = (deps: () => Promise<CompleteDeps>) =>
  eventConsumer(
    {
      service: 'batch',
      detailTypes: ['SageMaker Transform Job State Change'],
      detail: TransformJobStateChangeDetailSchema,
    },
    async (event) => {
      await completeBatch(await deps(), event.detail);
    },
  );

export const handler = createHandler(async () => {
  const p = await platform();
  return { objects: p.objects, events: p.events, now: p.now, metrics: p.metrics };
});
