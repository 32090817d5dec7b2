import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import { Checker } from './checker';
import type { CheckReport } from './report';

/** `replwatch check`: every check once, lag confirmed over its sustained window. */
export async function runCheck(config: Config, secrets: SecretResolver, now: () => Date = () => new Date()): Promise<CheckReport> {
  const checkedAt = now().toISOString();
  const checker = new Checker(config);
  try {
    return { checkedAt, ...(await checker.sample(secrets, { confirm: true })) };
  } finally {
    await checker.close();
  }
}
