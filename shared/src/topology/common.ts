import type { NameContext } from './names.ts';
import { resourceName } from './names.ts';

/**
 * The model package group this deployment's trainings register into and its deployments
 * read: one per prefix and stage, since the approval and deployment rules match on the
 * group's name and a group shared by stages would let a dev approval deploy into prod.
 */
export const modelPackageGroup = (ctx: NameContext) => resourceName(ctx, 'cancer-prediction');

/** SQS rule: the visibility timeout must cover six function timeouts (AWS's guidance). */
export const visibilityFor = (functionTimeoutSeconds: number) => functionTimeoutSeconds * 6;

/** Names of SageMaker jobs this deployment starts, so rules match only ours. */
export const jobPrefix = (ctx: NameContext) => resourceName(ctx, '');
