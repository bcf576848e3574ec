import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { eventConsumer } from '@cancer-mlops/shared/runtime/eventConsumer.ts';
import {
  registerModel,
  TrainingJobStateChangeSchema,
  type RegisterModelDeps,
} from '../registerModel.ts';
import { registerModelDeps } from '../wiring.ts';

/** EventBridge (default bus): `SageMaker Training Job State Change`, Completed / Failed / Stopped. */
export const createHandler = (deps: () => Promise<RegisterModelDeps>) =>
  eventConsumer(
    {
      service: 'training',
      detailTypes: ['SageMaker Training Job State Change'],
      detail: TrainingJobStateChangeSchema,
    },
    async (event) => registerModel(await deps(), event),
  );

export const handler = createHandler(async () => registerModelDeps(await platform()));
