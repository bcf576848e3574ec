import { z } from 'zod';
import { ourEvent, type EventBridgeEnvelope } from '@cancer-mlops/shared/contracts/events.ts';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import {
  DeploymentFailedError,
  type Endpoints,
  type ModelRegistry,
} from '@cancer-mlops/shared/ports/sagemaker.ts';
import { PermanentError } from '@cancer-mlops/shared/runtime/errors.ts';
import type { Log } from '@cancer-mlops/shared/runtime/logger.ts';
import type { Ledger } from '@cancer-mlops/shared/ledger/ledger.ts';
import type { MetricsSink } from '@cancer-mlops/shared/ports/stateStore.ts';

/** The part of the `SageMaker Model Package State Change` detail we use (it mirrors DescribeModelPackage). */
export const PackageStateChangeSchema = z
  .object({
    ModelPackageArn: z.string().min(1),
    ModelPackageGroupName: z.string().optional(),
    ModelPackageVersion: z.number().int().optional(),
    ModelApprovalStatus: z.enum(['PendingManualApproval', 'Approved', 'Rejected']),
    ApprovalDescription: z.string().optional(),
  })
  .passthrough();
export type PackageStateChange = z.infer<typeof PackageStateChangeSchema>;

export interface DeployModelDeps {
  registry: ModelRegistry;
  endpoints: Endpoints;
  ledger: Ledger;
  events: EventPublisher;
  log?: Log;
  /** Counts deployments by outcome (`Deployments`). */
  metrics?: MetricsSink;
}

export type DeployOutcome =
  | { outcome: 'deployed'; version: number; previous: number | null }
  | { outcome: 'in-progress'; version: number }
  | { outcome: 'already-serving'; version: number }
  | { outcome: 'rolled-back'; version: number; serving: number | null; reason: string }
  | { outcome: 'ignored'; reason: string };

/**
 * Puts an approved package behind the endpoint (the Endpoints port does the blue/green and
 * the health check), records the promotion in the ledger and announces ModelDeployed. When
 * the new model never becomes healthy, the old one keeps serving and the ledger records the
 * rollback with the reason; that is an outcome, not an error, so nothing retries it.
 */
export async function deployModel(
  deps: DeployModelDeps,
  event: EventBridgeEnvelope<PackageStateChange>,
): Promise<DeployOutcome> {
  const result = await deployApproved(deps, event);
  deps.metrics?.count('Deployments', 1, { outcome: result.outcome });
  return result;
}

async function deployApproved(
  deps: DeployModelDeps,
  event: EventBridgeEnvelope<PackageStateChange>,
): Promise<DeployOutcome> {
  const arn = event.detail.ModelPackageArn;
  const pkg = await deps.registry.get(arn);
  if (!pkg)
    throw new PermanentError(`unknown model package ${arn}: the registry has no such package`);
  // Rejected (e.g. rolled back by an operator) since this event was sent: not ours to deploy.
  if (pkg.status !== 'Approved')
    return { outcome: 'ignored', reason: `package v${pkg.version} is ${pkg.status}` };

  const before = await deps.endpoints.current();
  const approval = pkg.approvalDescription ?? 'approved';
  if (before?.packageArn === pkg.arn) {
    // A repeated event (SageMaker may send more than one): only make sure the ledger knows.
    const recorded = await deps.ledger.serving();
    if (recorded?.package_arn === pkg.arn)
      return { outcome: 'already-serving', version: pkg.version };
    await deps.ledger.append(
      {
        action: 'promoted',
        version: pkg.version,
        package_arn: pkg.arn,
        actor: 'deployer',
        reason: approval,
        serving: pkg.version,
        serving_package_arn: pkg.arn,
        endpoint: before.endpoint,
      },
      `promoted-v${pkg.version}-${event.id}`,
    );
    return { outcome: 'already-serving', version: pkg.version };
  }

  try {
    const result = await deps.endpoints.deploy(pkg);
    if (result.status === 'InProgress') {
      deps.log?.info('deployment still in progress', {
        version: pkg.version,
        endpoint: result.current.endpoint,
      });
      return { outcome: 'in-progress', version: pkg.version };
    }
    const previous = result.previous?.version ?? null;
    await deps.ledger.append(
      {
        action: 'promoted',
        version: pkg.version,
        package_arn: pkg.arn,
        actor: 'deployer',
        reason: approval,
        serving: pkg.version,
        serving_package_arn: pkg.arn,
        endpoint: result.current.endpoint,
        details: { previous_version: previous },
      },
      `promoted-v${pkg.version}-${event.id}`,
    );
    await deps.events.publish([
      ourEvent('ModelDeployed', {
        model_version: String(pkg.version),
        model_package_arn: pkg.arn,
        endpoint: result.current.endpoint,
        previous_version: previous === null ? null : String(previous),
        deployed_at: result.current.deployedAt.toISOString(),
      }),
    ]);
    deps.log?.info('model deployed', { version: pkg.version, previous });
    return { outcome: 'deployed', version: pkg.version, previous };
  } catch (e) {
    if (!(e instanceof DeploymentFailedError)) throw e;
    const serving = e.previous;
    await deps.ledger.append(
      {
        action: 'rolled-back',
        version: pkg.version,
        package_arn: pkg.arn,
        actor: 'deployer',
        reason: `deployment of v${pkg.version} failed, ${serving ? `v${serving.version} keeps serving` : 'nothing serves'}: ${e.message}`,
        serving: serving?.version ?? null,
        serving_package_arn: serving?.packageArn ?? null,
        ...(serving ? { endpoint: serving.endpoint } : {}),
        details: { automatic: true },
      },
      `rolled-back-v${pkg.version}-${event.id}`,
    );
    deps.log?.warn('deployment failed; previous model keeps serving', {
      version: pkg.version,
      serving: serving?.version ?? null,
    });
    return {
      outcome: 'rolled-back',
      version: pkg.version,
      serving: serving?.version ?? null,
      reason: e.message,
    };
  }
}
