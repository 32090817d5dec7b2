import { randomBytes } from 'node:crypto';
import type { Page } from '../alerting/page';
import type { Config } from '../config/schema';
import type { CommandStyle } from '../model/commands';
import type { SecretResolver } from '../config/secrets';
import { rebuildReplica } from '../runbooks/rebuild';
import type { PageSink } from '../sinks/pages';
import type { StateStore } from '../state/store';
import { REBUILD_CODES } from '../model/codes';

/**
 * For clusters with `autoRebuild: true`, in `replwatch watch` only: a firing page that a rebuild
 * fixes starts one, in the background, with every guard of the hand-run runbook (the plan's
 * refusals, the per-cluster lock) plus a cool-down per cluster, so a replica that breaks again
 * right after its rebuild is left for a person (orchestrator's anti-flapping lesson).
 */
export interface AutoRebuilderOptions {
  config: Config;
  secrets: SecretResolver;
  store: StateStore;
  log: (line: string) => void;
  /** Where a failed rebuild's page goes: the watcher's sinks. */
  sinks: PageSink[];
  /** How the commands it prints are spelled (model/commands.ts). */
  commands?: CommandStyle;
}

export class AutoRebuilder {
  private readonly running = new Map<string, Promise<void>>();
  private readonly config: Config;
  private readonly secrets: SecretResolver;
  private readonly store: StateStore;
  private readonly log: (line: string) => void;
  private readonly sinks: PageSink[];
  private readonly commands: CommandStyle | undefined;

  constructor(o: AutoRebuilderOptions) {
    ({ config: this.config, secrets: this.secrets, store: this.store, log: this.log, sinks: this.sinks, commands: this.commands } = o);
  }

  async consider(pages: Page[], now: Date): Promise<void> {
    for (const page of pages) {
      const cluster = this.config.clusters.find((c) => c.name === page.cluster);
      if (page.kind !== 'firing' || !cluster?.autoRebuild || !REBUILD_CODES.has(page.code as never) || this.running.has(cluster.name)) continue;
      const coolDown = new Date(now.getTime() + cluster.autoRebuildCooldownMinutes * 60_000);
      // The cool-down is a lock nobody releases: it simply expires.
      if (!(await this.store.acquireLock(`autorebuild/${cluster.name}`, randomBytes(4).toString('hex'), coolDown, now))) {
        this.log(
          `auto-rebuild of ${page.target} skipped: ${cluster.name} was auto-rebuilt less than ${cluster.autoRebuildCooldownMinutes} min ago; rebuild by hand if needed`,
        );
        continue;
      }
      this.log(`auto-rebuild of ${page.target} (cluster ${cluster.name}) started`);
      // Never forced: a replica found healthy by the time it runs is left alone.
      const request = { cluster: cluster.name, replica: page.target, execute: true, ...(this.commands ? { commands: this.commands } : {}), sinks: this.sinks };
      const job = rebuildReplica({ config: this.config, request, secrets: this.secrets, store: this.store })
        .then(({ executed }) =>
          this.log(
            `auto-rebuild of ${page.target} done${executed && executed.strategy !== 'rds' ? ` (${executed.strategy}) in ${executed.result.seconds.toFixed(1)} s, ${executed.result.checksums.length} table checksums equal` : ''}`,
          ),
        )
        .catch((e: Error & { resume?: string }) =>
          this.log(`auto-rebuild of ${page.target} FAILED: ${e.message}${e.resume ? `; continue it with ${e.resume}` : ''}`),
        )
        .finally(() => this.running.delete(cluster.name));
      this.running.set(cluster.name, job);
    }
  }

  /** Waits for rebuilds under way (on exit). */
  async settle(): Promise<void> {
    await Promise.all(this.running.values());
  }
}
