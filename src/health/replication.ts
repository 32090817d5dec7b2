import { replwatchLine, type CommandStyle } from '../model/commands';
import { DEAD_PRIMARY_SYMPTOMS, type Finding } from '../model/findings';
import type { Flavor, MysqlPrimaryObservation, MysqlReplicaObservation, ReplicationChannel, ServerReading } from '../model/observations';
import { errantTransactions, gtidSources } from '../model/gtid';
import type { AuroraLag } from '../probes/cloudwatch/auroraLag';
import { replicaLag, rowOf, sustainedLagSeverity, type LagFigure, type LagThresholds } from './lag';

/**
 * Observations of one cluster -> findings, in orchestrator's manner: look at the whole
 * topology before naming a failure. Pure: everything it needs comes in as values.
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

export interface ClusterAnalysis {
  observations: Array<MysqlPrimaryObservation | MysqlReplicaObservation>;
  findings: Finding[];
  /** This sample's lag per replica, for the caller's history. */
  lags: Map<string, number | null>;
}

export function rebuildCommand(cluster: string, replica: string, style?: CommandStyle): string {
  return replwatchLine(`runbook rebuild-replica --cluster ${cluster} --replica ${replica}`, style);
}

/**
 * A replica's testimony about a primary the monitor cannot reach: alive, dead, or (null) it cannot
 * tell yet (its copy of the heartbeat is neither stale nor younger than the monitor's outage).
 */
interface Vote {
  target: string;
  alive: boolean | null;
  evidence: string;
}

/** An outage of the primary as the monitor lives it. */
export interface PrimaryLost {
  /** When the first sample that could not reach it started, by the monitor's monotonic clock (ms; the clock of ServerReading.heartbeatReadAt). */
  at: number;
  /** Whether its heartbeat writer ran when the monitor last reached it (unknown: assumed so). */
  writerRunning: boolean;
}

/**
 * How much younger than the outage a replica's copy must be to prove the primary wrote after the
 * monitor lost it: the first failing probe may have started just before the freeze, and the
 * replica's and the monitor's clocks differ by a little.
 */
const WRITTEN_SINCE_MARGIN_S = 1;

/** The primary's server_id: its own, else the last one seen while it could be asked. */
const primaryId = (input: ClusterReadings) => input.primary.serverId ?? input.lastPrimaryServerId ?? null;

const endpoint = (r: { host: string; port: number }) => `${r.host}:${r.port}`;

/** A replica's heartbeat rows and the primary's, each with when it was read, for replicaLag. */
const heartbeatPair = (input: ClusterReadings, r: ServerReading) => ({
  primaryServerId: primaryId(input),
  replicaHeartbeat: r.heartbeat,
  replicaReadAt: r.heartbeatReadAt,
  ...(input.primary.reachable ? { primaryHeartbeat: input.primary.heartbeat, primaryReadAt: input.primary.heartbeatReadAt } : { primaryHeartbeat: undefined }),
});

function reason(r: ServerReading): string {
  return r.error ? `${r.error.code}: ${r.error.message}` : 'unknown error';
}

/**
 * Server errors by which the server answered and refused replwatch's own account: wrong or expired
 * password, locked account, host not allowed, missing grant. The server is up; the monitor is blind.
 */
const ACCOUNT_REFUSED = new Set([1044, 1045, 1130, 1142, 1143, 1227, 1370, 1820, 1862, 3118, 4151]);

/**
 * TLS failures (Node's certificate verification codes, mysql2's server-without-TLS): the server
 * answered, and the monitor's `tls` settings or the server's certificate do not match.
 */
const tlsFailure = (r: ServerReading) => /^ERR_(SSL|TLS)_|CERT|SIGNATURE|^HANDSHAKE_(SSL_ERROR|NO_SSL_SUPPORT)$/.test(r.error?.code ?? '');

const refused = (r: ServerReading) => (r.error?.errno !== undefined && ACCOUNT_REFUSED.has(r.error.errno)) || tlsFailure(r);

const refusal = (r: ServerReading) =>
  tlsFailure(r) ? `the TLS connection to the server failed: ${r.error?.code} ${r.error?.message}` : `the monitor's account was refused: ${r.error?.errno} ${r.error?.message}`;

const fixAccount = (r: ServerReading) =>
  tlsFailure(r)
    ? `fix the cluster's tls settings (its ca) or the server's certificate on ${endpoint(r)} (expired, another CA, a name the host is not); the server itself answered`
    : `fix the password (the cluster's password reference) or the grants (docs/config.md#grants) of replwatch's account on ${endpoint(r)}, or unlock it; the server itself answered`;

/**
 * A cluster whose password reference resolves to nothing (unset variable, deleted secret, no
 * access to it) cannot be checked at all. The databases may be fine; the monitor is blind on this
 * cluster, which is worth a page (a warning, like a refused account), and it holds the cluster's
 * firing alerts rather than resolving what it cannot see.
 */
export function passwordUnreadable(cluster: string, primary: string, error: string): Finding {
  return {
    code: 'PrimaryUnreachable',
    severity: 'warning',
    cluster,
    target: primary,
    summary: `cluster ${cluster} is not checked: its password cannot be read: ${error}`,
    action: `make the cluster's password reference readable by replwatch (set the variable, restore the parameter or secret, or grant replwatch's role access to it)`,
    details: { scope: 'monitor-config', error },
  };
}

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
    origins: [...sourceIds, ...received.flatMap((x) => x.origins)].filter((o): o is string => !!o && o.toLowerCase() !== own && !o.toLowerCase().startsWith(`${own}:`)),
    domains: received.flatMap((x) => x.domains).filter((d) => !primaryDomains.has(d)),
  };
}

/** MariaDB wraps the real error in event coordinates; keep the part a person needs. */
export function shortSqlError(errno: number, error: string): string {
  const inner = /;\s*(.+?),\s*Error_code:\s*\d+/.exec(error)?.[1] ?? /^Error '(.+?)' on query/.exec(error)?.[1];
  const text = (inner ?? error).trim();
  return `${errno} ${text.length > 200 ? `${text.slice(0, 197)}...` : text}`;
}

function startStatement(flavor: ServerReading['flavor'], channel: string): string {
  if (flavor === 'mysql') return channel ? `START REPLICA FOR CHANNEL '${channel}'` : 'START REPLICA';
  return channel ? `START SLAVE '${channel}'` : 'START SLAVE';
}

const channelLabel = (c: ReplicationChannel) => (c.name ? ` (channel '${c.name}')` : '');

/** Findings from the replication threads of every channel, one per code. */
function threadFindings(cluster: string, r: ServerReading, style: CommandStyle | undefined): Finding[] {
  const byCode = new Map<string, Finding>();
  const add = (f: Finding, channel: ReplicationChannel) => {
    const seen = byCode.get(f.code);
    if (seen) (seen.details.channels as string[]).push(channel.name);
    else byCode.set(f.code, { ...f, details: { ...f.details, channels: [channel.name] } });
  };
  for (const c of r.channels ?? []) {
    const base = { cluster, target: r.target };
    if (!c.sqlRunning && c.sqlErrno !== 0) {
      add(
        {
          ...base,
          code: 'ReplicationBroken',
          severity: 'critical',
          summary: `SQL thread stopped${channelLabel(c)}: ${shortSqlError(c.sqlErrno, c.sqlError)}`,
          runbook: rebuildCommand(cluster, r.target, style),
          details: { lastSqlErrno: c.sqlErrno, lastSqlError: c.sqlError, source: endpoint({ host: c.sourceHost, port: c.sourcePort }) },
        },
        c,
      );
    }
    if (!c.ioRunning && c.ioErrno !== 0) {
      add(
        {
          ...base,
          code: 'ReplicaIoError',
          severity: 'critical',
          summary: `IO thread ${c.ioState === 'Connecting' ? 'cannot connect' : 'stopped'}${channelLabel(c)}: ${c.ioErrno} ${c.ioError}`,
          action: `check that ${c.sourceHost}:${c.sourcePort} is up and reachable from ${r.target}, and the replication account's credentials`,
          details: { lastIoErrno: c.ioErrno, lastIoError: c.ioError, ioState: c.ioState, source: endpoint({ host: c.sourceHost, port: c.sourcePort }) },
        },
        c,
      );
    }
    const ioStoppedClean = c.ioState === 'No' && c.ioErrno === 0;
    const sqlStoppedClean = !c.sqlRunning && c.sqlErrno === 0;
    if ((ioStoppedClean || sqlStoppedClean) && c.sqlErrno === 0 && c.ioErrno === 0) {
      add(
        {
          ...base,
          code: 'ReplicationStopped',
          severity: 'warning',
          summary: `replication stopped with no error${channelLabel(c)} (IO thread: ${c.ioState || 'No'}, SQL thread: ${c.sqlRunning ? 'Yes' : 'No'})`,
          action: `if no maintenance is under way, run on ${r.target}: ${startStatement(r.flavor, c.name)}`,
          details: { ioState: c.ioState, sqlRunning: c.sqlRunning },
        },
        c,
      );
    }
  }
  return [...byCode.values()];
}

export function analyseCluster(input: ClusterReadings): ClusterAnalysis {
  const { cluster, primary } = input;
  const style = input.commands;
  const findings: Finding[] = [];
  const observations: ClusterAnalysis['observations'] = [];
  const lags = new Map<string, number | null>();

  const primaryOwnRow = primary.heartbeat?.find((h) => h.serverId === primary.serverId);
  observations.push({
    kind: 'mysql-primary',
    cluster,
    target: primary.target,
    reachable: primary.reachable,
    readOnly: primary.readOnly ?? null,
    heartbeatAgeSeconds: primaryOwnRow?.ageSeconds ?? null,
    probeMs: round(primary.probeMs),
    ...(primary.error ? { error: reason(primary) } : {}),
  });

  // Replicas' findings that a dead primary explains (DEAD_PRIMARY_SYMPTOMS): folded into its one
  // finding when it is down, emitted as they are otherwise.
  const replicaSymptoms: Finding[] = [];
  const votes: Vote[] = [];

  for (const r of input.replicas) {
    const obs: MysqlReplicaObservation = {
      kind: 'mysql-replica',
      cluster,
      target: r.target,
      reachable: r.reachable,
      lagSeconds: null,
      lagSource: null,
      ioRunning: null,
      sqlRunning: null,
      readOnly: r.readOnly ?? null,
      source: null,
      probeMs: round(r.probeMs),
    };
    observations.push(obs);
    if (!r.reachable) {
      lags.set(r.target, null);
      findings.push(
        refused(r)
          ? {
              code: 'ReplicaUnreachable',
              severity: 'warning',
              cluster,
              target: r.target,
              summary: refusal(r),
              action: fixAccount(r),
              details: { scope: 'monitor-path', error: r.error, probeMs: round(r.probeMs) },
            }
          : {
              code: 'ReplicaUnreachable',
              severity: 'critical',
              cluster,
              target: r.target,
              summary: `cannot query ${endpoint(r)}: ${reason(r)}`,
              action: `check that mariadbd/mysqld runs on ${endpoint(r)} and that replwatch can reach it`,
              details: { error: r.error, probeMs: round(r.probeMs) },
            },
      );
      obs.error = reason(r);
      continue;
    }
    if (input.aurora) {
      const { figure, why } = auroraLag(input, r);
      obs.lagSeconds = figure.lagSeconds;
      obs.lagSource = figure.lagSource;
      lags.set(r.target, figure.lagSeconds);
      const lagFinding = lagFindingFor(input, r.target, figure);
      for (const f of [...(why ? [lagUnknown(input, r.target, why)] : []), ...(lagFinding ? [lagFinding] : [])]) (DEAD_PRIMARY_SYMPTOMS.has(f.code) ? replicaSymptoms : findings).push(f);
      const vote = auroraVote(input, r);
      if (vote) votes.push(vote);
      continue;
    }
    const channels = r.channels ?? [];
    const main = primaryChannel(r, primary, input.lastPrimaryServerId);
    const shown = main ?? channels[0];
    if (shown) {
      obs.ioRunning = shown.ioRunning;
      obs.sqlRunning = shown.sqlRunning;
      obs.source = { host: shown.sourceHost, port: shown.sourcePort };
    }

    if (channels.length === 0) {
      findings.push({
        code: 'NotReplicating',
        severity: 'critical',
        cluster,
        target: r.target,
        summary: `no replication configured on ${r.target} (replica status is empty)`,
        runbook: rebuildCommand(cluster, r.target, style),
        details: {},
      });
    } else if (!main && (primary.reachable || primary.serverId !== undefined)) {
      // Only a reachable primary can prove a replica follows someone else; an unreachable one
      // known by another name (DNS vs IP) must not page as WrongPrimary.
      findings.push({
        code: 'WrongPrimary',
        severity: 'critical',
        cluster,
        target: r.target,
        summary: `replicates from ${channels.map((c) => endpoint({ host: c.sourceHost, port: c.sourcePort })).join(', ')}, not the configured primary ${endpoint(primary)}`,
        action: `confirm which server is the primary; fix the config, or repoint ${r.target} with CHANGE MASTER TO`,
        details: { sources: channels.map((c) => ({ channel: c.name, host: c.sourceHost, port: c.sourcePort, serverId: c.sourceServerId })), configuredPrimary: endpoint(primary) },
      });
    }

    const threads = threadFindings(cluster, r, style);
    if (main && !primary.reachable) {
      const from = endpoint({ host: main.sourceHost, port: main.sourcePort });
      if (!main.ioRunning || main.ioErrno !== 0) votes.push({ target: r.target, alive: false, evidence: `IO thread ${main.ioState || 'No'}${main.ioErrno ? `: ${main.ioErrno} ${main.ioError}`.trimEnd() : ', no error yet'}` });
      else {
        // A running IO thread only says the TCP connection is up: a frozen primary keeps it up
        // until slave_net_timeout. The heartbeat it carries says whether the primary still writes
        // (no question for a primary that answered and refused the monitor's account).
        const heard = refused(primary) ? undefined : heartbeatTestimony(input, r, main);
        const io = `IO thread running, from ${from}`;
        votes.push(heard ? { ...heard, evidence: `${io}, ${heard.alive ? 'and' : 'but'} ${heard.evidence}` } : { target: r.target, alive: true, evidence: io });
      }
    }

    // Where super_read_only exists (MySQL), read_only alone still lets SUPER accounts write.
    const writable = r.readOnly === false ? 'read_only' : r.superReadOnly === false ? 'super_read_only' : undefined;
    if (writable) {
      findings.push({
        code: 'ReplicaWritable',
        severity: 'warning',
        cluster,
        target: r.target,
        summary:
          writable === 'read_only'
            ? `read_only is OFF on ${r.target}: a write there diverges it from the primary`
            : `super_read_only is OFF on ${r.target}: an account with SUPER or CONNECTION_ADMIN can still write there and diverge it`,
        action: `run on ${r.target}: ${r.flavor === 'mysql' ? 'SET GLOBAL super_read_only = ON' : 'SET GLOBAL read_only = ON'}`,
        details: { readOnly: r.readOnly, superReadOnly: r.superReadOnly ?? null },
      });
    }

    if (primary.reachable && r.flavor === primary.flavor && r.gtidExecuted !== undefined && primary.gtidExecuted !== undefined) {
      const flavor = primary.flavor ?? 'mariadb';
      const origin = flavor === 'mysql' ? (primary.serverUuid ?? '') : String(primary.serverId);
      const errant = errantTransactions({
        flavor,
        replicaGtids: r.gtidExecuted,
        primaryGtids: primary.gtidExecuted,
        primaryOrigin: origin,
        ...(main ? { otherSources: otherSources(flavor, r, main, primary.gtidExecuted) } : {}),
      });
      if (errant) {
        findings.push({
          code: 'ErrantTransactions',
          severity: 'critical',
          cluster,
          target: r.target,
          summary: `transactions exist only on ${r.target}, never on the primary: ${errant.length > 120 ? `${errant.slice(0, 117)}...` : errant}`,
          runbook: rebuildCommand(cluster, r.target, style),
          details: { errant, replicaGtids: r.gtidExecuted, primaryGtids: primary.gtidExecuted },
        });
      }
    }

    let figure: LagFigure = { lagSeconds: null, lagSource: null };
    if (main) {
      figure = replicaLag({ channel: main, ...heartbeatPair(input, r) });
    }
    obs.lagSeconds = figure.lagSeconds;
    obs.lagSource = figure.lagSource;
    lags.set(r.target, figure.lagSeconds);

    // A thread stopped for a reason of its own (an SQL error, STOP SLAVE) says more than its lag.
    const lagFinding = threads.some((f) => !DEAD_PRIMARY_SYMPTOMS.has(f.code)) ? undefined : lagFindingFor(input, r.target, figure);
    for (const f of [...threads, ...(lagFinding ? [lagFinding] : [])]) (DEAD_PRIMARY_SYMPTOMS.has(f.code) ? replicaSymptoms : findings).push(f);
  }

  findings.push(...primaryFindings(input, votes, replicaSymptoms));
  findings.push(...privilegeFindings(cluster, [primary, ...input.replicas]));
  return { observations, findings, lags };
}

/**
 * An Aurora reader has no threads, source or GTIDs of its own to judge (it reads the writer's
 * storage): only its lag, from the heartbeat when the cluster has one, else from CloudWatch.
 */
function auroraLag(input: ClusterReadings, r: ServerReading): { figure: LagFigure; why?: string } {
  if (input.heartbeat) {
    const figure = replicaLag(heartbeatPair(input, r));
    return figure.lagSeconds === null ? { figure, why: `no heartbeat row of the writer on ${r.target}${r.heartbeatError ? `: ${r.heartbeatError}` : ''}` } : { figure };
  }
  const read = input.aurora?.lag(r.target) ?? { error: 'AuroraReplicaLag was not read' };
  if ('error' in read) return { figure: { lagSeconds: null, lagSource: null }, why: read.error };
  return { figure: { lagSeconds: Math.round(read.lagSeconds * 1000) / 1000, lagSource: 'cloudwatch' } };
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
    return { target: r.target, alive: false, evidence: `${age}${backlog > 0 ? ` (${backlog} s of it ${r.target}'s own backlog)` : ''}, stale after ${input.heartbeat.staleSeconds} s: the primary stopped writing` };
  }
  const lostFor = input.primaryLost && r.heartbeatReadAt !== undefined ? (r.heartbeatReadAt - input.primaryLost.at) / 1000 : undefined;
  if (lostFor !== undefined && copy.ageSeconds + WRITTEN_SINCE_MARGIN_S < lostFor) return { target: r.target, alive: true, evidence: `${age}: written after replwatch lost the primary ${lostFor.toFixed(1)} s ago` };
  return { target: r.target, alive: null, evidence: `${age}, not younger than replwatch's ${(lostFor ?? 0).toFixed(1)} s without the primary` };
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

function lagUnknown(input: ClusterReadings, target: string, why: string): Finding {
  return {
    code: 'LagUnknown',
    severity: 'warning',
    cluster: input.cluster,
    target,
    summary: `lag of ${target} is unknown: ${why}`,
    action: input.heartbeat
      ? `check the heartbeat writer on the primary, and that ${target} can read the heartbeat table`
      : `check the replica's rdsInstanceId and that replwatch may call cloudwatch:GetMetricData; or give the cluster a heartbeat table`,
    details: { why, source: input.heartbeat ? 'heartbeat' : 'cloudwatch' },
  };
}

function lagFindingFor(input: ClusterReadings, target: string, figure: LagFigure): Finding | undefined {
  const samples = [...input.lagHistory(target), figure.lagSeconds];
  const severity = sustainedLagSeverity(samples, input.lag);
  if (!severity || figure.lagSeconds === null) return undefined;
  const threshold = severity === 'critical' ? input.lag.criticalSeconds : input.lag.warningSeconds;
  return {
    code: 'ReplicaLagging',
    severity,
    cluster: input.cluster,
    target,
    summary: `lag ${figure.lagSeconds.toFixed(1)} s (${figure.lagSource}), over the ${severity} threshold of ${threshold} s for ${input.lag.sustainedSamples} samples`,
    action: `look for a long transaction or a write burst on the primary, and for disk or CPU pressure on ${target}`,
    details: { lagSeconds: figure.lagSeconds, lagSource: figure.lagSource, samples: samples.slice(-input.lag.sustainedSamples), thresholds: input.lag },
  };
}

/**
 * The primary: reachable (then only its heartbeat is judged), or not. When it refused the
 * monitor's account, it is up and the monitor is misconfigured (a warning). Otherwise the
 * replicas testify: if any still replicates from it, the fault is on replwatch's own path
 * (a warning); if none does, or none can be asked, it is down (critical, one finding that
 * absorbs the replicas' IO errors and lag, which are only its symptoms).
 */
function primaryFindings(input: ClusterReadings, votes: Vote[], symptoms: Finding[]): Finding[] {
  const { primary, cluster } = input;
  if (primary.reachable) {
    const out = [...symptoms];
    if (input.heartbeat) {
      const own = primary.heartbeat?.find((h) => h.serverId === primary.serverId);
      if (!own || own.ageSeconds > input.heartbeat.staleSeconds) {
        out.push({
          code: 'HeartbeatStale',
          severity: 'warning',
          cluster,
          target: primary.target,
          summary: own
            ? `heartbeat on the primary is ${own.ageSeconds.toFixed(1)} s old: the writer has stopped; lag is still measured against it`
            : `no heartbeat row for server_id ${primary.serverId} on the primary${primary.heartbeatError ? `: ${primary.heartbeatError}` : ''}`,
          action: `start the heartbeat writer (the heartbeat function, or: ${replwatchLine(`heartbeat install --cluster ${cluster}`, input.commands)})`,
          details: { ageSeconds: own?.ageSeconds ?? null, staleSeconds: input.heartbeat.staleSeconds },
        });
      }
    }
    return out;
  }
  const alive = votes.filter((v) => v.alive);
  // The primary serves (or may serve) its replicas; what failed is replwatch's own way to it.
  const monitorPath = (summary: string, action: string): Finding => ({ code: 'PrimaryUnreachable', severity: 'warning', cluster, target: primary.target, summary, action, details: { scope: 'monitor-path', error: primary.error, replicas: votes } });
  if (refused(primary)) {
    return [...symptoms, monitorPath(`${refusal(primary)}${alive.length > 0 ? `; ${alive.map((v) => v.target).join(', ')} still replicate from it` : ''}`, fixAccount(primary))];
  }
  if (alive.length > 0) {
    return [
      ...symptoms,
      monitorPath(
        `replwatch cannot reach the primary ${endpoint(primary)} (${reason(primary)}), but ${alive.map((v) => v.target).join(', ')} still replicate from it: the fault is on the monitor's own network path`,
        `check the route, security group and DNS from replwatch to ${endpoint(primary)}; the database itself is serving its replicas`,
      ),
    ];
  }
  const undecided = votes.filter((v) => v.alive === null);
  const heard = votes.map((v) => `${v.target}: ${v.evidence}`).join('; ');
  const absorbed = symptoms.map((s) => ({ code: s.code, target: s.target, summary: s.summary }));
  if (undecided.length > 0) {
    // Unreachable, and the replicas' heartbeat copies are not stale yet but show no write since the
    // monitor lost it: frozen primary or the monitor's own path, the next samples tell. Not paged
    // until they do (provisional), so neither the wrong verdict nor the replicas' symptoms page.
    return [
      {
        code: 'PrimaryUnreachable',
        severity: 'critical',
        cluster,
        target: primary.target,
        summary: `primary ${endpoint(primary)} is unreachable (${reason(primary)}) and no replica has heard from it since: down once their heartbeat copies pass ${input.heartbeat?.staleSeconds} s, the monitor's own path if they show a row written since (${heard})`,
        action: `check mariadbd/mysqld on ${endpoint(primary)} (running, not frozen), and the path from replwatch to it`,
        details: { scope: 'database', verdict: 'undecided', error: primary.error, replicas: votes, absorbed },
      },
    ];
  }
  return [
    {
      code: 'PrimaryUnreachable',
      severity: 'critical',
      cluster,
      target: primary.target,
      summary:
        votes.length > 0
          ? `primary ${endpoint(primary)} is down: replwatch cannot reach it (${reason(primary)}) and no replica hears from it (${heard})`
          : `primary ${endpoint(primary)} is unreachable (${reason(primary)}) and no replica could confirm it is alive`,
      action: `check mariadbd/mysqld on ${endpoint(primary)} (running, not frozen); if it cannot come back, promote a replica`,
      details: { scope: 'database', error: primary.error, replicas: votes, absorbed },
    },
  ];
}

function privilegeFindings(cluster: string, readings: ServerReading[]): Finding[] {
  return readings
    .filter((r) => r.reachable && (r.grants?.excess.length ?? 0) > 0)
    .map((r) => ({
      code: 'MonitorOverPrivileged' as const,
      severity: 'info' as const,
      cluster,
      target: r.target,
      summary: `replwatch's account holds more than a monitor needs on ${r.target}: ${r.grants!.excess.join(', ')}`,
      action: 'grant only what docs/config.md#grants lists (REPLICATION CLIENT, SLAVE MONITOR, SELECT on the heartbeat table)',
      details: { excess: r.grants!.excess },
    }));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
