import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { buildSecretsManagerStore, SecretNotFoundError } from './secretStore.ts';

const names = { prefix: 'cancer-mlops', stage: 'test' };

describe('Adapter: buildSecretsManagerStore', () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());

  describe('Method: getSecret', () => {
    it('reads the physical secret once and reuses it within the TTL', async () => {
      // Prepare
      sm.on(GetSecretValueCommand).resolves({ SecretString: 'k3y' });
      let t = 0;
      const store = buildSecretsManagerStore(
        new SecretsManagerClient({ region: 'us-east-1' }),
        names,
        { ttlMs: 1000, now: () => t },
      );
      // Act
      const a = await store.getSecret('pseudonym-key');
      const b = await store.getSecret('pseudonym-key');
      t = 2000;
      await store.getSecret('pseudonym-key');
      // Assess
      expect([a, b]).toEqual(['k3y', 'k3y']);
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({
        SecretId: 'cancer-mlops-test-pseudonym-key',
      });
    });

    it('base64-encodes a binary secret', async () => {
      sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
      const store = buildSecretsManagerStore(
        new SecretsManagerClient({ region: 'us-east-1' }),
        names,
      );
      await expect(store.getSecret('pseudonym-key')).resolves.toBe('AQID');
    });

    it('says which secret is missing and never generates one', async () => {
      sm.on(GetSecretValueCommand).rejects(
        new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
      );
      const store = buildSecretsManagerStore(
        new SecretsManagerClient({ region: 'us-east-1' }),
        names,
      );
      const err = await store.getSecret('pseudonym-key').catch((e: Error) => e);
      expect(err).toBeInstanceOf(SecretNotFoundError);
      expect((err as Error).message).toContain('cancer-mlops-test-pseudonym-key does not exist');
    });

    it('does not cache a failure', async () => {
      sm.on(GetSecretValueCommand)
        .rejectsOnce(new Error('network'))
        .resolves({ SecretString: 'k' });
      const store = buildSecretsManagerStore(
        new SecretsManagerClient({ region: 'us-east-1' }),
        names,
      );
      await expect(store.getSecret('pseudonym-key')).rejects.toThrow('network');
      await expect(store.getSecret('pseudonym-key')).resolves.toBe('k');
    });
  });
});
