import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretStore } from '../ports/stateStore.ts';
import { resourceName, type NameContext } from '../topology/names.ts';
import { isAwsError } from './awsErrors.ts';

export class SecretNotFoundError extends Error {
  override readonly name = 'SecretNotFoundError';
}

export interface SecretsManagerStoreOptions {
  /** How long a value is reused before it is read again (rotation); 15 minutes default. */
  ttlMs?: number;
  now?: () => number;
}

/**
 * Secrets Manager, by logical name (`pseudonym-key` -> `<prefix>-<stage>-pseudonym-key`).
 * Values are cached per container so a batch of thousands of rows costs one call; nothing is
 * ever created here: the operator creates the secret (docs/OPERATIONS.md), and a missing one
 * is a clear error, never a silently generated key that would change every pseudonym.
 */
export function buildSecretsManagerStore(
  client: SecretsManagerClient,
  names: NameContext,
  options: SecretsManagerStoreOptions = {},
): SecretStore {
  const ttl = options.ttlMs ?? 15 * 60 * 1000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { value: Promise<string>; at: number }>();

  const read = async (name: string): Promise<string> => {
    const id = resourceName(names, name);
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: id }));
      if (out.SecretString !== undefined) return out.SecretString;
      if (out.SecretBinary) return Buffer.from(out.SecretBinary).toString('base64');
      throw new SecretNotFoundError(`secret ${id} has no value`);
    } catch (e) {
      if (isAwsError(e, ['ResourceNotFoundException'])) {
        throw new SecretNotFoundError(
          `secret ${id} does not exist: create it before deploying (see docs)`,
        );
      }
      throw e;
    }
  };

  return {
    async getSecret(name) {
      const hit = cache.get(name);
      if (hit && now() - hit.at < ttl) return hit.value;
      const value = read(name);
      cache.set(name, { value, at: now() });
      value.catch(() => {
        if (cache.get(name)?.value === value) cache.delete(name);
      });
      return value;
    },
  };
}
