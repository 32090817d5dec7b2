import type { CommandStyle } from '../../model/commands';
import { errantTransactions, gtidSources } from '../../model/gtid';
import type { Flavor, ReplicationChannel, ServerReading } from '../../model/observations';
import type { AuroraLag } from '../../model/readings';
import { replicaLag, rowOf, type LagFigure, type LagThresholds } from '../lag';

/*
 * Readings of one cluster -> facts about each server, before anything is judged (orchestrator's
 * analysis does the same: one pass that observes, then one flat rule per situation, rules/).
 */

export interface ClusterReadings {
  cluster: string;
  lag: LagThresholds;
  /** Whether a heartbeat table is configured, and when its primary row counts as stale. */
  heartbeat?: { staleSeconds: number };
  primary: ServerReading;
  replicas: ServerReading[];
  /** The primary's server_id when this monitor last could ask it: who it is while it cannot be asked. */
  lastPrimaryServerId?: number;
  /** Since when this monitor cannot reach the primary, when it cannot: a replica's copy of its heartbeat younger than that proves it still writes. */
  primaryLost?: PrimaryLost;
  /** How the commands in findings are spelled, so that they run as printed from anywhere (model/commands.ts). */
  commands?: CommandStyle;
  /** Earlier lag samples of a replica, oldest first, not including this one. */
  lagHistory: (target: string) => Array<number | null>;
  /** An Aurora cluster: each reader's AuroraReplicaLag, read when there is no heartbeat. */
  aurora?: { lag: (target: string) => AuroraLag | undefined };
}

/** An outage of the primary as the monitor lives it. */
export interface PrimaryLost {
  /** When the first sample that could not reach it started, by the monitor's monotonic clock (ms; the clock of ServerReading.heartbeatReadAt). */
  at: number;
  /** Whether its heartbeat writer ran when the monitor last reached it (unknown: assumed so). */
  writerRunning: boolean;
}

/**
 * A replica's testimony about a primary the monitor cannot reach: alive, dead, or (null) it cannot
 * tell yet (its copy of the heartbeat is neither stale nor younger than the monitor's outage).
 */
export interface Vote {
  target: string;
  alive: boolean | null;
  evidence: string;
}

/** How replwatch's own query of a server went: answered, refused by it (account, TLS), or not reached. */
export type Reach = 'answered' | 'refused' | 'unreachable';

export interface ReplicaFacts {
  reading: ServerReading;
  reach: Reach;
  /** An Aurora reader: only its lag is judged (it reads the writer's storage). */
  aurora: boolean;
  channels: ReplicationChannel[];
  /** The channel that follows the configured primary. */
  main?: ReplicationChannel;
  lag: LagFigure;
  /** Why an Aurora reader has no lag figure. */
  lagUnknown?: string;
  /** What it says of a primary the monitor cannot reach. */
  vote?: Vote;
  /** The setting that lets writes in, when one does. */
  writable?: 'read_only' | 'super_read_only';
  /** GTIDs only this replica has. */
  errant?: string;
}

export interface ClusterFacts {
  input: ClusterReadings;
  primary: ServerReading;
  primaryReach: Reach;
  replicas: ReplicaFacts[];
  votes: Vote[];
}

/**
 * How much younger than the outage a replica's copy must be to prove the primary wrote after the
 * monitor lost it: the first failing probe may have started just before the freeze, and the
 * replica's and the monitor's clocks differ by a little.
 */
const WRITTEN_SINCE_MARGIN_S = 1;

/**
 * Server errors by which the server answered and refused replwatch's own account: wrong or expired
 * password, locked account, host not allowed, missing grant. The server is up; the monitor is blind.
 */
const ACCOUNT_REFUSED = new Set([1044, 1045, 1130, 1142, 1143, 1227, 1370, 1820, 1862, 3118, 4151]);

/**
 * TLS failures (Node's certificate verification codes, mysql2's server-without-TLS): the server
 * answered, and the monitor's `tls` settings or the server's certificate do not match.
 */
export const tlsFailure = (r: ServerReading) => /^ERR_(SSL|TLS)_|CERT|SIGNATURE|^HANDSHAKE_(SSL_ERROR|NO_SSL_SUPPORT)$/.test(r.error?.code ?? '');

const reachOf = (r: ServerReading): Reach =>
  r.reachable ? 'answered' : (r.error?.errno !== undefined && ACCOUNT_REFUSED.has(r.error.errno)) || tlsFailure(r) ? 'refused' : 'unreachable';

export const endpoint = (r: { host: string; port: number }) => `${r.host}:${r.port}`;

export const reason = (r: ServerReading): string => (r.error ? `${r.error.code}: ${r.error.message}` : 'unknown error');

/** The primary's server_id: its own, else the last one seen while it could be asked. */
const primaryId = (input: ClusterReadings) => input.primary.serverId ?? input.lastPrimaryServerId ?? null;

// Channel states, as the thread rules and the lag rule both read them.
export const sqlBroken = (c: ReplicationChannel) => !c.sqlRunning && c.sqlErrno !== 0;
export const ioFailing = (c: ReplicationChannel) => !c.ioRunning && c.ioErrno !== 0;
export const stoppedClean = (c: ReplicationChannel) =>
  ((c.ioState === 'No' && c.ioErrno === 0) || (!c.sqlRunning && c.sqlErrno === 0)) && c.sqlErrno === 0 && c.ioErrno === 0;

/** A replica's heartbeat rows and the primary's, each with when it was read, for replicaLag. */
const heartbeatPair = (input: ClusterReadings, r: ServerReading) => ({
  primaryServerId: primaryId(input),
  replicaHeartbeat: r.heartbeat,
  replicaReadAt: r.heartbeatReadAt,
  ...(input.primary.reachable ? { primaryHeartbeat: input.primary.heartbeat, primaryReadAt: input.primary.heartbeatReadAt } : { primaryHeartbeat: undefined }),
});

/**
 * The channel that follows the configured primary: by server id (its own, or the last one seen
 * while it cannot be asked), else by address. A primary that cannot be asked and that replicas
 * know by another name (DNS vs IP) is still the source of a replica's only channel, unless that
 * channel's source is known to be another server.
 */
function primaryChannel(replica: ServerReading, primary: ServerReading, lastServerId: number | undefined): ReplicationChannel | undefined {
  const channels = replica.channels ?? [];
  const id = primary.serverId ?? lastServerId;
  const found =
    channels.find((c) => id !== undefined && c.sourceServerId === id) ??
    channels.find((c) => c.sourceHost.toLowerCase() === primary.host.toLowerCase() && c.sourcePort === primary.port);
  if (found || primary.reachable || channels.length !== 1) return found;
  const only = channels[0]!;
  return id === undefined || only.sourceServerId === null ? only : undefined;
}

/** What a multi-source replica's other channels brought in: not the primary's to have. */
function otherSources(flavor: Flavor, r: ServerReading, main: ReplicationChannel, primaryGtids: string): { origins: string[]; domains: number[] } {
  const others = (r.channels ?? []).filter((c) => c !== main);
  const own = (flavor === 'mysql' ? (r.serverUuid ?? '') : String(r.serverId)).toLowerCase();
  const received = others.map((c) => gtidSources(flavor, c.receivedGtids));
  const sourceIds = others.map((c) => (flavor === 'mysql' ? c.sourceUuid : c.sourceServerId === null ? null : String(c.sourceServerId)));
  const primaryDomains = new Set(gtidSources(flavor, primaryGtids).domains);
  return {
    origins: [...sourceIds, ...received.flatMap((x) => x.origins)].filter(
      (o): o is string => !!o && o.toLowerCase() !== own && !o.toLowerCase().startsWith(`${own}:`),
    ),
    domains: received.flatMap((x) => x.domains).filter((d) => !primaryDomains.has(d)),
  };
}

function errantOf(input: ClusterReadings, r: ServerReading, main: ReplicationChannel | undefined): string | undefined {
  const { primary } = input;
  if (!primary.reachable || r.flavor !== primary.flavor || r.gtidExecuted === undefined || primary.gtidExecuted === undefined) return undefined;
  const flavor = primary.flavor ?? 'mariadb';
  return (
    errantTransactions({
      flavor,
      replicaGtids: r.gtidExecuted,
      primaryGtids: primary.gtidExecuted,
      primaryOrigin: flavor === 'mysql' ? (primary.serverUuid ?? '') : String(primary.serverId),
      ...(main ? { otherSources: otherSources(flavor, r, main, primary.gtidExecuted) } : {}),
    }) || undefined
  );
}

/**
 * What a replica's copy of the primary's heartbeat row says of a primary the monitor cannot reach.
 * Older than `staleSeconds` beyond the replica's own backlog (Seconds_Behind, what it has received
 * and not applied yet): the primary stopped writing. Younger than the outage: the primary wrote
 * after the monitor lost it, so the monitor's path is what broke. Neither: it cannot tell yet (a
 * frozen primary looks so for staleSeconds; a copy that merely advanced proves nothing, a lagging
 * replica goes on applying what a primary wrote before it froze). Undefined when the heartbeat
 * cannot testify: none configured, no copy on this replica, or a writer already stopped when the
 * monitor last saw the primary (every copy is stale then, whatever the primary does).
 */
function heartbeatTestimony(input: ClusterReadings, r: ServerReading, channel?: ReplicationChannel): Vote | undefined {
  if (!input.heartbeat || input.primaryLost?.writerRunning === false) return undefined;
  // Who the primary is, when the monitor never reached it: the server the replica follows.
  const copy = rowOf(r.heartbeat, primaryId(input) ?? channel?.sourceServerId);
  if (!copy) return undefined;
  const backlog = channel?.secondsBehind ?? 0;
  const age = `the primary's heartbeat row on ${r.target} is ${copy.ageSeconds.toFixed(1)} s old`;
  if (copy.ageSeconds - backlog > input.heartbeat.staleSeconds) {
    return {
      target: r.target,
      alive: false,
      evidence: `${age}${backlog > 0 ? ` (${backlog} s of it ${r.target}'s own backlog)` : ''}, stale after ${input.heartbeat.staleSeconds} s: the primary stopped writing`,
    };
  }
  const lostFor = input.primaryLost && r.heartbeatReadAt !== undefined ? (r.heartbeatReadAt - input.primaryLost.at) / 1000 : undefined;
  if (lostFor !== undefined && copy.ageSeconds + WRITTEN_SINCE_MARGIN_S < lostFor)
    return { target: r.target, alive: true, evidence: `${age}: written after replwatch lost the primary ${lostFor.toFixed(1)} s ago` };
  return { target: r.target, alive: null, evidence: `${age}, not younger than replwatch's ${(lostFor ?? 0).toFixed(1)} s without the primary` };
}

/**
 * A running IO thread only says the TCP connection is up: a frozen primary keeps it up until
 * slave_net_timeout. The heartbeat it carries says whether the primary still writes (no question
 * for a primary that answered and refused the monitor's account).
 */
function channelVote(input: ClusterReadings, r: ServerReading, main: ReplicationChannel): Vote {
  if (!main.ioRunning || main.ioErrno !== 0)
    return {
      target: r.target,
      alive: false,
      evidence: `IO thread ${main.ioState || 'No'}${main.ioErrno ? `: ${main.ioErrno} ${main.ioError}`.trimEnd() : ', no error yet'}`,
    };
  const heard = reachOf(input.primary) === 'refused' ? undefined : heartbeatTestimony(input, r, main);
  const io = `IO thread running, from ${endpoint({ host: main.sourceHost, port: main.sourcePort })}`;
  return heard ? { ...heard, evidence: `${io}, ${heard.alive ? 'and' : 'but'} ${heard.evidence}` } : { target: r.target, alive: true, evidence: io };
}

/**
 * An Aurora reader has no IO thread to testify: only its copy of the writer's heartbeat row (read
 * from the shared storage) can. AuroraReplicaLag comes a minute or more late, long enough to hide
 * a writer that has just died, so without a heartbeat a reader does not vote.
 */
function auroraVote(input: ClusterReadings, r: ServerReading): Vote | undefined {
  if (input.primary.reachable || !input.heartbeat) return undefined;
  return heartbeatTestimony(input, r) ?? { target: r.target, alive: false, evidence: `no heartbeat row of the writer on ${r.target}` };
}

/** An Aurora reader's lag: from the heartbeat when the cluster has one, else from CloudWatch. */
function auroraLag(input: ClusterReadings, r: ServerReading): { lag: LagFigure; lagUnknown?: string } {
  if (input.heartbeat) {
    const lag = replicaLag(heartbeatPair(input, r));
    return lag.lagSeconds === null
      ? { lag, lagUnknown: `no heartbeat row of the writer on ${r.target}${r.heartbeatError ? `: ${r.heartbeatError}` : ''}` }
      : { lag };
  }
  const read = input.aurora?.lag(r.target) ?? { error: 'AuroraReplicaLag was not read' };
  if ('error' in read) return { lag: { lagSeconds: null, lagSource: null }, lagUnknown: read.error };
  return { lag: { lagSeconds: Math.round(read.lagSeconds * 1000) / 1000, lagSource: 'cloudwatch' } };
}

const NO_LAG: LagFigure = { lagSeconds: null, lagSource: null };

function replicaFacts(input: ClusterReadings, r: ServerReading): ReplicaFacts {
  const base = { reading: r, reach: reachOf(r), aurora: Boolean(input.aurora), channels: r.channels ?? [], lag: NO_LAG };
  if (base.reach !== 'answered') return base;
  if (input.aurora) {
    const vote = auroraVote(input, r);
    return { ...base, ...auroraLag(input, r), ...(vote ? { vote } : {}) };
  }
  const main = primaryChannel(r, input.primary, input.lastPrimaryServerId);
  // Where super_read_only exists (MySQL), read_only alone still lets SUPER accounts write.
  const writable = r.readOnly === false ? 'read_only' : r.superReadOnly === false ? 'super_read_only' : undefined;
  const errant = errantOf(input, r, main);
  return {
    ...base,
    ...(main ? { main, lag: replicaLag({ channel: main, ...heartbeatPair(input, r) }) } : {}),
    ...(main && !input.primary.reachable ? { vote: channelVote(input, r, main) } : {}),
    ...(writable ? { writable } : {}),
    ...(errant ? { errant } : {}),
  } as ReplicaFacts;
}

export function clusterFacts(input: ClusterReadings): ClusterFacts {
  const replicas = input.replicas.map((r) => replicaFacts(input, r));
  return { input, primary: input.primary, primaryReach: reachOf(input.primary), replicas, votes: replicas.flatMap((r) => (r.vote ? [r.vote] : [])) };
}
