import { REBUILD_LOCK_PREFIX, rebuildFindings } from '../health/rebuilds';
import type { CommandStyle } from '../model/commands';
import type { Finding } from '../model/findings';
import type { StateStore } from '../state/store';
import type { Pager, PagerResult } from './pager';

/**
 * `pager` with the rebuilds that died half-way (their locks, in the pager's own store) added to
 * each sample's findings. Read with the alert state, in one failure: a store that cannot be read
 * fails that sample's paging, rather than counting their alerts clear. `flags` for the printed
 * resume command (model/commands.ts; the deployed style in the functions).
 */
export function withDeadRebuilds(pager: Pick<Pager, 'process'>, store: StateStore, commands?: CommandStyle): Pick<Pager, 'process'> {
  return {
    process: async (findings: Finding[], now: Date): Promise<PagerResult> => pager.process([...findings, ...rebuildFindings(await store.listLocks(REBUILD_LOCK_PREFIX), now, commands)], now),
  };
}
