import { replwatchLine } from '../../../model/commands';
import type { Finding } from '../../../model/findings';
import { endpoint, reason, type ClusterFacts } from '../facts';
import { monitorRefused } from './monitor';

/*
 * The primary: reachable (then only its heartbeat is judged), or not. When it refused the
 * monitor's account, it is up and the monitor is misconfigured. Otherwise the replicas testify:
 * if any still replicates from it, the fault is on replwatch's own path; if none does, or none can
 * be asked, it is down: one finding that absorbs the replicas' symptoms (IO errors, lag).
 * `symptoms`: the replicas' findings a dead primary explains, passed through when it is not dead.
 */
export type PrimaryRule = (c: ClusterFacts, symptoms: Finding[]) => Finding[] | undefined;

export const heartbeatStale: PrimaryRule = (c, symptoms) => {
  const { primary, input } = c;
  if (!primary.reachable) return undefined;
  const own = primary.heartbeat?.find((h) => h.serverId === primary.serverId);
  if (!input.heartbeat || (own && own.ageSeconds <= input.heartbeat.staleSeconds)) return symptoms;
  const stale: Finding = {
    code: 'HeartbeatStale',
    severity: 'warning',
    cluster: input.cluster,
    target: primary.target,
    summary: own
      ? `heartbeat on the primary is ${own.ageSeconds.toFixed(1)} s old: the writer has stopped; lag is still measured against it`
      : `no heartbeat row for server_id ${primary.serverId} on the primary${primary.heartbeatError ? `: ${primary.heartbeatError}` : ''}`,
    action: `start the heartbeat writer (the heartbeat function, or: ${replwatchLine(`heartbeat install --cluster ${input.cluster}`, input.commands)})`,
    details: { ageSeconds: own?.ageSeconds ?? null, staleSeconds: input.heartbeat.staleSeconds },
  };
  return [...symptoms, stale];
};

export const primaryRefused: PrimaryRule = (c, symptoms) =>
  c.primaryReach === 'refused' ? [...symptoms, monitorRefused(c.input.cluster, c.primary, c.votes)] : undefined;

/** The primary serves (or may serve) its replicas; what failed is replwatch's own way to it. */
export const monitorPathDown: PrimaryRule = (c, symptoms) => {
  const alive = c.votes.filter((v) => v.alive);
  if (alive.length === 0) return undefined;
  const { primary } = c;
  return [
    ...symptoms,
    {
      code: 'MonitorPathDown',
      severity: 'warning',
      cluster: c.input.cluster,
      target: primary.target,
      summary: `replwatch cannot reach the primary ${endpoint(primary)} (${reason(primary)}), but ${alive.map((v) => v.target).join(', ')} still replicate from it: the fault is on the monitor's own network path`,
      action: `check the route, security group and DNS from replwatch to ${endpoint(primary)}; the database itself is serving its replicas`,
      details: { scope: 'monitor-path', error: primary.error, replicas: c.votes },
    },
  ];
};

/**
 * Unreachable, and the replicas' heartbeat copies are not stale yet but show no write since the
 * monitor lost it: frozen primary or the monitor's own path, the next samples tell. Not paged
 * until they do (provisional), so neither the wrong verdict nor the replicas' symptoms page.
 */
export const primaryUndecided: PrimaryRule = (c, symptoms) => {
  if (!c.votes.some((v) => v.alive === null)) return undefined;
  const { primary } = c;
  return primaryUnreachable(c, symptoms, {
    summary: `primary ${endpoint(primary)} is unreachable (${reason(primary)}) and no replica has heard from it since: down once their heartbeat copies pass ${c.input.heartbeat?.staleSeconds} s, the monitor's own path if they show a row written since (${heard(c)})`,
    action: `check mariadbd/mysqld on ${endpoint(primary)} (running, not frozen), and the path from replwatch to it`,
    verdict: 'undecided',
  });
};

export const primaryDown: PrimaryRule = (c, symptoms) => {
  const { primary } = c;
  return primaryUnreachable(c, symptoms, {
    summary:
      c.votes.length > 0
        ? `primary ${endpoint(primary)} is down: replwatch cannot reach it (${reason(primary)}) and no replica hears from it (${heard(c)})`
        : `primary ${endpoint(primary)} is unreachable (${reason(primary)}) and no replica could confirm it is alive`,
    action: `check mariadbd/mysqld on ${endpoint(primary)} (running, not frozen); if it cannot come back, promote a replica`,
  });
};

/** The one critical finding of a primary that is down, or may be: it absorbs what it explains. */
function primaryUnreachable(c: ClusterFacts, symptoms: Finding[], o: { summary: string; action: string; verdict?: 'undecided' }): Finding[] {
  const { primary } = c;
  return [
    {
      code: 'PrimaryUnreachable',
      severity: 'critical',
      cluster: c.input.cluster,
      target: primary.target,
      summary: o.summary,
      action: o.action,
      details: { scope: 'database', ...(o.verdict ? { verdict: o.verdict } : {}), error: primary.error, replicas: c.votes, absorbed: absorbed(symptoms) },
    },
  ];
}

const heard = (c: ClusterFacts) => c.votes.map((v) => `${v.target}: ${v.evidence}`).join('; ');
const absorbed = (symptoms: Finding[]) => symptoms.map((s) => ({ code: s.code, target: s.target, summary: s.summary }));

/** Asked in order; the first that applies is the primary's situation. */
export const PRIMARY_RULES: PrimaryRule[] = [heartbeatStale, primaryRefused, monitorPathDown, primaryUndecided, primaryDown];
