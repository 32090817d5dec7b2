import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SSMClient } from '@aws-sdk/client-ssm';

/*
 * Every AWS client replwatch makes. Each is created on first use and kept for the process (a
 * Lambda container reuses it across invocations; a config that never needs a service never
 * builds its client), and its retries follow what the call is for.
 */

/**
 * - `paging`: one attempt; the pager retries a page itself, inside the sample's time, and an SDK
 *   retry underneath would double that wait.
 * - `reading`: one retry; a sample reads state, metrics and secrets within its timeout.
 * - `control`: the SDK's default three attempts; metrics publishes and RDS or Lambda control
 *   calls, which are not on a sample's clock and should land.
 */
export type ClientUse = 'paging' | 'reading' | 'control';

const ATTEMPTS: Record<ClientUse, number> = { paging: 1, reading: 2, control: 3 };

const made = new Map<string, unknown>();
function once<T>(key: string, make: () => T): T {
  if (!made.has(key)) made.set(key, make());
  return made.get(key) as T;
}

export const cloudwatch = (use: ClientUse = 'reading'): CloudWatchClient =>
  once(`cloudwatch:${use}`, () => new CloudWatchClient({ maxAttempts: ATTEMPTS[use] }));

export const dynamodb = (use: ClientUse = 'reading'): DynamoDBClient => once(`dynamodb:${use}`, () => new DynamoDBClient({ maxAttempts: ATTEMPTS[use] }));

export const lambda = (): LambdaClient => once('lambda', () => new LambdaClient({ maxAttempts: ATTEMPTS.control }));

/** The region of a topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME): a topic is published to in its own region, whatever the process's default. */
export const topicRegion = (topicArn: string): string => topicArn.split(':')[3]!;

/** The client that publishes to this topic. `at`: another endpoint that speaks SNS (the game day's local one). */
export function snsFor(topicArn: string, at?: { endpoint: string; accessKeyId: string; secretAccessKey: string }): SNSClient {
  const region = topicRegion(topicArn);
  if (at)
    return once(
      `sns:${region}:${at.endpoint}`,
      () =>
        new SNSClient({
          region,
          endpoint: at.endpoint,
          credentials: { accessKeyId: at.accessKeyId, secretAccessKey: at.secretAccessKey },
          maxAttempts: ATTEMPTS.paging,
        }),
    );
  return once(`sns:${region}`, () => new SNSClient({ region, maxAttempts: ATTEMPTS.paging }));
}

// The clients below load their SDK package on first use: most configs never need them, and
// they are a large part of a function's bundle to parse at every cold start.

export const rds = async (): Promise<RDSClient> => {
  const { RDSClient } = await import('@aws-sdk/client-rds');
  return once('rds', () => new RDSClient({ maxAttempts: ATTEMPTS.control }));
};

/** `paging` (one attempt) for Run Command's SendCommand: a retry after a lost answer would run a host step twice. */
export const ssm = async (use: ClientUse = 'reading'): Promise<SSMClient> => {
  const { SSMClient } = await import('@aws-sdk/client-ssm');
  return once(`ssm:${use}`, () => new SSMClient({ maxAttempts: ATTEMPTS[use] }));
};

export const secretsManager = async (): Promise<SecretsManagerClient> => {
  const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  return once('secretsmanager', () => new SecretsManagerClient({ maxAttempts: ATTEMPTS.reading }));
};
