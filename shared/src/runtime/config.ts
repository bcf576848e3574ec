import { z } from 'zod';

/** A configuration problem, listing every missing or invalid variable at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/**
 * Reads a config object from the environment through a zod schema of env-var names; every
 * problem is reported together so an operator fixes them in one go, not one per deploy.
 */
export function readConfig<S extends z.ZodObject<z.ZodRawShape>>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') picked[key] = v;
  }
  const result = schema.safeParse(picked);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** Variables every function has. */
export const CommonConfigSchema = z.object({
  MLOPS_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9-]{1,20}$/, 'lowercase letters, digits and dashes')
    .default('cancer-mlops'),
  MLOPS_STAGE: z
    .string()
    .regex(/^[a-z][a-z0-9]{0,9}$/, 'lowercase letters and digits, at most 10')
    .default('dev'),
  AWS_REGION: z.string().default('us-east-1'),
});
export type CommonConfig = z.infer<typeof CommonConfigSchema>;
