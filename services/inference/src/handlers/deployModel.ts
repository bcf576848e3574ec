import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { eventConsumer } from '@cancer-mlops/shared/runtime/eventConsumer.ts';
import { createLogger } from '@cancer-mlops/shared/runtime/logger.ts';
import { createLedger } from '@cancer-mlops/shared/ledger/ledger.ts';
import { deployModel, PackageStateChangeSchema, type DeployModelDeps } from '../deployModel.ts';

/** EventBridge (default bus): `SageMaker Model Package State Change` to Approved. */
export const createHandler = (deps: () => Promise<DeployModelDeps>) =>
  eventConsumer(
    {
      service: 'inference',
      detailTypes: ['SageMaker Model Package State Change'],
      detail: PackageStateChangeSchema,
    },
    async (event) => deployModel(await deps(), event),
  );

const log = createLogger('inference');
export const handler = createHandler(async () => {
  const p = await platform();
  return {
    registry: p.registry,
    endpoints: p.endpoints,
    ledger: createLedger(p.objects, p.now),
    events: p.events,
    log,
    metrics: p.metrics,
  };
});
