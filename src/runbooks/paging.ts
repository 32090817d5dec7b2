import { pagerFor } from '../monitor/paging';
import type { PagerResult } from '../monitor/pager';
import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import type { Finding } from '../model/findings';
import type { PageSink } from '../sinks/pages';
import type { StateStore } from '../state/store';

/**
 * The runbook's own pages about one rebuild, through a Pager on the monitor's store scoped to
 * that replica's RebuildFailed alert: a failure fires it at once (with `findings`), and the
 * monitor, finding the same dead rebuild on its next sample, continues that alert instead of
 * paging it again; a rebuild that finished (no findings) resolves it at once, without the
 * monitor's hysteresis: the lock is gone for certain, nothing flaps.
 */
export interface RebuildPageInput {
  config: Config;
  store: StateStore;
  sinks: PageSink[];
  secrets: SecretResolver;
  at: { cluster: string; replica: string };
  /** The rebuild's RebuildFailed, or none once it finished. */
  findings: Finding[];
  now: Date;
}

export function pageRebuild({ config, store, sinks, secrets, at, findings, now }: RebuildPageInput): Promise<PagerResult> {
  const pager = pagerFor({
    config,
    store,
    sinks,
    secrets,
    codes: new Set(['RebuildFailed']),
    scope: (f) => f.cluster === at.cluster && f.target === at.replica,
    resolveSamples: 1,
    announceResolved: true,
  });
  return pager.process(findings, now);
}
