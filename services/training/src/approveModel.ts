import { z } from 'zod';
import { EventBridgeEnvelopeSchema } from '@cancer-mlops/shared/contracts/events.ts';
import { rocAuc } from '@cancer-mlops/shared/domain/metrics/index.ts';
import type { ObjectStore } from '@cancer-mlops/shared/ports/objectStore.ts';
import type { ModelPackage, ModelRegistry } from '@cancer-mlops/shared/ports/sagemaker.ts';
import { PermanentError, describeError } from '@cancer-mlops/shared/runtime/errors.ts';
import type { Log } from '@cancer-mlops/shared/runtime/logger.ts';
import { evaluatePolicy, type ChampionComparison, type PolicyDecision } from './approvalPolicy.ts';
import type { TrainingConfig } from './config.ts';
import { ARTIFACTS, validationKey } from './datasetBuilder.ts';
import { readDatasetCsv } from './datasetCsv.ts';
import type { Ledger } from '@cancer-mlops/shared/ledger/ledger.ts';
import { MODELS_PREFIX } from './registerModel.ts';
import { scoreTable, type ModelLoader } from './modelScoring.ts';
import type { MetricsSink } from '@cancer-mlops/shared/ports/stateStore.ts';

/** What arrives on `approvals`: the package-pending rule delivers the whole envelope. */
export const PackageStateChangeMessageSchema = EventBridgeEnvelopeSchema.extend({
  'detail-type': z.literal('SageMaker Model Package State Change'),
  detail: z
    .object({
      ModelPackageArn: z.string().min(1),
      ModelPackageGroupName: z.string().optional(),
      ModelPackageVersion: z.number().int().optional(),
      ModelApprovalStatus: z.enum(['PendingManualApproval', 'Approved', 'Rejected']),
    })
    .passthrough(),
});
export type PackageStateChangeMessage = z.infer<typeof PackageStateChangeMessageSchema>;

export interface ApproveModelDeps {
  registry: ModelRegistry;
  objects: ObjectStore;
  ledger: Ledger;
  config: TrainingConfig;
  loadModel: ModelLoader;
  log?: Log;
  /** Counts decisions by outcome and status (`ApprovalDecisions`). */
  metrics?: MetricsSink;
}

export type ApproveOutcome =
  | { outcome: 'decided'; decision: PolicyDecision }
  | { outcome: 'awaiting-approval'; decision: PolicyDecision }
  | { outcome: 'already-decided'; status: string };

export class UnknownModelPackageError extends PermanentError {
  override readonly name = 'UnknownModelPackageError';
}

/**
 * The approval gate. The candidate's validation metrics against the floors, and its ROC AUC
 * against the serving champion's on the candidate's own validation set. auto mode: Approved
 * or Rejected, the reason in the approval description. manual mode: the package stays
 * PendingManualApproval for a person; the policy's recommendation goes into the ledger.
 */
export async function approveModel(
  deps: ApproveModelDeps,
  message: PackageStateChangeMessage,
): Promise<ApproveOutcome> {
  const result = await decideApproval(deps, message);
  const status = result.outcome === 'already-decided' ? result.status : result.decision.decision;
  deps.metrics?.count('ApprovalDecisions', 1, { outcome: result.outcome, status });
  return result;
}

async function decideApproval(
  deps: ApproveModelDeps,
  message: PackageStateChangeMessage,
): Promise<ApproveOutcome> {
  const arn = message.detail.ModelPackageArn;
  const pkg = await deps.registry.get(arn);
  if (!pkg)
    throw new UnknownModelPackageError(
      `unknown model package ${arn}: the registry has no such package`,
    );
  if (pkg.status !== 'PendingManualApproval')
    return { outcome: 'already-decided', status: pkg.status };

  const champion = await compareWithChampion(deps, pkg);
  const decision = evaluatePolicy(
    {
      version: pkg.version,
      rocAuc: pkg.metrics.roc_auc,
      sensitivity: pkg.metrics.sensitivity,
      threshold: pkg.metrics.threshold,
      validationRows: pkg.metrics.validation_rows,
      validationPositives: pkg.metrics.validation_positives,
    },
    champion,
    {
      minValidationPerClass: deps.config.APPROVAL_MIN_VALIDATION_PER_CLASS,
      minAuc: deps.config.APPROVAL_MIN_AUC,
      minSensitivity: deps.config.APPROVAL_MIN_SENSITIVITY,
      maxAucDrop: deps.config.APPROVAL_MAX_AUC_DROP,
    },
  );
  const details = {
    mode: deps.config.APPROVAL_MODE,
    checks: decision.checks,
    thresholds: {
      min_auc: deps.config.APPROVAL_MIN_AUC,
      min_sensitivity: deps.config.APPROVAL_MIN_SENSITIVITY,
      max_auc_drop: deps.config.APPROVAL_MAX_AUC_DROP,
    },
    champion,
  };

  if (deps.config.APPROVAL_MODE === 'manual') {
    await deps.ledger.append(
      {
        action: 'awaiting-approval',
        version: pkg.version,
        package_arn: pkg.arn,
        actor: 'policy',
        reason: `manual approval required; the policy recommends ${decision.decision === 'Approved' ? 'approval' : 'rejection'}: ${decision.description}`,
        details: { ...details, recommendation: decision.decision },
      },
      `recommendation-v${pkg.version}`,
    );
    return { outcome: 'awaiting-approval', decision };
  }

  // The ledger entry first, keyed by the package: if the update below fails, the retry finds
  // the package still pending and appends nothing twice.
  await deps.ledger.append(
    {
      action: decision.decision === 'Approved' ? 'approved' : 'rejected',
      version: pkg.version,
      package_arn: pkg.arn,
      actor: 'policy',
      reason: decision.description,
      details,
    },
    `decision-v${pkg.version}`,
  );
  await deps.registry.updateApproval(pkg.arn, decision.decision, decision.description);
  deps.log?.info('approval decided', { version: pkg.version, decision: decision.decision });
  return { outcome: 'decided', decision };
}

async function compareWithChampion(
  deps: ApproveModelDeps,
  candidate: ModelPackage,
): Promise<ChampionComparison> {
  const serving = await deps.ledger.serving();
  if (!serving || serving.package_arn === candidate.arn) return { kind: 'none' };
  const champion = await deps.registry.get(serving.package_arn);
  if (!champion)
    return {
      kind: 'unavailable',
      version: serving.version,
      reason: 'the champion is not in the registry',
    };
  try {
    const auc = await championAucOn(deps, champion, candidate);
    return { kind: 'scored', version: champion.version, rocAuc: auc };
  } catch (e) {
    if (
      e instanceof PermanentError ||
      (e instanceof Error && e.name === 'IncompatibleModelError')
    ) {
      return { kind: 'unavailable', version: champion.version, reason: describeError(e) };
    }
    throw e;
  }
}

/** The champion's ROC AUC on the candidate's validation set (the fair comparison). */
async function championAucOn(
  deps: ApproveModelDeps,
  champion: ModelPackage,
  candidate: ModelPackage,
): Promise<number> {
  const folder = `${MODELS_PREFIX}${champion.lineage.trainingJob}/`;
  const files = new Map<string, Buffer>();
  for await (const info of deps.objects.list(ARTIFACTS, folder)) {
    const body = await deps.objects.get(ARTIFACTS, info.key);
    if (body) files.set(info.key.slice(folder.length), body);
  }
  if (files.size === 0) throw new PermanentError(`the champion's model folder ${folder} is empty`);
  const raw = await deps.objects.get(ARTIFACTS, validationKey(candidate.lineage.datasetId));
  if (!raw)
    throw new PermanentError(
      `the candidate's validation set ${candidate.lineage.datasetId} is missing`,
    );
  const table = readDatasetCsv(raw.toString('utf8'));
  const model = deps.loadModel(files);
  return rocAuc(Float64Array.from(table.labels), scoreTable(model, table));
}
