import { alertKey } from '../alerting/alert';
import { inhibitions } from '../alerting/inhibit';
import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import { heldByRebuild, REBUILD_LOCK_PREFIX, rebuildFindings } from '../health/rebuilds';
import type { CommandStyle } from '../model/commands';
import type { Finding } from '../model/findings';
import type { StateStore } from '../state/store';
import { Checker } from './checker';
import { endDeadRebuilds } from './deadRebuilds';
import { stateUnreadable } from './storeOutage';
import { endpointResolver } from './hosts';
import type { CheckReport } from './report';

/**
 * `replwatch check`: every check once, lag confirmed over its sustained window. Unlike the
 * long-running monitors, which check the other clusters and report the blind one, a one-shot
 * check with an unreadable password reference is a config error (exit 3, naming it): whoever
 * runs it is there to fix it.
 */
export async function runCheck(
  config: Config,
  secrets: SecretResolver,
  o: { now?: () => Date; commands?: CommandStyle; store?: StateStore; storeName?: string } = {},
): Promise<CheckReport> {
  const now = o.now?.() ?? new Date();
  await Promise.all(config.clusters.map((c) => secrets.resolve(c.password)));
  const checker = new Checker(config, { ...(o.commands ? { commands: o.commands } : {}) });
  try {
    const sample = await checker.sample(secrets, { confirm: true });
    const read = o.store ? await o.store.snapshot(REBUILD_LOCK_PREFIX).catch((e: Error) => e) : { silences: [], locks: [] };
    // A store that cannot be read hides the rebuilds it holds: said as a finding, and the rest still checked.
    const unreadable =
      read instanceof Error ? [stateUnreadable(o.storeName ?? 'the state store', read.message, 'unfinished rebuilds in it cannot be reported')] : [];
    const state = endDeadRebuilds(read instanceof Error ? { silences: [], locks: [] } : read, now);
    const rebuilds = [...rebuildFindings(state.locks, now, o.commands), ...unreadable];
    const findings = foldIntoRebuilds([...sample.findings, ...rebuilds], endpointResolver(config));
    return { checkedAt: now.toISOString(), ...sample, findings: heldByRebuild(findings, state.silences, now) };
  } finally {
    await checker.close();
  }
}

/**
 * A replica whose rebuild died half-way shows what the rebuild left (stopped, read_only, behind):
 * the one finding is the unfinished rebuild, whose fix is its --resume, not START SLAVE. Folded
 * as the pager holds them (alerting/inhibit.ts), and named in its details.
 */
function foldIntoRebuilds(findings: Finding[], endpointOf: (f: Finding) => string | undefined): Finding[] {
  const byRebuild = new Map(
    inhibitions(findings, endpointOf)
      .filter((i) => i.by.startsWith('RebuildFailed|'))
      .map((i) => [i.key, i.by]),
  );
  if (byRebuild.size === 0) return findings;
  return findings
    .filter((f) => !byRebuild.has(alertKey(f)))
    .map((f) => {
      const absorbed = findings.filter((s) => byRebuild.get(alertKey(s)) === alertKey(f));
      return absorbed.length === 0
        ? f
        : { ...f, details: { ...f.details, absorbed: absorbed.map((s) => ({ code: s.code, target: s.target, summary: s.summary })) } };
    });
}
