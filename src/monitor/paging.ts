import type { Config } from '../config/schema';
import type { CommandStyle } from '../model/commands';
import type { Finding, FindingCode } from '../model/findings';
import type { PageSink } from '../sinks/pages';
import type { StateStore } from '../state/store';
import { endpointResolver } from './hosts';
import { autoPlanAttacher } from '../automation/autoplan';
import type { SecretResolver } from '../config/secrets';
import { endDeadRebuilds } from './deadRebuilds';
import { Pager } from './pager';
import { REBUILD_LOCK_PREFIX, rebuildFindings } from '../health/rebuilds';

/**
 * A Pager with the config's policy, silences and host map; `codes` and `scope` as in PagerOptions,
 * `resolveSamples` for a pager that knows an alert is over for certain (the rebuild runbook),
 * `commands` for the spelling of the commands of the plans it attaches (model/commands.ts),
 * `deadRebuilds` to page the rebuilds that died (the monitor's replication pager).
 */
export interface PagerOptions {
  config: Config;
  store: StateStore;
  sinks: PageSink[];
  secrets: SecretResolver;
  /** The codes this pager pages (a check's Lambda pages its own); all by default. */
  codes?: ReadonlySet<FindingCode>;
  /** The alerts it may resolve: a shard's own. */
  scope?: (f: Pick<Finding, 'cluster' | 'target'>) => boolean;
  resolveSamples?: number;
  /** This process ends the incidents it resolves itself (the rebuild runbook): its terminal hears their RESOLVED. */
  announceResolved?: boolean;
  commands?: CommandStyle;
  /** Page the rebuilds that died half-way, read from their locks in the same store. */
  deadRebuilds?: boolean;
}

export function pagerFor(o: PagerOptions): Pager {
  const { config, store, sinks, secrets } = o;
  return new Pager({
    ...(o.codes ? { codes: o.codes } : {}),
    ...(o.scope ? { scope: o.scope } : {}),
    ...(o.announceResolved ? { announceResolved: true } : {}),
    attach: autoPlanAttacher(config, secrets, o.commands),
    store,
    sinks,
    policy: { resolveSamples: o.resolveSamples ?? config.alerts.resolveSamples, repeatMs: config.alerts.repeatMinutes * 60_000 },
    recoveryMs: config.alerts.recoverySeconds * 1000,
    recoveryQuietSamples: Math.max(2, ...config.clusters.map((c) => c.lag.sustainedSamples)) + 1,
    silences: config.alerts.silences.map((s, i) => ({ id: `config-${i}`, ...s })),
    endpointOf: endpointResolver(config),
    // The rebuilds that died half-way, from their locks in the same store (health/rebuilds.ts).
    ...(o.deadRebuilds
      ? {
          fromState: {
            lockPrefix: REBUILD_LOCK_PREFIX,
            findings: (locks, now) => rebuildFindings(endDeadRebuilds({ locks, silences: [] }, now).locks, now, o.commands),
          },
        }
      : {}),
  });
}
