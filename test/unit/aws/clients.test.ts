import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cloudwatch, dynamodb, lambda, rds, secretsManager, snsFor, ssm } from '../../../src/aws/clients';

const root = join(__dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('AWS clients: one place, one retry policy per use', () => {
  it('gives the same client for the same use, a different one for another use', () => {
    expect(cloudwatch('reading')).toBe(cloudwatch('reading'));
    expect(cloudwatch('control')).not.toBe(cloudwatch('reading'));
    expect(dynamodb()).toBe(dynamodb('reading'));
    expect(lambda()).toBe(lambda());
  });

  it('retries by use: a page is tried once (the pager retries it), reads twice, control calls three times', async () => {
    expect(await snsFor('arn:aws:sns:eu-west-1:123456789012:pages').config.maxAttempts()).toBe(1);
    expect(await cloudwatch('reading').config.maxAttempts()).toBe(2);
    expect(await cloudwatch('control').config.maxAttempts()).toBe(3);
    expect(await (await ssm()).config.maxAttempts()).toBe(2);
    expect(await (await secretsManager()).config.maxAttempts()).toBe(2);
    expect(await (await rds()).config.maxAttempts()).toBe(3);
  });

  it('publishes to a topic in the topic’s own region, whatever AWS_REGION says', async () => {
    expect(await snsFor('arn:aws:sns:ap-southeast-2:123456789012:pages').config.region()).toBe('ap-southeast-2');
    expect(snsFor('arn:aws:sns:ap-southeast-2:123456789012:pages')).not.toBe(snsFor('arn:aws:sns:eu-west-1:123456789012:pages'));
  });

  it('is the only place in src/ and functions/ that constructs an AWS SDK client', () => {
    const constructing = [...sources(join(root, 'src')), ...sources(join(root, 'functions'))]
      .filter((file) => !file.startsWith(join(root, 'src/aws/')))
      .filter((file) => /new \w+Client\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(constructing).toEqual([]);
  });
});
