import type { Config } from '../config/schema';
import type { CommandStyle } from '../model/commands';
import type { Finding, FindingCode } from '../model/findings';
import type { PageSink } from '../sinks/pages';
import type { StateStore } from '../state/store';
import { endpointResolver } from './hosts';
import { autoPlanAttacher } from './autoplan';
import type { SecretResolver } from '../config/secrets';
import { Pager } from './pager';

/**
 * A Pager with the config's policy, silences and host map; `codes` and `scope` as in PagerOptions,
 * `resolveSamples` for a pager that knows an alert is over for certain (the rebuild runbook),
 * `commands` for the spelling of the commands of the plans it attaches (model/commands.ts).
 */
export function pagerFor(
  config: Config,
  store: StateStore,
  sinks: PageSink[],
  secrets: SecretResolver,
  o: { codes?: ReadonlySet<FindingCode>; scope?: (f: Pick<Finding, 'cluster' | 'target'>) => boolean; resolveSamples?: number; commands?: CommandStyle } = {},
): Pager {
  return new Pager({
    ...(o.codes ? { codes: o.codes } : {}),
    ...(o.scope ? { scope: o.scope } : {}),
    attach: autoPlanAttacher(config, secrets, o.commands),
    store,
    sinks,
    policy: { resolveSamples: o.resolveSamples ?? config.alerts.resolveSamples, repeatMs: config.alerts.repeatMinutes * 60_000 },
    silences: config.alerts.silences.map((s, i) => ({ id: `config-${i}`, ...s })),
    endpointOf: endpointResolver(config),
  });
}
