import type { Config } from '../config/schema';
import type { SecretResolver } from '../config/secrets';
import type { CommandStyle } from '../model/commands';
import { REBUILD_CODES } from '../model/codes';
import type { Finding } from '../model/findings';
import { MemoryStore } from '../state/store';
import { withDeadline } from '../util/deadline';

const PLAN_DEADLINE_MS = 20_000;

/**
 * For clusters with `autoPlan: true`: runs the rebuild plan (reads only, never executes) when
 * such a finding starts firing, so the page already says what a rebuild would do and how long.
 * `commands` spell its command to reach the monitor's config and state (model/commands.ts).
 */
export function autoPlanAttacher(config: Config, secrets: SecretResolver, commands?: CommandStyle): (f: Finding) => Promise<string | undefined> {
  return async (f) => {
    if (!REBUILD_CODES.has(f.code) || !config.clusters.find((c) => c.name === f.cluster)?.autoPlan) return undefined;
    try {
      // Loaded here, not at start: only a rebuild finding needs the runbook (and mysql2), so the
      // memcache and network Lambdas, which share this pager, start without them.
      const [{ rebuildReplica }, { renderPlanned }] = await Promise.all([import('../runbooks/rebuild'), import('../runbooks/planText')]);
      const request = { cluster: f.cluster, replica: f.target, execute: false, ...(commands ? { commands } : {}) };
      const { planned } = await withDeadline(rebuildReplica({ config, request, secrets, store: new MemoryStore() }), PLAN_DEADLINE_MS, 'rebuild plan');
      return renderPlanned(planned);
    } catch (e) {
      return `Rebuild plan not available: ${(e as Error).message}`;
    }
  };
}
