import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import type { CommandStyle } from '../model/commands';
import { Checker } from './checker';
import type { CheckReport } from './report';

/**
 * `replwatch check`: every check once, lag confirmed over its sustained window. Unlike the
 * long-running monitors, which check the other clusters and report the blind one, a one-shot
 * check with an unreadable password reference is a config error (exit 3, naming it): whoever
 * runs it is there to fix it.
 */
export async function runCheck(config: Config, secrets: SecretResolver, o: { now?: () => Date; commands?: CommandStyle } = {}): Promise<CheckReport> {
  const checkedAt = (o.now?.() ?? new Date()).toISOString();
  await Promise.all(config.clusters.map((c) => secrets.resolve(c.password)));
  const checker = new Checker(config, { ...(o.commands ? { commands: o.commands } : {}) });
  try {
    return { checkedAt, ...(await checker.sample(secrets, { confirm: true })) };
  } finally {
    await checker.close();
  }
}
