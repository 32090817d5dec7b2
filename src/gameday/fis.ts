import type { Config } from '../config/schema';

/**
 * The fields of FIS CreateExperimentTemplate that replwatch writes (the file is the input of
 * `aws fis create-experiment-template --cli-input-json file://...`).
 */
export interface FisTemplate {
  description: string;
  roleArn: string;
  stopConditions: Array<{ source: 'aws:cloudwatch:alarm' | 'none'; value?: string }>;
  targets: Record<string, FisTarget>;
  actions: Record<string, FisAction>;
  tags: Record<string, string>;
  experimentOptions: { accountTargeting: 'single-account'; emptyTargetResolutionMode: 'fail' | 'skip' };
}

export interface FisTarget {
  resourceType: 'aws:rds:db' | 'aws:ec2:subnet' | 'aws:ec2:instance';
  resourceArns?: string[];
  resourceTags?: Record<string, string>;
  filters?: Array<{ path: string; values: string[] }>;
  selectionMode: 'ALL' | `COUNT(${number})`;
}

export interface FisAction {
  actionId: 'aws:rds:reboot-db-instances' | 'aws:network:disrupt-connectivity' | 'aws:ssm:send-command';
  description: string;
  parameters: Record<string, string>;
  targets: Record<string, string>;
}

export interface FisExperiment {
  /** Which local scenario it mirrors, and what replwatch must page when it runs. */
  scenario: string;
  expect: string;
  file: string;
  template: FisTemplate;
}

export interface FisOptions {
  account: string;
  region: string;
  /** The deployed stage, to name the monitor's alarm (service `replwatch`). */
  stage: string;
  /** The role FIS assumes; default `replwatch-fis-<stage>` in the account. */
  roleArn?: string;
  /** How long network faults last (ISO 8601); default 2 minutes, longer than one check period. */
  duration?: string;
}

/** The tag that marks EC2 instances and subnets a drill may break (FIS selects by tag, not address). */
export const GAMEDAY_TAG = 'replwatch:gameday';

const slug = (s: string) => s.replace(/[^A-Za-z0-9-]+/g, '-');

/** The pieces every template shares (ARNs, the stop condition, tags) and the two kinds of action the drills repeat. */
function experimentKit(o: FisOptions) {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${o.region}:${o.account}:${resource}`;
  const duration = o.duration ?? 'PT2M';
  const seconds = String(isoSeconds(duration));
  const base = (scenario: string, description: string, expect: string) => ({
    description: description.slice(0, 512),
    roleArn: o.roleArn ?? `arn:aws:iam::${o.account}:role/replwatch-fis-${o.stage}`,
    stopConditions: [{ source: 'aws:cloudwatch:alarm' as const, value: arn('cloudwatch', `alarm:replwatch-${o.stage}-monitor-not-reporting`) }],
    tags: { Name: `replwatch-${scenario}`, 'replwatch:scenario': scenario, 'replwatch:expect': expect },
    experimentOptions: { accountTargeting: 'single-account' as const, emptyTargetResolutionMode: 'fail' as const },
  });
  const out: FisExperiment[] = [];
  const add = (scenario: string, expect: string, description: string, rest: Pick<FisTemplate, 'targets' | 'actions'>) =>
    out.push({ scenario, expect, file: `replwatch-fis-${slug(scenario)}.json`, template: { ...base(scenario, description, expect), ...rest } });
  const ssm = (document: string, parameters: Record<string, string>) => ({
    documentArn: `arn:aws:ssm:${o.region}::document/${document}`,
    documentParameters: JSON.stringify(parameters),
    duration,
  });
  // The network-group and memcache-pool drills both run one AWS-owned SSM document on one running instance carrying the drill tag.
  const onOneTaggedInstance = (
    scenario: string,
    expect: string,
    description: string,
    a: { tag: string; action: string; document: string; parameters: Record<string, string>; description?: string },
  ) =>
    add(scenario, expect, description, {
      targets: {
        instances: {
          resourceType: 'aws:ec2:instance',
          resourceTags: { [GAMEDAY_TAG]: a.tag },
          filters: [{ path: 'State.Name', values: ['running'] }],
          selectionMode: 'COUNT(1)',
        },
      },
      actions: {
        [a.action]: {
          actionId: 'aws:ssm:send-command',
          description: a.description ?? a.document,
          parameters: ssm(a.document, a.parameters),
          targets: { Instances: 'instances' },
        },
      },
    });

  // Both RDS drills reboot DB instances: one replica without failover, or the primary onto its standby.
  const rebootRds = (scenario: string, expect: string, description: string, r: { ids: string[]; one: boolean; failover: boolean; why: string }) =>
    add(scenario, expect, description, {
      targets: {
        [r.one ? 'replicas' : 'primary']: {
          resourceType: 'aws:rds:db',
          resourceArns: r.ids.map((id) => arn('rds', `db:${id}`)),
          selectionMode: r.one ? 'COUNT(1)' : 'ALL',
        },
      },
      actions: {
        [r.failover ? 'failoverPrimary' : 'rebootReplica']: {
          actionId: 'aws:rds:reboot-db-instances',
          description: r.why,
          parameters: { forceFailover: String(r.failover) },
          targets: { DBInstances: r.one ? 'replicas' : 'primary' },
        },
      },
    });
  return { out, add, arn, duration, seconds, onOneTaggedInstance, rebootRds };
}

/**
 * FIS experiment templates for the same drill in a staging account: RDS replica reboot and primary
 * failover for each cluster with RDS ids, network disruption of tagged subnets, and the packet
 * loss and kill-process SSM documents on tagged instances. Each stops itself when the monitor's
 * dead-man alarm fires: a drill nobody watches is not a drill. Pure.
 */
export function fisTemplates(config: Config, o: FisOptions): FisExperiment[] {
  const { out, add, duration, seconds, onOneTaggedInstance, rebootRds } = experimentKit(o);
  for (const c of config.clusters) {
    const replicas = c.replicas.flatMap((r) => (r.rdsInstanceId ? [r.rdsInstanceId] : []));
    if (replicas.length)
      rebootRds(
        `${c.name}-replica-reboot`,
        'ReplicaUnreachable or ReplicaIoError, then resolved',
        `replwatch game day: reboot one RDS read replica of ${c.name}`,
        {
          ids: replicas,
          one: true,
          failover: false,
          why: 'reboot one replica (no failover)',
        },
      );
    if (c.primary.rdsInstanceId)
      rebootRds(
        `${c.name}-primary-failover`,
        'PrimaryUnreachable (one page), then resolved',
        `replwatch game day: Multi-AZ failover of the primary of ${c.name}`,
        {
          ids: [c.primary.rdsInstanceId],
          one: false,
          failover: true,
          why: 'reboot the primary with failover to its standby',
        },
      );
  }
  add(
    'network-disruption',
    'HostUnreachable / PrimaryUnreachable / MemcacheUnreachable for the cut hosts',
    'replwatch game day: cut the subnets tagged for the drill off from everything',
    {
      targets: { subnets: { resourceType: 'aws:ec2:subnet', resourceTags: { [GAMEDAY_TAG]: 'network' }, selectionMode: 'ALL' } },
      actions: {
        disrupt: {
          actionId: 'aws:network:disrupt-connectivity',
          description: `drop all traffic of the subnets for ${duration}`,
          parameters: { duration, scope: 'all' },
          targets: { Subnets: 'subnets' },
        },
      },
    },
  );
  for (const g of config.network) {
    onOneTaggedInstance(
      `${g.name}-packet-loss`,
      `PacketLoss on ${g.name}'s targets`,
      `replwatch game day: 30% packet loss on the instances of network group ${g.name}`,
      {
        tag: g.name,
        action: 'packetLoss',
        document: 'AWSFIS-Run-Network-Packet-Loss',
        parameters: { DurationSeconds: seconds, LossPercent: '30', Interface: 'eth0', InstallDependencies: 'True' },
      },
    );
  }
  for (const p of config.memcache) {
    onOneTaggedInstance(
      `${p.name}-memcached-killed`,
      `MemcacheUnreachable in pool ${p.name}`,
      `replwatch game day: kill memcached on one instance of pool ${p.name}`,
      {
        tag: p.name,
        action: 'killMemcached',
        document: 'AWSFIS-Run-Kill-Process',
        parameters: { ProcessName: 'memcached', Signal: 'SIGKILL' },
        description: 'AWSFIS-Run-Kill-Process memcached',
      },
    );
  }
  return out;
}

/** PT2M -> 120. Only the hours/minutes/seconds forms FIS uses for durations. */
export function isoSeconds(duration: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(duration);
  if (!m || duration === 'PT') throw new Error(`not an ISO 8601 duration like PT2M or PT90S: ${JSON.stringify(duration)}`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}
