import { z } from 'zod';
import { ourEvent, type EventBridgeEnvelope } from '@cancer-mlops/shared/contracts/events.ts';
import type { EventPublisher } from '@cancer-mlops/shared/ports/messaging.ts';
import {
  DeploymentFailedError,
  type DeployedModel,
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

/** The update outlasted the wait: thrown so the invocation is retried, not dropped. */
export class DeploymentInProgressError extends Error {
  override readonly name = 'DeploymentInProgressError';
}

export type DeployOutcome =
  | { outcome: 'deployed'; version: number; previous: number | null }
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
  const promote = async (current: DeployedModel, previous: number | null) => {
    await deps.ledger.append(
      {
        action: 'promoted',
        version: pkg.version,
        package_arn: pkg.arn,
        actor: 'deployer',
        reason: approval,
        serving: pkg.version,
        serving_package_arn: pkg.arn,
        endpoint: current.endpoint,
        details: { previous_version: previous },
      },
      `promoted-v${pkg.version}-${event.id}`,
    );
    await deps.events.publish([
      ourEvent('ModelDeployed', {
        model_version: String(pkg.version),
        model_package_arn: pkg.arn,
        endpoint: current.endpoint,
        previous_version: previous === null ? null : String(previous),
        deployed_at: current.deployedAt.toISOString(),
      }),
    ]);
    deps.log?.info('model deployed', { version: pkg.version, previous });
    return { outcome: 'deployed' as const, version: pkg.version, previous };
  };

  if (before?.packageArn === pkg.arn) {
    // A repeated event (SageMaker may send more than one), or the retry of a deployment that
    // outlasted its wait and has finished since: record and announce it once.
    const recorded = await deps.ledger.serving();
    if (recorded?.package_arn === pkg.arn)
      return { outcome: 'already-serving', version: pkg.version };
    return promote(before, recorded?.version ?? null);
  }

  try {
    const result = await deps.endpoints.deploy(pkg);
    if (result.status === 'InProgress') {
      // Failing the invocation makes Lambda retry it (twice, minutes apart); the retry
      // waits for the same update (the Endpoints port resumes it) and records it.
      throw new DeploymentInProgressError(
        `v${pkg.version} is still being deployed to ${result.current.endpoint} (blue/green); ` +
          'the retry of this event records it once it serves',
      );
    }
    return await promote(result.current, result.previous?.version ?? null);
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
