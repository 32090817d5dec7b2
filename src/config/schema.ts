import * as z from 'zod';
import { FINDING_CODES } from '../model/codes';

/**
 * The config file of ../shared/DESIGN.md. Every object is strict: a misspelt key is an error,
 * never silently ignored (a typo in `criticalSeconds` must not turn a threshold off).
 */

/** A password: a literal, or a reference resolved at run time (env:NAME, ssm:/path, secret:ARN). */
export const secretRef = z.string();

const port = z.number().int().min(1).max(65535);

export const DEFAULT_HOST_STEPS_DOCUMENT = 'replwatch-host-steps';
/** Where a physical rebuild's stream arrives when it crosses hosts: mariabackup's customary port. */
export const DEFAULT_STREAM_PORT = 4444;

const rdsInstanceId = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'expected an RDS instance identifier')
  .optional();

/**
 * Where a server's host commands run, for the physical rebuild: `local` (this machine, as this
 * user: a laptop, a bastion that is the host, the sandbox) or SSM Run Command on an EC2 instance.
 */
const agent = z
  .union([
    z.literal('local'),
    z.strictObject({
      ssm: z.string().regex(/^(i|mi)-[0-9a-f]{8,17}$/, 'expected an instance id such as i-0abc12345'),
      /** The SSM document that runs host-steps.sh there: the one serverless.yml deploys (param hostStepsDocument). */
      document: z
        .string()
        .regex(/^[a-zA-Z0-9_.-]{3,128}$/, 'expected an SSM document name')
        .default(DEFAULT_HOST_STEPS_DOCUMENT),
      /** The port this host takes a backup stream on, when it is the replica rebuilt (open it to the donor's security group). */
      streamPort: port.default(DEFAULT_STREAM_PORT),
    }),
  ])
  .optional();
/** How the server is started and stopped on its host, run through its agent (default: DEFAULT_SERVICE). */
const service = z.strictObject({ start: z.string().min(1).optional(), stop: z.string().min(1).optional() }).optional();
export const DEFAULT_SERVICE = { start: 'systemctl start mariadb', stop: 'systemctl stop mariadb' } as const;

const server = z.strictObject({
  name: z.string().min(1).optional(),
  host: z.string().min(1),
  port: port.default(3306),
  /** The RDS DBInstanceIdentifier, for game days in AWS (`gameday --emit-fis`). */
  rdsInstanceId,
  agent,
  service,
});

const replica = z.strictObject({
  name: z.string().min(1),
  host: z.string().min(1),
  port: port.default(3306),
  /** The RDS DBInstanceIdentifier (default: the name): `--strategy rds`, an Aurora reader's lag, `gameday --emit-fis`. */
  rdsInstanceId,
  agent,
  service,
});

const lag = z
  .strictObject({
    // Lag is compared with >=: at 0 every replica, however current, would be lagging.
    warningSeconds: z.number().positive().default(5),
    criticalSeconds: z.number().positive().default(30),
    sustainedSamples: z.number().int().min(1).max(60).default(2),
  })
  .refine((l) => l.warningSeconds <= l.criticalSeconds, {
    message: 'warningSeconds must not exceed criticalSeconds',
    path: ['warningSeconds'],
  });

const qualifiedTable = z.string().regex(/^[A-Za-z0-9_$]+\.[A-Za-z0-9_$]+$/, 'expected database.table, e.g. percona.heartbeat');

const tls = z.strictObject({
  /**
   * PEM file of the CAs the servers' certificates must chain to, relative to the config file.
   * Without it, Node's trusted CAs and NODE_EXTRA_CA_CERTS. Certificates are always verified.
   */
  ca: z.string().min(1).optional(),
});

const cluster = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, _ . - only'),
    primary: server,
    replicas: z.array(replica).min(1),
    user: z.string().min(1),
    password: secretRef.default(''),
    /**
     * An Aurora cluster: the replicas are readers on the writer's storage, with no replication
     * threads; their lag comes from the heartbeat when configured, else from AWS's
     * AuroraReplicaLag of each replica's rdsInstanceId (default: its name).
     */
    aurora: z.boolean().default(false),
    /** Connect with TLS (every account: monitor, heartbeat writer, runbook). */
    tls: tls.optional(),
    /** Per-operation deadline: connect, and each query. */
    timeoutMs: z.number().int().min(50).max(60_000).default(2000),
    lag: lag.default({ warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 2 }),
    heartbeat: z
      .strictObject({
        table: qualifiedTable,
        /** The writer's account, for the heartbeat function; defaults to the monitor's. */
        user: z.string().min(1).optional(),
        password: secretRef.optional(),
        /** Heartbeat older than this on the primary means the writer stopped. */
        staleSeconds: z.number().positive().default(10),
      })
      .optional(),
    replication: z.strictObject({ user: z.string().min(1), password: secretRef }).optional(),
    /** Run the rebuild plan (reads only) when a page calls for a rebuild, and attach it to the page. */
    autoPlan: z.boolean().default(false),
    /**
     * Let `replwatch watch` execute the rebuild itself when a rebuild-worthy alert fires: one at a
     * time per cluster, at most once per cool-down. The deployed functions never do.
     */
    autoRebuild: z.boolean().default(false),
    autoRebuildCooldownMinutes: z.number().positive().default(60),
    /** The rebuild runbook's account: reads everything on the donor, stops and loads the replica. */
    admin: z.strictObject({ user: z.string().min(1), password: secretRef }).optional(),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>([c.primary.name ?? `${c.name}-primary`]);
    c.replicas.forEach((r, i) => {
      if (seen.has(r.name)) {
        ctx.addIssue({ code: 'custom', message: `duplicate server name "${r.name}"`, path: ['replicas', i, 'name'] });
      }
      seen.add(r.name);
      if (r.host === c.primary.host && r.port === c.primary.port) {
        ctx.addIssue({ code: 'custom', message: 'a replica cannot be the primary itself', path: ['replicas', i] });
      }
    });
  });

const hostPort = z.string().superRefine((t, ctx) => {
  const m = /^[^\s:]+:(\d+)$/.exec(t);
  if (!m) ctx.addIssue({ code: 'custom', message: 'expected host:port' });
  // Node's connect throws on a port out of range, and for every target of the sample at once.
  else if (Number(m[1]) < 1 || Number(m[1]) > 65535) ctx.addIssue({ code: 'custom', message: 'the port must be from 1 to 65535' });
});

const memcachePool = z
  .strictObject({
    name: z.string().min(1),
    /** The nodes, or an ElastiCache configuration endpoint that lists them (auto discovery). */
    nodes: z.array(hostPort).min(1).optional(),
    configEndpoint: hostPort.optional(),
    /** Deadline of each operation: connect, version, stats, set, get, delete. */
    timeoutMs: z.number().int().min(10).max(30_000).default(500),
    /** A canary round trip slower than this is MemcacheSlow; default half the timeout, at most 100 ms. */
    slowMs: z.number().positive().optional(),
    /** Evictions per second (between two samples) above this are MemcacheDegraded. */
    evictionsPerSecond: z.number().nonnegative().default(100),
  })
  .superRefine((p, ctx) => {
    p.nodes?.forEach((n, i) => {
      if (p.nodes!.indexOf(n) !== i) ctx.addIssue({ code: 'custom', message: `${n} is listed twice in this pool`, path: ['nodes', i] });
    });
    if ((p.nodes === undefined) === (p.configEndpoint === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either nodes or configEndpoint (ElastiCache auto discovery), not both', path: ['nodes'] });
    }
    if (p.slowMs !== undefined && p.slowMs >= p.timeoutMs) {
      ctx.addIssue({ code: 'custom', message: 'slowMs must be below timeoutMs', path: ['slowMs'] });
    }
  });

const networkGroup = z
  .strictObject({
    name: z.string().min(1),
    targets: z.array(hostPort).default([]),
    probes: z.number().int().min(1).max(10_000).default(100),
    // Below the kernel's 1 s SYN retransmit, so a lost SYN is counted lost, not retried.
    timeoutMs: z.number().int().min(10).max(950, 'must stay below the 1 s SYN retransmit timer').default(300),
    loss: z
      .strictObject({
        // Compared with >=: at 0 a target losing nothing would be losing packets.
        warningPercent: z.number().positive().max(100).default(2),
        criticalPercent: z.number().positive().max(100).default(10),
      })
      .refine((l) => l.warningPercent <= l.criticalPercent, { message: 'warningPercent must not exceed criticalPercent', path: ['warningPercent'] })
      .default({ warningPercent: 2, criticalPercent: 10 }),
    /** CloudWatch Network Synthetic Monitor probes to read as well: target host:port -> probe id. */
    awsNetworkMonitor: z
      .strictObject({
        monitorName: z.string().min(1),
        probes: z.record(hostPort, z.string().regex(/^probe-[a-z0-9]+$/, 'expected a probe id such as probe-1418fv6mkaaykp5vm874is561')),
      })
      .optional(),
  })
  .refine((g) => g.targets.length > 0 || g.awsNetworkMonitor !== undefined, { message: 'give targets, awsNetworkMonitor, or both', path: ['targets'] });

const isoTime = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'expected a date-time such as 2026-11-22T22:00:00Z');

/** A maintenance window's fields; the state store's silences add an id and who made it. */
export const silenceFields = {
  cluster: z.string().min(1).optional(),
  target: z.string().min(1).optional(),
  code: z.enum(FINDING_CODES).optional(),
  from: isoTime,
  to: isoTime,
  reason: z.string().min(1),
};

/** What makes a silence one: it names what it holds (one naming nothing would hold every page), and ends after it starts. */
export function silenceRules<T extends z.ZodType<{ cluster?: string; target?: string; code?: string; from: string; to: string }>>(s: T) {
  return s
    .refine((x) => x.cluster !== undefined || x.target !== undefined || x.code !== undefined, {
      message: 'name at least one of cluster, target, code: a silence of everything would hold every page',
    })
    .refine((x) => Date.parse(x.from) < Date.parse(x.to), { message: 'from must be before to', path: ['to'] });
}

const silence = silenceRules(z.strictObject(silenceFields));

const alerts = z.strictObject({
  snsTopicArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, 'expected an SNS topic ARN')
    .optional(),
  /** A still-firing alert is paged again after this many minutes. */
  repeatMinutes: z.number().positive().default(30),
  /** Clear samples in a row before a firing alert resolves (hysteresis against flapping). */
  resolveSamples: z.number().int().min(1).max(100).default(2),
  /**
   * After a dead primary's page resolves, how long its replicas may still reconnect (an IO thread
   * retries every MASTER_CONNECT_RETRY, 60 s by default) and catch up before their IO errors or
   * lag page as incidents of their own. Lifted as soon as they are well.
   */
  recoverySeconds: z.number().min(0).max(3600).default(120),
  /** Maintenance windows; `replwatch silence add` writes more to the state store. */
  silences: z.array(silence).default([]),
});

export const configSchema = z
  .strictObject({
    clusters: z.array(cluster).default([]),
    memcache: z.array(memcachePool).default([]),
    network: z.array(networkGroup).default([]),
    alerts: alerts.default({ repeatMinutes: 30, resolveSamples: 2, recoverySeconds: 120, silences: [] }),
    /** How often a check samples inside one scheduled run (EventBridge fires once a minute). */
    sampleSeconds: z.number().min(1).max(60).default(10),
    /** How many servers are probed at once. */
    concurrency: z.number().int().min(1).max(1000).default(64),
    /**
     * In AWS, the dispatch function splits each check's targets into shards of about this many
     * and runs one worker invocation per shard; a fleet within one shard runs as one invocation.
     */
    shardSize: z.number().int().min(1).max(10_000).default(200),
  })
  .superRefine((c, ctx) => {
    // A config that checks nothing would report "OK: no findings" for ever.
    if (c.clusters.length === 0 && c.memcache.length === 0 && c.network.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'nothing to check: give clusters, memcache or network' });
    }
    const names = new Set<string>();
    c.clusters.forEach((cl, i) => {
      if (names.has(cl.name)) ctx.addIssue({ code: 'custom', message: `duplicate cluster name "${cl.name}"`, path: ['clusters', i, 'name'] });
      names.add(cl.name);
    });
    // Sessions are per pool name and node (discovery's per endpoint), one request at a time: a
    // second pool of the same name, or on the same endpoint, would probe over the first's.
    const pools = new Set<string>();
    const endpoints = new Set<string>();
    c.memcache.forEach((p, i) => {
      if (pools.has(p.name)) ctx.addIssue({ code: 'custom', message: `duplicate memcache pool name "${p.name}"`, path: ['memcache', i, 'name'] });
      pools.add(p.name);
      if (p.configEndpoint === undefined) return;
      if (endpoints.has(p.configEndpoint))
        ctx.addIssue({ code: 'custom', message: `${p.configEndpoint} is already the configEndpoint of another pool`, path: ['memcache', i, 'configEndpoint'] });
      endpoints.add(p.configEndpoint);
    });
  });

export type Config = z.output<typeof configSchema>;
export type ClusterConfig = Config['clusters'][number];
export type ReplicaConfig = ClusterConfig['replicas'][number];
export type MemcachePoolConfig = Config['memcache'][number];
export type NetworkGroupConfig = Config['network'][number];

/** `host:port` -> parts; the schema has already checked the shape. */
export function splitHostPort(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(':');
  return { host: target.slice(0, i), port: Number(target.slice(i + 1)) };
}

/** A server of a cluster with its resolved display name. */
export interface ServerConfig {
  name: string;
  host: string;
  port: number;
  role: 'primary' | 'replica';
  /** Where its host commands run, and how it starts and stops (the physical rebuild). */
  agent?: z.infer<typeof agent>;
  service?: z.infer<typeof service>;
}

export function primaryName(cluster: ClusterConfig): string {
  return cluster.primary.name ?? `${cluster.name}-primary`;
}

const hostSide = (s: { agent?: ServerConfig['agent']; service?: ServerConfig['service'] }) => ({
  ...(s.agent ? { agent: s.agent } : {}),
  ...(s.service ? { service: s.service } : {}),
});

export function clusterServers(cluster: ClusterConfig): ServerConfig[] {
  return [
    { name: primaryName(cluster), host: cluster.primary.host, port: cluster.primary.port, role: 'primary', ...hostSide(cluster.primary) },
    ...cluster.replicas.map((r) => ({ name: r.name, host: r.host, port: r.port, role: 'replica' as const, ...hostSide(r) })),
  ];
}
