import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

let shared: CloudWatchClient | undefined;

/** Created on first use: a config without AWS Network Monitor probes or Aurora readers never builds a client. */
export const lazyCloudwatch = (): CloudWatchClient => (shared ??= new CloudWatchClient({ maxAttempts: 2 }));
