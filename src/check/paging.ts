import type { Config } from '../config/schema';
import type { Finding, FindingCode } from '../model/findings';
import type { PageSink } from '../sinks/pages';
import type { StateStore } from '../state/store';
import { endpointResolver } from './hosts';
import { autoPlanAttacher } from './autoplan';
import type { SecretResolver } from '../config/secrets';
import { Pager } from './pager';

/** A Pager with the config's policy, silences and host map. */
export function pagerFor(config: Config, store: StateStore, sinks: PageSink[], secrets: SecretResolver, codes?: ReadonlySet<FindingCode>, scope?: (f: Pick<Finding, 'cluster' | 'target'>) => boolean): Pager {
  return new Pager({
    ...(codes ? { codes } : {}),
    ...(scope ? { scope } : {}),
    attach: autoPlanAttacher(config, secrets),
    store,
    sinks,
    policy: { resolveSamples: config.alerts.resolveSamples, repeatMs: config.alerts.repeatMinutes * 60_000 },
    silences: config.alerts.silences.map((s, i) => ({ id: `config-${i}`, ...s })),
    endpointOf: endpointResolver(config),
  });
}
