import { WDBC_FEATURE_GROUP } from '@cancer-mlops/shared/contracts/featureGroup.ts';
import { createLogger } from '@cancer-mlops/shared/runtime/logger.ts';
import type { Platform } from '@cancer-mlops/shared/runtime/platform.ts';
import type { ApproveModelDeps } from './approveModel.ts';
import { readTrainingConfig, type TrainingConfig } from './config.ts';
import { loadForestModel } from './forestModel.ts';
import { createLedger } from '@cancer-mlops/shared/ledger/ledger.ts';
import type { RegisterModelDeps } from './registerModel.ts';
import type { RequestTrainingDeps } from './requestTraining.ts';

/** The training service's wiring: ports from the platform, config from the environment (read once). */
let config: TrainingConfig | undefined;
const trainingConfig = () => (config ??= readTrainingConfig());
const log = createLogger('training');

export const requestTrainingDeps = (p: Platform): RequestTrainingDeps => ({
  features: p.features,
  objects: p.objects,
  state: p.state,
  training: p.training,
  events: p.events,
  names: p.names,
  group: WDBC_FEATURE_GROUP,
  config: trainingConfig(),
  now: p.now,
  log,
  metrics: p.metrics,
});

export const registerModelDeps = (p: Platform): RegisterModelDeps => ({
  objects: p.objects,
  state: p.state,
  registry: p.registry,
  events: p.events,
  names: p.names,
  group: WDBC_FEATURE_GROUP,
  config: trainingConfig(),
  loadModel: loadForestModel,
  now: p.now,
  log,
  metrics: p.metrics,
});

export const approveModelDeps = (p: Platform): ApproveModelDeps => ({
  registry: p.registry,
  objects: p.objects,
  ledger: createLedger(p.objects, p.now),
  config: trainingConfig(),
  loadModel: loadForestModel,
  log,
  metrics: p.metrics,
});
