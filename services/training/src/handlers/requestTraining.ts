import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import { sqsConsumer } from '@cancer-mlops/shared/runtime/sqsConsumer.ts';
import {
  requestTraining,
  TrainingTriggerSchema,
  type RequestTrainingDeps,
} from '../requestTraining.ts';
import { requestTrainingDeps } from '../wiring.ts';

/** SQS `training-requests`: a TrainingRequest, or a RetrainingRequested / FeaturesWritten envelope. */
export const createHandler = (deps: () => Promise<RequestTrainingDeps>) =>
  sqsConsumer({ service: 'training', schema: TrainingTriggerSchema }, async (message) => {
    await requestTraining(await deps(), message);
  });

export const handler = createHandler(async () => requestTrainingDeps(await platform()));
