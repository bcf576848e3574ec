/**
 * Physical names are derived, never looked up, so a service can deploy on its own and still
 * find the queues and buckets of another: `<prefix>-<stage>-<logical>`.
 */
export interface NameContext {
  prefix: string;
  stage: string;
}

export const DEFAULT_PREFIX = 'cancer-mlops';

export function resourceName(ctx: NameContext, logical: string): string {
  return `${ctx.prefix}-${ctx.stage}-${logical}`;
}

export const busName = (ctx: NameContext) => resourceName(ctx, 'bus');
export const queueName = (ctx: NameContext, logical: string) => resourceName(ctx, logical);
export const dlqName = (ctx: NameContext, logical: string) => resourceName(ctx, `${logical}-dlq`);
export const bucketName = (ctx: NameContext, logical: string) => resourceName(ctx, logical);
export const functionName = (ctx: NameContext, service: string, fn: string) =>
  resourceName(ctx, `${service}-${fn}`);

/** Inverse of resourceName for this context, or undefined when the name is not ours. */
export function logicalName(ctx: NameContext, physical: string): string | undefined {
  const head = `${ctx.prefix}-${ctx.stage}-`;
  return physical.startsWith(head) ? physical.slice(head.length) : undefined;
}
