import { httpHandler } from '@cancer-mlops/shared/runtime/httpHandler.ts';
import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { describeRoute, type DescribeDeps } from '../describe.ts';

/** GET /health (no auth) and GET /model (JWT on AWS, the bearer token locally). */
export const createHandler = (deps: () => Promise<DescribeDeps>) =>
  httpHandler({ service: 'inference', maxBodyBytes: 4096 }, async (req) => ({
    body: await describeRoute(await deps(), req.event),
  }));

export const handler = createHandler(async () => {
  const p = await platform();
  return { endpoints: p.endpoints, registry: p.registry };
});
