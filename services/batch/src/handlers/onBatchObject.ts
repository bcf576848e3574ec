import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { onBatchNotification, type BatchDeps } from '../prepareBatch.ts';

/** S3 ObjectCreated in batch-in -> notes scored, rows validated, transform job started. */
export const createHandler = (deps: () => Promise<BatchDeps>) =>
  middy<S3Event, void>().handler(async (event) => {
    await onBatchNotification(await deps(), event);
  });

export const handler = createHandler(async () => {
  const p = await platform();
  return {
    names: p.names,
    objects: p.objects,
    scorer: p.scorer,
    transform: p.transform,
    endpoints: p.endpoints,
    now: p.now,
    metrics: p.metrics,
  };
});
