import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { cloudwatch as readingCloudwatch } from '../aws/clients';
import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import type { CommandStyle } from '../model/commands';
import type { Finding } from '../model/findings';
import type { Observation } from '../model/observations';
import { MemcacheChecker } from './memcache';
import { NetworkChecker } from './network';
import { ReplicationChecker } from './replication';
import { sortFindings } from './report';

export interface Sample {
  findings: Finding[];
  observations: Observation[];
}

/** Every kind of check, sampled together (the CLI's view); Lambdas run one kind each. */
export class Checker {
  readonly replication: ReplicationChecker;
  readonly memcache: MemcacheChecker;
  readonly network: NetworkChecker;

  constructor(config: Config, o: { cloudwatch?: () => CloudWatchClient; commands?: CommandStyle } = {}) {
    const cloudwatch = o.cloudwatch ?? (() => readingCloudwatch());
    this.replication = new ReplicationChecker(config, { cloudwatch, ...(o.commands ? { commands: o.commands } : {}) });
    this.memcache = new MemcacheChecker(config);
    this.network = new NetworkChecker(config, cloudwatch);
  }

  async sample(secrets: SecretResolver, options: { confirm?: boolean } = {}): Promise<Sample> {
    const parts = await Promise.all([this.replication.sample(secrets, options), this.memcache.sample(), this.network.sample()]);
    return { findings: sortFindings(parts.flatMap((p) => p.findings)), observations: parts.flatMap((p) => p.observations) };
  }

  async close(): Promise<void> {
    this.memcache.close();
    await this.replication.close();
  }
}
