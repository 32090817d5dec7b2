import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import { ReplicationChecker } from './replication';
import { sortFindings, type CheckReport } from './report';

/** `replwatch check`: every check once, lag confirmed over its sustained window. */
export async function runCheck(config: Config, secrets: SecretResolver, now: () => Date = () => new Date()): Promise<CheckReport> {
  const checkedAt = now().toISOString();
  const replication = new ReplicationChecker(config);
  try {
    const sample = await replication.sample(secrets, { confirm: true });
    return { checkedAt, findings: sortFindings(sample.findings), observations: sample.observations };
  } finally {
    await replication.close();
  }
}
