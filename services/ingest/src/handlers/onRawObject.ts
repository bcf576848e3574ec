import middy from '@middy/core';
import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { ingestNotification, type IngestDeps } from '../ingestObject.ts';

/** S3 ObjectCreated under raw/incoming/ -> validated, pseudonymised rows on notes-to-score. */
export const createHandler = (deps: () => Promise<IngestDeps>) =>
  middy<unknown, void>().handler(async (event) => {
    await ingestNotification(await deps(), event);
  });

export const handler = createHandler(async () => {
  const p = await platform();
  return {
    names: p.names,
    objects: p.objects,
    queues: p.queues,
    events: p.events,
    state: p.state,
    secrets: p.secrets,
    metrics: p.metrics,
    now: p.now,
  };
});
