import type { NameContext } from './names.ts';
import { resourceName } from './names.ts';

/** The model package group every training registers into and every deployment reads. */
export const MODEL_PACKAGE_GROUP = 'cancer-prediction';

/** SQS rule: the visibility timeout must cover six function timeouts (AWS's guidance). */
export const visibilityFor = (functionTimeoutSeconds: number) => functionTimeoutSeconds * 6;

/** Names of SageMaker jobs this deployment starts, so rules match only ours. */
export const jobPrefix = (ctx: NameContext) => resourceName(ctx, '');
