import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import type { Finding } from '../model/findings';
import type { PageSink } from '../sinks/pages';
import { MemoryStore } from '../state/store';
import type { Pager, PagerResult } from './pager';
import { pagerFor } from './paging';

/** The cluster of the monitor's own findings (its state store failing). */
export const MONITOR_CLUSTER = 'replwatch';

/** The finding for a state store that cannot be read or written: nothing pages through it meanwhile. */
export function stateUnreadable(store: string, error: string, consequence = 'paging is off'): Finding {
  return {
    code: 'StateUnreadable',
    severity: 'critical',
    cluster: MONITOR_CLUSTER,
    target: store,
    summary: `${consequence}: the alert state ${store} cannot be read or written: ${error}`,
    action: `make ${store} readable and writable by replwatch again (permissions, disk space, the path; for DynamoDB the table, its IAM policy and the route to it); until then watch the fleet by hand`,
    details: { error },
  };
}

export interface WatchedPaging extends PagerResult {
  /** Set when the state store failed this sample: the sample's extra finding. */
  unreadable?: Finding;
}

/**
 * Pages through `pager`; when its state store cannot be read or written, that is a StateUnreadable
 * finding, paged straight to `sinks` (console, JSONL, SNS, the log: none needs the store) through
 * a lifecycle of its own kept in memory (`memory`: the process's, or a Lambda container's across
 * its runs): one page when the outage starts, a RESOLVED when the store answers again (after
 * `alerts.resolveSamples` good samples), so paging never stops silently. The main pager never
 * sees the finding: it would need the very store that failed.
 */
export class StoreWatchedPager {
  private readonly outage: Pager;

  constructor(
    private readonly pager: Pick<Pager, 'process'>,
    private readonly store: string,
    config: Config,
    sinks: PageSink[],
    secrets: SecretResolver,
    memory: MemoryStore = new MemoryStore(),
  ) {
    this.outage = pagerFor({ config, store: memory, sinks, secrets });
  }

  async process(findings: Finding[], now: Date): Promise<WatchedPaging> {
    let paging: PagerResult;
    let unreadable: Finding | undefined;
    try {
      paging = await this.pager.process(findings, now);
    } catch (e) {
      unreadable = stateUnreadable(this.store, (e as Error).message);
      paging = { sent: [], failed: [], held: new Map(), lostRaces: 0 };
    }
    const own = await this.outage.process(unreadable ? [unreadable] : [], now);
    return {
      sent: [...paging.sent, ...own.sent],
      failed: [...paging.failed, ...own.failed],
      held: new Map([...paging.held, ...own.held]),
      lostRaces: paging.lostRaces + own.lostRaces,
      ...(paging.fromState ? { fromState: paging.fromState } : {}),
      ...(unreadable ? { unreadable } : {}),
    };
  }
}
