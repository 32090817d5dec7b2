import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretResolver, awsSecretFetcher } from '../../../src/config/secrets';

const ssm = mockClient(SSMClient);
const sm = mockClient(SecretsManagerClient);
afterEach(() => {
  ssm.reset();
  sm.reset();
});

describe('SecretResolver', () => {
  it('passes literals through and reads env: references', async () => {
    const r = new SecretResolver({ DB_PW: 'from-env' });
    expect(await r.resolve('plain')).toBe('plain');
    expect(await r.resolve('env:DB_PW')).toBe('from-env');
    await expect(r.resolve('env:NOPE')).rejects.toThrow('environment variable NOPE is not set (password env:NOPE)');
  });

  it('reads SSM SecureStrings decrypted, once per resolver', async () => {
    ssm.on(GetParameterCommand, { Name: '/replwatch/db', WithDecryption: true }).resolves({ Parameter: { Value: 'from-ssm' } });
    const r = new SecretResolver({}, awsSecretFetcher);
    expect(await r.resolve('ssm:/replwatch/db')).toBe('from-ssm');
    expect(await r.resolve('ssm:/replwatch/db')).toBe('from-ssm');
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    // A new invocation gets a new resolver and so reads a rotated value.
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'rotated' } });
    expect(await new SecretResolver({}, awsSecretFetcher).resolve('ssm:/replwatch/db')).toBe('rotated');
  });

  it("reads Secrets Manager, taking the password field of RDS's JSON secrets", async () => {
    sm.on(GetSecretValueCommand, { SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:rds' }).resolves({
      SecretString: '{"username":"replwatch","password":"from-sm"}',
    });
    sm.on(GetSecretValueCommand, { SecretId: 'plain' }).resolves({ SecretString: 'just-text' });
    const r = new SecretResolver({}, awsSecretFetcher);
    expect(await r.resolve('secret:arn:aws:secretsmanager:us-east-1:123456789012:secret:rds')).toBe('from-sm');
    expect(await r.resolve('secret:plain')).toBe('just-text');
  });

  it('names the reference, never a value, when AWS fails, and retries next time', async () => {
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(new Error('ParameterNotFound'))
      .resolves({ Parameter: { Value: 'v' } });
    const r = new SecretResolver({}, awsSecretFetcher);
    await expect(r.resolve('ssm:/replwatch/missing')).rejects.toThrow('cannot read ssm:/replwatch/missing: ParameterNotFound');
    expect(await r.resolve('ssm:/replwatch/missing')).toBe('v');
  });
});
