import type { Config } from '../config/schema';
import { logger, sampleWhileTimeLeft, type Clock } from './runtime';
import type { WorkerScope } from './worker';

/** Time a check run keeps back after its last sample (paging, metrics, closing). */
export const RUN_RESERVE_MS = 5000;

/**
 * Runs of one slice start a minute apart (dispatch's schedule); a start more than this after the
 * previous one on this container means a run went elsewhere (another container, a cold start)
 * or not at all, whatever `sampleSeconds` is.
 */
const MAX_RUN_GAP_MS = 90_000;

/**
 * The checkers of one check Lambda's container, one per slice of the fleet, kept between runs so
 * that lag history (`sustainedSamples`) and memcache readings carry over warm invocations.
 *
 * Connections are not kept between runs: each run closes them before it returns, so before the
 * freeze. A frozen container's sockets are not serviced; a server's wait_timeout, a NAT gateway's
 * idle timeout or a failover meanwhile leaves them half-open after the thaw, and the first query
 * on one would wait out its deadline and report a healthy server unreachable. Dialling again
 * costs one connect per server per run (the fleet bench's cold sample against its warm ones);
 * what must survive is the history, and that is kept.
 *
 * A checker whose slice skipped this container for a run has a hole in its history: samples a
 * minute or more apart would count as "in a row". It is replaced by a fresh one.
 */
export class ContainerCheckers<C> {
  private readonly slots = new Map<string, { checker: C; startedAt: number }>();

  constructor(
    private readonly create: (config: Config) => C,
    private readonly now: () => number = () => Date.now(),
  ) {}

  forRun(scope: Pick<WorkerScope, 'key' | 'config'>): C {
    const now = this.now();
    for (const [key, slot] of this.slots) if (now - slot.startedAt > MAX_RUN_GAP_MS) this.slots.delete(key);
    const slot = this.slots.get(scope.key) ?? { checker: this.create(scope.config), startedAt: now };
    slot.startedAt = now;
    this.slots.set(scope.key, slot);
    return slot.checker;
  }
}

/** How many samples a run of `budgetMs` takes, by the real sampling loop on a virtual clock. */
export async function samplesPerRun(sampleSeconds: number, budgetMs: number): Promise<number> {
  let now = 0;
  const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
  return sampleWhileTimeLeft(
    sampleSeconds * 1000,
    () => budgetMs - now,
    RUN_RESERVE_MS,
    async () => undefined,
    clock,
  );
}

const warned = new Set<string>();

/**
 * Logs, once per container, each cluster whose `lag.sustainedSamples` is more than one run
 * samples: its ReplicaLagging then needs consecutive runs on one warm container, which Lambda
 * does not promise (a cold start or another container starts the count again). Returns what it
 * logged.
 */
export async function warnLagWindow(config: Config, remainingMs: number): Promise<string[]> {
  const perRun = await samplesPerRun(config.sampleSeconds, remainingMs);
  const logged: string[] = [];
  for (const c of config.clusters.filter((c) => c.lag.sustainedSamples > perRun)) {
    const message = `cluster ${c.name}: lag.sustainedSamples is ${c.lag.sustainedSamples} but one run takes ${perRun} sample(s) (sampleSeconds ${config.sampleSeconds} in ${Math.round(remainingMs / 1000)} s): ReplicaLagging fires only when consecutive runs land on one warm container; lower sustainedSamples or sampleSeconds`;
    if (warned.has(message)) continue;
    warned.add(message);
    logger.warn(message);
    logged.push(message);
  }
  return logged;
}
