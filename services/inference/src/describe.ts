import type { Endpoints, ModelRegistry } from '@cancer-mlops/shared/ports/sagemaker.ts';
import { HttpError } from '@cancer-mlops/shared/runtime/httpHandler.ts';
import { NO_MODEL_MESSAGE } from './predict.ts';

/**
 * GET /health (no auth: load balancers and uptime checks call it) says only whether the
 * service answers and whether a model serves. GET /model (authenticated) says which model
 * serves, since when, and how well it did on its validation set.
 */

export interface DescribeDeps {
  endpoints: Pick<Endpoints, 'current'>;
  registry: Pick<ModelRegistry, 'get'>;
}

export interface HealthResponse {
  status: 'ok';
  model_deployed: boolean;
}

export interface ModelResponse {
  version: number;
  package_arn: string;
  endpoint: string;
  deployed_at: string;
  /** The operating threshold chosen at training for high sensitivity; null if not recorded. */
  threshold: number | null;
  metrics: Record<string, number>;
  approval_status: string | null;
  approval_description?: string;
  lineage?: { dataset_id: string; training_job: string; code_version: string };
}

export async function health(deps: DescribeDeps): Promise<HealthResponse> {
  return { status: 'ok', model_deployed: (await deps.endpoints.current()) !== null };
}

export async function describeModel(deps: DescribeDeps): Promise<ModelResponse> {
  const current = await deps.endpoints.current();
  if (current === null) throw new HttpError(503, NO_MODEL_MESSAGE, { reason: 'no-model-deployed' });
  const pkg = await deps.registry.get(current.packageArn);
  const response: ModelResponse = {
    version: current.version,
    package_arn: current.packageArn,
    endpoint: current.endpoint,
    deployed_at: current.deployedAt.toISOString(),
    threshold: typeof pkg?.metrics.threshold === 'number' ? pkg.metrics.threshold : null,
    metrics: pkg?.metrics ?? {},
    approval_status: pkg?.status ?? null,
  };
  if (pkg?.approvalDescription) response.approval_description = pkg.approvalDescription;
  if (pkg) {
    response.lineage = {
      dataset_id: pkg.lineage.datasetId,
      training_job: pkg.lineage.trainingJob,
      code_version: pkg.lineage.codeVersion,
    };
  }
  return response;
}

/** Routes of the describe function, by API Gateway route key (or method and path). */
export async function describeRoute(
  deps: DescribeDeps,
  event: { routeKey: string; rawPath: string; requestContext: { http: { method: string } } },
): Promise<HealthResponse | ModelResponse> {
  const route =
    event.routeKey && event.routeKey !== '$default'
      ? event.routeKey
      : `${event.requestContext.http.method} ${event.rawPath}`;
  if (route === 'GET /health') return health(deps);
  if (route === 'GET /model') return describeModel(deps);
  throw new HttpError(404, `no route ${route.slice(0, 100)}`);
}
