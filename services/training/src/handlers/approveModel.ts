import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { sqsConsumer } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import {
  approveModel,
  PackageStateChangeMessageSchema,
  type ApproveModelDeps,
} from '../approveModel.ts';
import { approveModelDeps } from '../wiring.ts';

/** SQS `approvals`: the `SageMaker Model Package State Change` envelope of a pending package. */
export const createHandler = (deps: () => Promise<ApproveModelDeps>) =>
  sqsConsumer({ service: 'training', schema: PackageStateChangeMessageSchema }, async (message) => {
    await approveModel(await deps(), message);
  });

export const handler = createHandler(async () => approveModelDeps(await platform()));
