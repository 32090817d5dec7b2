import { alertKey } from '../alerting/alert';
import { formatPage, type Page } from '../alerting/page';
import type { Finding } from '../model/findings';
import { rebuildCommands } from './target';

/** The page a failed rebuild sends: what failed, that the replica is parked, how to go on. */
export function rebuildFailedPage(cluster: string, replica: string, error: Error & { step?: string }, at: Date): Page {
  const finding: Finding = {
    code: 'RebuildFailed',
    severity: 'critical',
    cluster,
    target: replica,
    summary: error.message,
    action: `fix the cause, then: ${rebuildCommands(cluster, replica).execute} --resume`,
    details: { step: error.step ?? null },
  };
  const iso = at.toISOString();
  return formatPage('firing', { key: alertKey(finding), status: 'firing', severity: 'critical', finding, firstSeenAt: iso, firedAt: iso, lastPagedAt: iso, consecutiveFound: 1, consecutiveClear: 0, version: 1 }, iso);
}
