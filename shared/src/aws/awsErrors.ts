/**
 * The SDK's service exceptions carry the error code in `name` and the HTTP status in
 * `$metadata`; S3 sometimes has only the status (HEAD responses have no body to name them).
 */
export function awsErrorName(e: unknown): string | undefined {
  return e instanceof Error ? e.name : undefined;
}

export function awsStatus(e: unknown): number | undefined {
  const meta = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return meta?.httpStatusCode;
}

export function isAwsError(e: unknown, names: readonly string[], status?: number): boolean {
  const name = awsErrorName(e);
  return (
    (name !== undefined && names.includes(name)) ||
    (status !== undefined && awsStatus(e) === status)
  );
}

/** Splits `items` into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
