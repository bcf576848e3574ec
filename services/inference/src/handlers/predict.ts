import { httpHandler } from '@cancer-mlops/shared/runtime/httpHandler.ts';
import { platform } from '@cancer-mlops/shared/runtime/platform.ts';
import {
  lazyPredictor,
  MAX_PREDICT_BODY_BYTES,
  type PredictDeps,
  type PredictOptions,
} from '../predict.ts';

/** POST /predict (JWT on AWS, the bearer token locally: the gateway answers 401 before this). */
export const createHandler = (deps: () => Promise<PredictDeps>, options: PredictOptions = {}) => {
  const predictor = lazyPredictor(deps, options);
  return httpHandler(
    { service: 'inference', maxBodyBytes: MAX_PREDICT_BODY_BYTES },
    async (req) => ({
      body: await (await predictor())(req.json),
    }),
  );
};

export const handler = createHandler(async () => {
  const p = await platform();
  return { endpoints: p.endpoints, scorer: p.scorer, registry: p.registry, metrics: p.metrics };
});
