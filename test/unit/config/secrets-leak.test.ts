import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretResolver, awsSecretFetcher } from '../../../src/config/secrets';

const sm = mockClient(SecretsManagerClient);
afterEach(() => sm.reset());

describe('a Secrets Manager secret that only looks like JSON', () => {
  it('is the password as written, and never surfaces in an error', async () => {
    // JSON.parse's error for this quotes the text: it used to end up in "cannot read secret:...".
    const secret = '{"a": hunter2-Zq9}';
    sm.on(GetSecretValueCommand, { SecretId: 'db' }).resolves({ SecretString: secret });
    expect(await new SecretResolver({}, awsSecretFetcher).resolve('secret:db')).toBe(secret);
  });

  it("still takes the password field of RDS's JSON secrets", async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'rds' }).resolves({ SecretString: ' {"username":"u","password":"from-sm"}' });
    expect(await new SecretResolver({}, awsSecretFetcher).resolve('secret:rds')).toBe('from-sm');
  });
});
