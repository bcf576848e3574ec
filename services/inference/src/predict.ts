import { randomUUID } from 'node:crypto';
import type { Evidence } from '@cancer-mlops/shared/contracts/record.ts';
import { hasReplacementChar } from '@cancer-mlops/shared/domain/csv/encoding.ts';
import {
  modelInputValidator,
  type ModelInputValidator,
  type ValidInput,
} from '@cancer-mlops/shared/domain/validation/modelInput.ts';
import type { NoteScorer } from '@cancer-mlops/shared/ports/noteScorer.ts';
import {
  InvalidScorerAnswerError,
  RetryableScorerError,
} from '@cancer-mlops/shared/ports/noteScorer.ts';
import {
  ModelInvocationError,
  NoEndpointError,
  type DeployedModel,
  type Endpoints,
  type ModelRegistry,
} from '@cancer-mlops/shared/ports/sagemaker.ts';
import { HttpError } from '@cancer-mlops/shared/runtime/httpHandler.ts';
import { ModelOutputError, parseModelOutput, type ModelPrediction } from './predictOutput.ts';
import type { MetricsSink } from '@cancer-mlops/shared/ports/stateStore.ts';

/**
 * POST /predict: validate the measurements, turn a pathology note into a risk score (or take
 * the one given), ask the deployed model, and answer with the class, the calibrated
 * probability, the threshold, the model that answered and why.
 *
 * The model is invoked with `{"instances":[{<feature>: <number>, …}]}` as application/json:
 * exactly the model features, so the endpoint's data capture (SageMaker's on AWS, the local
 * endpoint's locally) records the same thing in both modes and never a note or a patient id.
 */

export interface PredictDeps {
  endpoints: Pick<Endpoints, 'invoke' | 'current'>;
  scorer: NoteScorer;
  /**
   * Where the threshold comes from when the container's answer does not state it: the
   * package's `threshold` metric, read once per deployed package.
   */
  registry?: Pick<ModelRegistry, 'get'>;
  /** Counts answers by class (`Predictions`) and refusals by status (`PredictionErrors`). */
  metrics?: MetricsSink;
}

export interface PredictOptions {
  /** How long the deployed model's identity is reused before asking again. */
  currentTtlMs?: number;
  /** How many contributions the answer lists. */
  topContributions?: number;
  /**
   * How long the model may take before the answer is a retryable 503: well under the
   * function's 29 s, so a hung model server never turns into a gateway timeout.
   */
  invokeTimeoutMs?: number;
  newId?: () => string;
  clock?: () => number;
}

export interface Contribution {
  feature: string;
  value: number;
  contribution: number;
}

export interface RiskScore {
  value: number;
  /** `provided` by the caller, or `note`: scored from the pathology note by `scorer`. */
  source: 'provided' | 'note';
  scorer?: string;
  evidence: Evidence[];
}

export interface PredictResponse {
  inference_id: string;
  record_id?: string;
  prediction: 'malignant' | 'benign';
  probability_malignant: number;
  /** The operating threshold the class was decided at (null only if neither model nor registry says). */
  threshold: number | null;
  model: { version: number; package_arn: string };
  risk_score: RiskScore;
  top_contributions: Contribution[];
  latency_ms: number;
}

export const NO_MODEL_MESSAGE =
  'no model is deployed yet: train and approve one first (the endpoint has nothing to serve)';

export const ENDPOINT_DOWN_MESSAGE =
  'the deployed model is not answering right now (its server is restarting); retry in a few seconds';

/**
 * Takes a reader of the parsed body rather than the body, so a body that is not JSON at all
 * fails inside the predictor and is counted with the other refusals.
 */
export type Predictor = (readBody: () => unknown) => Promise<PredictResponse>;

/** A /predict body above this is refused with 413 before it is parsed. */
export const MAX_PREDICT_BODY_BYTES = 1_048_576;

/** Why a note holding U+FFFD (a byte that was not UTF-8) is refused. */
export const NOT_UTF8_NOTE =
  'not UTF-8 text (a byte read as \uFFFD): send the request body as UTF-8 (Content-Type: application/json; charset=utf-8)';

/**
 * The predictor, built once on first use from the (once-built) ports; a failed build is
 * retried on the next request instead of being cached.
 */
export function lazyPredictor(
  deps: () => Promise<PredictDeps>,
  options: PredictOptions = {},
): () => Promise<Predictor> {
  let built: Promise<Predictor> | undefined;
  return () => {
    built ??= deps().then(
      (d) => createPredictor(d, options),
      (e: unknown) => {
        built = undefined;
        throw e;
      },
    );
    return built;
  };
}

/** The request body as the model sees it: the features in model order as one JSON instance. */
export function instancesBody(validator: ModelInputValidator, values: Float64Array): string {
  const names = validator.featureNames;
  let out = '{"instances":[{';
  for (let i = 0; i < names.length; i++) {
    out += `${i === 0 ? '' : ','}"${names[i]}":${values[i]}`;
  }
  return `${out}}]}`;
}

export function createPredictor(deps: PredictDeps, options: PredictOptions = {}): Predictor {
  const validator = modelInputValidator();
  const ttl = options.currentTtlMs ?? 1000;
  const top = options.topContributions ?? 5;
  const invokeTimeoutMs = options.invokeTimeoutMs ?? 10_000;
  const newId = options.newId ?? randomUUID;
  const clock = options.clock ?? (() => performance.now());
  let cached: { model: DeployedModel | null; at: number } | undefined;
  const thresholds = new Map<string, Promise<number | null>>();
  const registryThreshold = (arn: string): Promise<number | null> => {
    let t = thresholds.get(arn);
    if (t === undefined) {
      const registry = deps.registry;
      t = registry
        ? registry.get(arn).then(
            (pkg) => (typeof pkg?.metrics.threshold === 'number' ? pkg.metrics.threshold : null),
            () => {
              thresholds.delete(arn);
              return null;
            },
          )
        : Promise.resolve(null);
      thresholds.set(arn, t);
    }
    return t;
  };

  const deployed = async (): Promise<DeployedModel> => {
    const t = clock();
    if (cached === undefined || t - cached.at > ttl)
      cached = { model: await deps.endpoints.current(), at: t };
    if (cached.model === null)
      throw new HttpError(503, NO_MODEL_MESSAGE, { reason: 'no-model-deployed' });
    return cached.model;
  };

  const riskScore = async (input: ValidInput): Promise<RiskScore> => {
    if (input.note === undefined)
      return { value: input.score as number, source: 'provided', evidence: [] };
    try {
      const s = await deps.scorer.score(input.note);
      return {
        value: s.malignancy_risk_score,
        source: 'note',
        scorer: s.scorer_id,
        evidence: s.evidence,
      };
    } catch (e) {
      if (e instanceof RetryableScorerError) {
        throw new HttpError(
          503,
          'the note scorer is unavailable; retry, or send a malignancy_risk_score instead',
          {
            reason: 'scorer-unavailable',
          },
        );
      }
      if (e instanceof InvalidScorerAnswerError) {
        throw new HttpError(
          502,
          'the note scorer gave no valid score; send a malignancy_risk_score instead',
          {
            reason: 'scorer-invalid-answer',
          },
        );
      }
      // A scorer's own message may quote the note; only the error's kind goes on to the log.
      throw new Error(`note scoring failed (${e instanceof Error ? e.name : typeof e})`);
    }
  };

  const predictOne = async (body: unknown): Promise<PredictResponse> => {
    const started = clock();
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpError(400, 'request body must be a JSON object of measurements');
    }
    const verdict = validator.validateObject(body as Record<string, unknown>, {
      unknownKeys: 'reject',
      numericStrings: false,
    });
    if (!verdict.ok) {
      throw new HttpError(400, `invalid request: ${verdict.issues.length} field(s) rejected`, {
        errors: verdict.issues,
      });
    }
    const input = verdict.input;
    // Bytes that were not UTF-8 arrive as U+FFFD: a garbled note is refused, not scored (as
    // batch and ingest refuse one).
    if (input.note !== undefined && hasReplacementChar(input.note)) {
      throw new HttpError(400, 'invalid request: 1 field(s) rejected', {
        errors: [{ field: 'pathology_note', reason: NOT_UTF8_NOTE }],
      });
    }
    // Fail fast, before spending a scorer call, when nothing can answer.
    const model = await deployed();
    const score = await riskScore(input);
    input.values[validator.scoreSlot] = score.value;

    const inferenceId = newId();
    let prediction: ModelPrediction;
    try {
      const result = await withDeadline(
        deps.endpoints.invoke(
          instancesBody(validator, input.values),
          'application/json',
          'application/json',
          {
            inferenceId,
            explain: true,
          },
        ),
        invokeTimeoutMs,
      );
      prediction = parseModelOutput(result.body, validator.featureNames);
    } catch (e) {
      if (e instanceof DeadlineError) {
        throw new HttpError(
          503,
          `the deployed model did not answer within ${invokeTimeoutMs / 1000} s; retry in a few seconds`,
          { reason: 'endpoint-unavailable' },
        );
      }
      if (e instanceof NoEndpointError) {
        cached = undefined;
        // Still deployed: its server is down for a moment (a crash, a restart). Say so.
        if ((await deps.endpoints.current().catch(() => null)) !== null) {
          throw new HttpError(503, ENDPOINT_DOWN_MESSAGE, { reason: 'endpoint-unavailable' });
        }
        throw new HttpError(503, NO_MODEL_MESSAGE, { reason: 'no-model-deployed' });
      }
      if (e instanceof ModelOutputError) {
        throw new HttpError(502, 'the model answered with something unreadable', {
          reason: 'model-error',
        });
      }
      if (e instanceof ModelInvocationError) {
        throw new HttpError(502, 'the model could not score this request', {
          reason: 'model-error',
          model_status: e.statusCode,
        });
      }
      throw e;
    }

    const response: PredictResponse = {
      inference_id: inferenceId,
      prediction: prediction.label,
      probability_malignant: prediction.probability,
      threshold: prediction.threshold ?? (await registryThreshold(model.packageArn)),
      model: { version: model.version, package_arn: model.packageArn },
      risk_score: score,
      top_contributions: topContributions(
        validator.featureNames,
        input.values,
        prediction.contributions,
        top,
      ),
      latency_ms: Math.round((clock() - started) * 1000) / 1000,
    };
    if (input.recordId !== undefined) response.record_id = input.recordId;
    return response;
  };

  const metrics = deps.metrics;
  if (!metrics) return async (readBody) => predictOne(readBody());
  return async (readBody) => {
    try {
      const response = await predictOne(readBody());
      metrics.count('Predictions', 1, { prediction: response.prediction });
      return response;
    } catch (e) {
      metrics.count('PredictionErrors', 1, {
        status: String(e instanceof HttpError ? e.statusCode : 500),
      });
      throw e;
    }
  };
}

/** The `k` largest contributions by magnitude, largest first. */
export function topContributions(
  names: readonly string[],
  values: Float64Array,
  contributions: Float64Array | undefined,
  k: number,
): Contribution[] {
  if (contributions === undefined) return [];
  const order = Array.from(contributions.keys()).sort(
    (a, b) => Math.abs(contributions[b]) - Math.abs(contributions[a]),
  );
  return order
    .slice(0, k)
    .map((i) => ({ feature: names[i], value: values[i], contribution: contributions[i] }));
}

class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** `work`, or a DeadlineError after `ms` (the work itself is left to finish or fail unseen). */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
