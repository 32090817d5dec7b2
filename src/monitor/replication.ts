import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { clusterServers, primaryName, type ClusterConfig, type Config } from '../config/schema';
import { SecretError, type SecretResolver } from '../config/secrets';
import { isProvisional, type Finding } from '../model/findings';
import type { CommandStyle } from '../model/commands';
import type { Observation, ServerReading } from '../model/observations';
import { analyseCluster, clusterUnchecked, type ClusterAnalysis, type PrimaryLost } from '../health/replication';
import { overThreshold, rowOf } from '../health/lag';
import { clusterEndpoint, MysqlConnections } from '../mysql/connections';
import { probePosition, probeServer, type MysqlTarget } from '../probes/mysql/probe';
import type { AuroraLag } from '../model/readings';
import { readAuroraReplicaLag } from '../probes/cloudwatch/auroraLag';
import { createLimiter } from '../util/limiter';
import { cloudwatch as readingCloudwatch } from '../aws/clients';
import { sleep } from '../util/deadline';

const HISTORY = 60;
/** Samples a one-shot check takes at most to hear whether an unreachable primary still writes. */
const UNDECIDED_ROUNDS = 3;

export interface ReplicationSample {
  findings: Finding[];
  observations: Observation[];
}

export interface ReplicationCheckerOptions {
  /** For Aurora readers' lag; created only when a cluster needs it. */
  cloudwatch?: () => CloudWatchClient;
  connections?: MysqlConnections;
  /** Between the samples a one-shot check takes to confirm lag or an unreachable primary. */
  confirmDelayMs?: number;
  /** How printed `replwatch` commands are spelled to reach this config and state (model/commands.ts). */
  commands?: CommandStyle;
}

/**
 * Samples every configured cluster: probes (I/O) then analysis (pure). It keeps connections
 * and each replica's lag history between samples, so a long-running caller (watch, a Lambda
 * sampling every few seconds) gets `sustainedSamples` across samples for free.
 */
export class ReplicationChecker {
  private readonly history = new Map<string, Array<number | null>>();
  /** Each cluster's primary server_id when last reached: who it is while it cannot be asked. */
  private readonly primaryIds = new Map<string, number>();
  /** Each cluster's primary outage under way, as this monitor lives it (health/replication.ts PrimaryLost). */
  private readonly outages = new Map<string, PrimaryLost>();
  /** Whether each cluster's heartbeat writer ran when its primary was last reached. */
  private readonly writers = new Map<string, boolean>();
  private readonly limit: <T>(task: () => Promise<T>) => Promise<T>;

  /** Per replica, the AuroraReplicaLag datapoint last put in its history. */
  private readonly lagDatapoints = new Map<string, number>();

  readonly connections: MysqlConnections;
  private readonly cloudwatch: () => CloudWatchClient;
  private readonly confirmDelayMs: number;
  private readonly commands: CommandStyle | undefined;

  constructor(
    private readonly config: Config,
    o: ReplicationCheckerOptions = {},
  ) {
    this.limit = createLimiter(config.concurrency);
    this.cloudwatch = o.cloudwatch ?? (() => readingCloudwatch());
    this.connections = o.connections ?? new MysqlConnections();
    this.confirmDelayMs = o.confirmDelayMs ?? 1000;
    this.commands = o.commands;
  }

  /**
   * One sample of every cluster. With `confirm`, a replica over its lag threshold is sampled
   * again (every `confirmDelayMs`) until `sustainedSamples` agree, so that a one-shot `check`
   * gives the same verdict a long-running watcher would. `secrets` is per invocation, so a
   * rotated password is read again by the next one; open connections are kept. A cluster whose
   * password reference resolves to nothing is not checked, and says so in one finding; the
   * other clusters are checked as usual (a deleted secret must not blind the whole fleet).
   */
  async sample(secrets: SecretResolver, { confirm = false } = {}): Promise<ReplicationSample> {
    const results = await Promise.all(
      this.config.clusters.map(async (c) => {
        try {
          await secrets.resolve(c.password);
        } catch (e) {
          if (!(e instanceof SecretError)) throw e;
          return { findings: [clusterUnchecked(c.name, primaryName(c), e.message)], observations: [] };
        }
        return this.sampleCluster(c, secrets, confirm);
      }),
    );
    return { findings: results.flatMap((r) => r.findings), observations: results.flatMap((r) => r.observations) };
  }

  async close(): Promise<void> {
    await this.connections.closeAll();
  }

  private async sampleCluster(cluster: ClusterConfig, secrets: SecretResolver, confirm: boolean): Promise<ClusterAnalysis> {
    for (let round = 1; ; round++) {
      const analysis = await this.sampleOnce(cluster, secrets);
      // AuroraReplicaLag is not sampled again: its history is CloudWatch's, already judged.
      const fromCloudwatch = new Set(analysis.observations.filter((o) => o.kind === 'mysql-replica' && o.lagSource === 'cloudwatch').map((o) => o.target));
      const unconfirmed = [...analysis.lags].filter(
        ([target, lag]) =>
          overThreshold(lag, cluster.lag) && !fromCloudwatch.has(target) && !analysis.findings.some((f) => f.code === 'ReplicaLagging' && f.target === target),
      );
      // A primary the replicas have not yet said is alive or dead: a writer writing every second
      // proves it alive within a round or two; a frozen one stays undecided and is reported so.
      const undecided = analysis.findings.some(isProvisional) && round < UNDECIDED_ROUNDS;
      if (!confirm || ((unconfirmed.length === 0 || round >= cluster.lag.sustainedSamples) && !undecided)) return analysis;
      await sleep(this.confirmDelayMs);
    }
  }

  private async sampleOnce(cluster: ClusterConfig, secrets: SecretResolver): Promise<ClusterAnalysis> {
    const started = performance.now();
    const password = () => secrets.resolve(cluster.password);
    const targets = clusterServers(cluster).map(
      (s): MysqlTarget => ({
        ...clusterEndpoint(cluster, s, cluster.user, `${cluster.name}/${s.name}`),
        cluster: cluster.name,
        name: s.name,
        role: s.role,
        heartbeatTable: cluster.heartbeat?.table,
      }),
    );
    const auroraLag = cluster.aurora && !cluster.heartbeat ? this.readAuroraLag(cluster) : undefined;
    // An Aurora reader's GTIDs are its writer's (one storage): nothing to compare; its copy of
    // the heartbeat row is still read here, before the writer's.
    const [first, ...replicas] = await Promise.all(
      targets.map((t) =>
        this.limit(() => probeServer(this.connections, t, password, { position: t.role === 'replica' && (!cluster.aurora || !!cluster.heartbeat) })),
      ),
    );
    // The primary's GTID set is read after every replica's, so it is at least as new as any copy:
    // a chain's upstream transactions are not errant. Its heartbeat row comes with it, late when a
    // sibling was slow; lag takes off the time between the two reads (health/lag.ts).
    const primary = await this.limit(() => probePosition(this.connections, targets[0]!, password, first!));
    const lags = await auroraLag;
    if (primary.reachable && primary.serverId !== undefined) this.primaryIds.set(cluster.name, primary.serverId);
    const analysis = analyseCluster({
      cluster: cluster.name,
      lag: cluster.lag,
      heartbeat: cluster.heartbeat ? { staleSeconds: cluster.heartbeat.staleSeconds } : undefined,
      primary,
      replicas,
      lastPrimaryServerId: this.primaryIds.get(cluster.name),
      primaryLost: this.outage(cluster, primary, started),
      ...(this.commands ? { commands: this.commands } : {}),
      lagHistory: (target) => this.historyBefore(`${cluster.name}/${target}`, lags?.get(target)),
      ...(cluster.aurora ? { aurora: { lag: (target: string) => lags?.get(target) } } : {}),
    });
    for (const [target, lag] of analysis.lags) {
      const key = `${cluster.name}/${target}`;
      this.history.set(key, [...this.historyBefore(key, lags?.get(target)), lag].slice(-HISTORY));
      const read = lags?.get(target);
      // A sample without a datapoint sits between two readings of one: they are two samples.
      if (read && 'at' in read) this.lagDatapoints.set(key, read.at.getTime());
      else this.lagDatapoints.delete(key);
    }
    return analysis;
  }

  /**
   * The outage this sample is part of, started by the first sample (`started`: when it began, on
   * the monitor's monotonic clock) that could not reach the primary; none while it answers, when
   * whether its heartbeat writer runs is noted for the next outage.
   */
  private outage(cluster: ClusterConfig, primary: ServerReading, started: number): PrimaryLost | undefined {
    if (primary.reachable) {
      this.outages.delete(cluster.name);
      const own = cluster.heartbeat ? rowOf(primary.heartbeat, primary.serverId) : undefined;
      if (own) this.writers.set(cluster.name, own.ageSeconds <= cluster.heartbeat!.staleSeconds);
      return undefined;
    }
    const lost = this.outages.get(cluster.name) ?? { at: started, writerRunning: this.writers.get(cluster.name) ?? true };
    this.outages.set(cluster.name, lost);
    return lost;
  }

  /**
   * A replica's lag history before this sample. For an Aurora reader's AuroraReplicaLag, one entry
   * per datapoint: AWS publishes one a minute, so several samples can read the same one, which
   * counts once towards `sustainedSamples`; with no history yet, CloudWatch's own earlier
   * datapoints are the history.
   */
  private historyBefore(key: string, read: AuroraLag | undefined): Array<number | null> {
    const history = this.history.get(key) ?? [];
    if (read === undefined || !('at' in read)) return history;
    if (history.length === 0) return read.earlierSeconds;
    return this.lagDatapoints.get(key) === read.at.getTime() ? history.slice(0, -1) : history;
  }

  /** Each reader's AuroraReplicaLag by target name; failures become each reader's error, never a throw. */
  private async readAuroraLag(cluster: ClusterConfig): Promise<Map<string, AuroraLag>> {
    const ids = cluster.replicas.map((r) => r.rdsInstanceId ?? r.name);
    const byId = await readAuroraReplicaLag(this.cloudwatch(), ids, new Date(), cluster.timeoutMs * 2);
    return new Map(cluster.replicas.map((r, i) => [r.name, byId.get(ids[i]!)!]));
  }
}
