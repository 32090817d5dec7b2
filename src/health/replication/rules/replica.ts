import { replwatchLine, type CommandStyle } from '../../../model/commands';
import type { Finding } from '../../../model/findings';
import type { ReplicationChannel, ServerReading } from '../../../model/observations';
import { sustainedLagSeverity } from '../../lag';
import { endpoint, ioFailing, reason, sqlBroken, stoppedClean, type ClusterFacts, type ReplicaFacts } from '../facts';

/** One rule per situation a replica can be in: each looks at the facts and names what it sees. */
export type ReplicaRule = (c: ClusterFacts, r: ReplicaFacts) => Finding[];

export function rebuildCommand(cluster: string, replica: string, style?: CommandStyle): string {
  return replwatchLine(`runbook rebuild-replica --cluster ${cluster} --replica ${replica}`, style);
}

/** MariaDB wraps the real error in event coordinates; keep the part a person needs. */
export function shortSqlError(errno: number, error: string): string {
  const inner = /;\s*(.+?),\s*Error_code:\s*\d+/.exec(error)?.[1] ?? /^Error '(.+?)' on query/.exec(error)?.[1];
  const text = (inner ?? error).trim();
  return `${errno} ${text.length > 200 ? `${text.slice(0, 197)}...` : text}`;
}

export const round = (ms: number): number => Math.round(ms * 10) / 10;

const of = (c: ClusterFacts, r: ReplicaFacts) => ({ cluster: c.input.cluster, target: r.reading.target });

export const replicaUnreachable: ReplicaRule = (c, f) => {
  if (f.reach !== 'unreachable') return [];
  const r = f.reading;
  const action = `check that mariadbd/mysqld runs on ${endpoint(r)} and that replwatch can reach it`;
  return [
    {
      ...of(c, f),
      code: 'ReplicaUnreachable',
      severity: 'critical',
      summary: `cannot query ${endpoint(r)}: ${reason(r)}`,
      action,
      details: { error: r.error, probeMs: round(r.probeMs) },
    },
  ];
};

export const notReplicating: ReplicaRule = (c, r) =>
  r.reach !== 'answered' || r.aurora || r.channels.length > 0
    ? []
    : [
        {
          ...of(c, r),
          code: 'NotReplicating',
          severity: 'critical',
          summary: `no replication configured on ${r.reading.target} (replica status is empty)`,
          details: {},
        },
      ];

/**
 * Only a reachable primary can prove a replica follows someone else; an unreachable one known by
 * another name (DNS vs IP) must not page as WrongPrimary.
 */
export const wrongPrimary: ReplicaRule = (c, r) => {
  if (r.reach !== 'answered' || r.aurora || r.channels.length === 0 || r.main || !(c.primary.reachable || c.primary.serverId !== undefined)) return [];
  const sources = r.channels.map((ch) => endpoint({ host: ch.sourceHost, port: ch.sourcePort }));
  return [
    {
      ...of(c, r),
      code: 'WrongPrimary',
      severity: 'critical',
      summary: `replicates from ${sources.join(', ')}, not the configured primary ${endpoint(c.primary)}`,
      action: `confirm which server is the primary; fix the config, or repoint ${r.reading.target} with CHANGE MASTER TO`,
      details: {
        sources: r.channels.map((ch) => ({ channel: ch.name, host: ch.sourceHost, port: ch.sourcePort, serverId: ch.sourceServerId })),
        configuredPrimary: endpoint(c.primary),
      },
    },
  ];
};

export const replicaWritable: ReplicaRule = (c, r) =>
  !r.writable
    ? []
    : [
        {
          ...of(c, r),
          code: 'ReplicaWritable',
          severity: 'warning',
          summary:
            r.writable === 'read_only'
              ? `read_only is OFF on ${r.reading.target}: a write there diverges it from the primary`
              : `super_read_only is OFF on ${r.reading.target}: an account with SUPER or CONNECTION_ADMIN can still write there and diverge it`,
          action: `run on ${r.reading.target}: ${r.reading.flavor === 'mysql' ? 'SET GLOBAL super_read_only = ON' : 'SET GLOBAL read_only = ON'}`,
          details: { readOnly: r.reading.readOnly, superReadOnly: r.reading.superReadOnly ?? null },
        },
      ];

export const errantTransactions: ReplicaRule = (c, r) =>
  !r.errant
    ? []
    : [
        {
          ...of(c, r),
          code: 'ErrantTransactions',
          severity: 'critical',
          summary: `transactions exist only on ${r.reading.target}, never on the primary: ${r.errant.length > 120 ? `${r.errant.slice(0, 117)}...` : r.errant}`,
          details: { errant: r.errant, replicaGtids: r.reading.gtidExecuted, primaryGtids: c.primary.gtidExecuted },
        },
      ];

function startStatement(flavor: ServerReading['flavor'], channel: string): string {
  if (flavor === 'mysql') return channel ? `START REPLICA FOR CHANNEL '${channel}'` : 'START REPLICA';
  return channel ? `START SLAVE '${channel}'` : 'START SLAVE';
}

const channelLabel = (ch: ReplicationChannel) => (ch.name ? ` (channel '${ch.name}')` : '');

/** The replication threads of every channel: one finding per code, naming the channels it covers. */
export const threadStates: ReplicaRule = (c, r) => {
  if (r.reach !== 'answered' || r.aurora) return [];
  const byCode = new Map<string, Finding>();
  const add = (f: Finding, ch: ReplicationChannel) => {
    const seen = byCode.get(f.code);
    if (seen) (seen.details.channels as string[]).push(ch.name);
    else byCode.set(f.code, { ...f, details: { ...f.details, channels: [ch.name] } });
  };
  const { target, flavor } = r.reading;
  for (const ch of r.channels) {
    const source = endpoint({ host: ch.sourceHost, port: ch.sourcePort });
    if (sqlBroken(ch)) {
      const summary = `SQL thread stopped${channelLabel(ch)}: ${shortSqlError(ch.sqlErrno, ch.sqlError)}`;
      add(
        {
          ...of(c, r),
          code: 'ReplicationBroken',
          severity: 'critical',
          summary,
          details: { lastSqlErrno: ch.sqlErrno, lastSqlError: ch.sqlError, source },
        },
        ch,
      );
    }
    if (ioFailing(ch)) {
      const summary = `IO thread ${ch.ioState === 'Connecting' ? 'cannot connect' : 'stopped'}${channelLabel(ch)}: ${ch.ioErrno} ${ch.ioError}`;
      const action = `check that ${source} is up and reachable from ${target}, and the replication account's credentials`;
      add(
        {
          ...of(c, r),
          code: 'ReplicaIoError',
          severity: 'critical',
          summary,
          action,
          details: { lastIoErrno: ch.ioErrno, lastIoError: ch.ioError, ioState: ch.ioState, source },
        },
        ch,
      );
    }
    if (stoppedClean(ch)) {
      const summary = `replication stopped with no error${channelLabel(ch)} (IO thread: ${ch.ioState || 'No'}, SQL thread: ${ch.sqlRunning ? 'Yes' : 'No'})`;
      add(
        {
          ...of(c, r),
          code: 'ReplicationStopped',
          severity: 'warning',
          summary,
          action: `if no maintenance is under way, run on ${target}: ${startStatement(flavor, ch.name)}`,
          details: { ioState: ch.ioState, sqlRunning: ch.sqlRunning },
        },
        ch,
      );
    }
  }
  return [...byCode.values()];
};

export const lagUnknown: ReplicaRule = (c, r) =>
  !r.lagUnknown
    ? []
    : [
        {
          ...of(c, r),
          code: 'LagUnknown',
          severity: 'warning',
          summary: `lag of ${r.reading.target} is unknown: ${r.lagUnknown}`,
          action: c.input.heartbeat
            ? `check the heartbeat writer on the primary, and that ${r.reading.target} can read the heartbeat table`
            : `check the replica's rdsInstanceId and that replwatch may call cloudwatch:GetMetricData; or give the cluster a heartbeat table`,
          details: { why: r.lagUnknown, source: c.input.heartbeat ? 'heartbeat' : 'cloudwatch' },
        },
      ];

/** A thread stopped for a reason of its own (an SQL error, STOP SLAVE) says more than its lag. */
export const lagging: ReplicaRule = (c, r) => {
  if (r.reach !== 'answered' || r.channels.some((ch) => sqlBroken(ch) || stoppedClean(ch))) return [];
  const { lag, thresholds } = { lag: r.lag, thresholds: c.input.lag };
  const samples = [...c.input.lagHistory(r.reading.target), lag.lagSeconds];
  const severity = sustainedLagSeverity(samples, thresholds);
  if (!severity || lag.lagSeconds === null) return [];
  const threshold = severity === 'critical' ? thresholds.criticalSeconds : thresholds.warningSeconds;
  return [
    {
      ...of(c, r),
      code: 'ReplicaLagging',
      severity,
      summary: `lag ${lag.lagSeconds.toFixed(1)} s (${lag.lagSource}), over the ${severity} threshold of ${threshold} s for ${thresholds.sustainedSamples} samples`,
      action: `look for a long transaction or a write burst on the primary, and for disk or CPU pressure on ${r.reading.target}`,
      details: { lagSeconds: lag.lagSeconds, lagSource: lag.lagSource, samples: samples.slice(-thresholds.sustainedSamples), thresholds },
    },
  ];
};
