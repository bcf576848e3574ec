import { sqsConsumer } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import {
  DriftDetectedEnvelopeSchema,
  reactToDrift,
  reactToDriftDeps,
  type ReactToDriftDeps,
} from '../reactToDrift.ts';

/** monitor.reactToDrift, on SQS `drift-reactions` (EventBridge envelopes of DriftDetected). */
export const createHandler = (deps: () => Promise<ReactToDriftDeps>) =>
  sqsConsumer({ service: 'monitor', schema: DriftDetectedEnvelopeSchema }, async (envelope) => {
    await reactToDrift(await deps(), envelope);
  });

export const handler = createHandler(async () => reactToDriftDeps(await platform()));
