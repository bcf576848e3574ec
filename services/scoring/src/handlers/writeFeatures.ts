import type { SQSEvent } from 'aws-lambda';
import { FeatureWriteMessageSchema } from '@cancer-mlops/shared/contracts/messages.ts';
import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { sqsConsumer } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import {
  BatchTally,
  reportWrites,
  writeFeature,
  type WriteFeaturesDeps,
} from '../writeFeatures.ts';

/** SQS feature-writes -> the feature store; one FeaturesWritten event per batch. */
export const createHandler = (deps: () => Promise<WriteFeaturesDeps>) => {
  const tally = new BatchTally();
  return sqsConsumer(
    { service: 'scoring', schema: FeatureWriteMessageSchema, concurrency: 5 },
    async (message, record) => {
      tally.add(record, await writeFeature(await deps(), message));
    },
  )
    .before(({ event }: { event: SQSEvent }) => tally.open(event))
    .after(async ({ event }: { event: SQSEvent }) => reportWrites(await deps(), tally.take(event)));
};

export const handler = createHandler(async () => {
  const p = await platform();
  return { features: p.features, events: p.events, metrics: p.metrics };
});
