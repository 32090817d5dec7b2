import { createHash } from 'node:crypto';
import {
  CreateDBInstanceReadReplicaCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RemoveTagsFromResourceCommand,
  type CreateDBInstanceReadReplicaCommandInput,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { sleep as realSleep } from '../util/deadline';
import { RunbookRefusal, RdsRebuildTimeout } from './errors';

export type RdsRebuildStepName = 'validate' | 'create' | 'wait-new' | 'rename-old' | 'rename-new' | 'delete-old';

export interface RdsRebuildEvent {
  step: RdsRebuildStepName;
  status: 'start' | 'done' | 'skipped' | 'planned' | 'waiting';
  detail?: string;
  at: string;
}

export interface RdsRebuildOptions {
  /** Created once per process by the caller. */
  rds: RDSClient;
  /** DBInstanceIdentifier of the broken read replica; its endpoint is kept. */
  replicaId: string;
  /** false: describe, validate and return the steps; nothing is changed. */
  execute: boolean;
  onEvent?: (e: RdsRebuildEvent) => void;
  pollMs?: number;
  /** Per wait; one that runs out throws RdsRebuildTimeout, and running again resumes. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

export interface RdsRebuildStep {
  name: RdsRebuildStepName;
  status: 'done' | 'skipped' | 'planned';
  detail: string;
}

export interface RdsRebuildResult {
  steps: RdsRebuildStep[];
  /** The replacement's endpoint address once it serves under the old identifier (execute only). */
  newEndpoint?: string;
}

/**
 * Set on the new replica to the old one's DbiResourceId, which survives renames: it is how a
 * later run recognises its own replica under any name, and names the only instance step 6 may
 * delete. Dropped when the rebuild finishes, so a finished rebuild looks like a fresh start.
 */
export const REPLACES_TAG = 'replwatch:replaces';

const RESUME = 'run the same rebuild again with --execute (Lambda: mode "execute"); it resumes at this step';
const MAX_ID = 63;
const CALL_MS = 30_000;
const ENGINES = new Set(['mysql', 'mariadb']);
// A new replica in one of these will not become available by waiting.
const STUCK = new Set([
  'failed',
  'deleting',
  'storage-full',
  'inaccessible-encryption-credentials',
  'incompatible-parameters',
  'incompatible-network',
  'incompatible-option-group',
  'incompatible-restore',
]);

/**
 * `${id}${suffix}` within RDS's 63 characters. A long id is cut and given a hash of the whole
 * id, so every run derives the same name and two ids sharing a long prefix never collide.
 */
export function derivedId(id: string, suffix: string): string {
  const whole = `${id}${suffix}`;
  if (whole.length <= MAX_ID) return whole;
  const tail = `-${createHash('sha256').update(id).digest('hex').slice(0, 6)}${suffix}`;
  // Identifiers may not hold two hyphens in a row.
  return `${id.slice(0, MAX_ID - tail.length).replace(/-+$/, '')}${tail}`;
}

/** The three identifiers a rebuild of `replicaId` uses (RDS keeps identifiers in lowercase). */
export function rebuildIds(replicaId: string): { replica: string; fresh: string; old: string } {
  const replica = replicaId.toLowerCase();
  return { replica, fresh: derivedId(replica, '-rb'), old: derivedId(replica, '-old') };
}

type Work = Exclude<RdsRebuildStepName, 'validate'>;
const WORK: Work[] = ['create', 'wait-new', 'rename-old', 'rename-new', 'delete-old'];

/** Where a rebuild stands. `from` is the first step with work left; for a rename, only its wait. */
interface Position {
  from: Work;
  /** DbiResourceId of the broken replica, whatever it is called now. */
  replaces: string;
  /** The broken replica, while it still holds the identifier (before step 4). */
  original?: DBInstance;
}

const bounded = () => ({ abortSignal: AbortSignal.timeout(CALL_MS) });

async function describe(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), bounded());
    return out.DBInstances?.[0];
  } catch (e) {
    if (e instanceof Error && e.name === 'DBInstanceNotFoundFault') return undefined;
    throw e;
  }
}

const replacesTag = (db: DBInstance) => db.TagList?.find((t) => t.Key === REPLACES_TAG)?.Value;

function resourceOf(db: DBInstance): string {
  if (!db.DbiResourceId) throw new Error(`RDS returned ${db.DBInstanceIdentifier} without a DbiResourceId`);
  return db.DbiResourceId;
}

/** Reads the state an earlier run left behind from what exists under the three names. */
function locate(ids: ReturnType<typeof rebuildIds>, current?: DBInstance, fresh?: DBInstance, old?: DBInstance): Position {
  const ownFresh = (original: DBInstance) => {
    if (fresh && replacesTag(fresh) !== resourceOf(original))
      throw new RunbookRefusal(`${ids.fresh} exists but was not created by this runbook to replace ${ids.replica}: delete or rename it by hand first`);
  };
  const replaces = current && replacesTag(current);
  if (current && replaces) {
    // `current` is already the replacement: only the clean-up is left.
    if (!old) return { from: 'delete-old', replaces };
    if (resourceOf(old) === replaces) return { from: 'rename-new', replaces };
  }
  if (old?.DBInstanceStatus === 'deleting') throw new RunbookRefusal(`${ids.old} is being deleted (left by an earlier rebuild?): run again once it is gone`);
  if (current && old)
    throw new RunbookRefusal(
      `${ids.old} exists and is not the replica this runbook renamed: rename or delete it by hand first, the swap needs that identifier`,
    );
  if (current) {
    ownFresh(current);
    return { from: fresh ? 'wait-new' : 'create', replaces: resourceOf(current), original: current };
  }
  if (!old) throw new RunbookRefusal(`no RDS instance ${ids.replica}`);
  if (!fresh)
    throw new RunbookRefusal(
      `${ids.replica} does not exist, ${ids.old} does and ${ids.fresh} does not: a rename may still be under way (run again in a few minutes), else the instances were changed by hand; check them first`,
    );
  ownFresh(old);
  return { from: 'rename-old', replaces: resourceOf(old) };
}

/** The source of a replica the RDS strategy can rebuild; refuses anything else. */
function sourceOf(db: DBInstance): string {
  const id = db.DBInstanceIdentifier;
  const source = db.ReadReplicaSourceDBInstanceIdentifier;
  if (!source) throw new RunbookRefusal(`${id} is not a read replica (a primary or standalone instance): the RDS strategy only replaces read replicas`);
  if (!ENGINES.has(db.Engine ?? '')) throw new RunbookRefusal(`${id} runs ${db.Engine}: the RDS strategy rebuilds MySQL and MariaDB read replicas only`);
  if (source.startsWith('arn:')) throw new RunbookRefusal(`${id} replicates from ${source} in another region: rebuild cross-region replicas by hand`);
  // Deleting a replica promotes its own replicas to standalone instances.
  if (db.ReadReplicaDBInstanceIdentifiers?.length)
    throw new RunbookRefusal(`${id} has read replicas of its own (${db.ReadReplicaDBInstanceIdentifiers.join(', ')}): replacing it would cut them off`);
  return source;
}

/** The broken replica's settings, as far as CreateDBInstanceReadReplica takes them. */
function replicaInput(id: string, original: DBInstance, source: DBInstance, replaces: string): CreateDBInstanceReadReplicaCommandInput {
  // A replica needs at least the source's storage; keep any headroom the old one had.
  const storage = Math.max(original.AllocatedStorage ?? 0, source.AllocatedStorage ?? 0);
  // gp3 under 400 GiB has fixed IOPS and throughput on MySQL/MariaDB, and RDS rejects any value for them.
  const provisioned = original.StorageType === 'io1' || original.StorageType === 'io2' || (original.StorageType === 'gp3' && storage >= 400);
  return {
    DBInstanceIdentifier: id,
    SourceDBInstanceIdentifier: source.DBInstanceIdentifier,
    DBInstanceClass: original.DBInstanceClass,
    // RDS rejects an explicit zone for a Multi-AZ instance. Subnet group and encryption follow the source.
    ...(original.MultiAZ ? { MultiAZ: true } : { AvailabilityZone: original.AvailabilityZone }),
    Port: original.Endpoint?.Port,
    DBParameterGroupName: original.DBParameterGroups?.[0]?.DBParameterGroupName,
    OptionGroupName: original.OptionGroupMemberships?.[0]?.OptionGroupName,
    VpcSecurityGroupIds: original.VpcSecurityGroups?.flatMap((g) => g.VpcSecurityGroupId ?? []),
    PubliclyAccessible: original.PubliclyAccessible,
    NetworkType: original.NetworkType,
    StorageType: original.StorageType,
    ...(storage > 0 ? { AllocatedStorage: storage } : {}),
    MaxAllocatedStorage: original.MaxAllocatedStorage,
    ...(provisioned ? { Iops: original.Iops, ...(original.StorageType === 'gp3' ? { StorageThroughput: original.StorageThroughput } : {}) } : {}),
    CACertificateIdentifier: original.CACertificateIdentifier,
    AutoMinorVersionUpgrade: original.AutoMinorVersionUpgrade,
    CopyTagsToSnapshot: original.CopyTagsToSnapshot,
    DeletionProtection: original.DeletionProtection,
    EnableIAMDatabaseAuthentication: original.IAMDatabaseAuthenticationEnabled,
    EnableCloudwatchLogsExports: original.EnabledCloudwatchLogsExports,
    // RDS wants a role exactly when enhanced monitoring is on.
    ...(original.MonitoringInterval ? { MonitoringInterval: original.MonitoringInterval, MonitoringRoleArn: original.MonitoringRoleArn } : {}),
    ...(original.PerformanceInsightsEnabled
      ? {
          EnablePerformanceInsights: true,
          PerformanceInsightsKMSKeyId: original.PerformanceInsightsKMSKeyId,
          PerformanceInsightsRetentionPeriod: original.PerformanceInsightsRetentionPeriod,
        }
      : {}),
    // aws: and rds: keys are reserved to AWS; an older marker would point at the wrong instance.
    Tags: [...(original.TagList ?? []).filter((t) => t.Key && !/^(aws|rds):/i.test(t.Key) && t.Key !== REPLACES_TAG), { Key: REPLACES_TAG, Value: replaces }],
  };
}

/** Step 6 deletes only the very instance the rebuild replaced, and only while it is a plain replica. */
function assertDeletable(db: DBInstance, replaces: string): void {
  const id = db.DBInstanceIdentifier;
  if (db.DbiResourceId !== replaces)
    throw new RunbookRefusal(`${id} is not the replica this rebuild replaced (resource ${db.DbiResourceId}, expected ${replaces}): not deleting it`);
  if (!db.ReadReplicaSourceDBInstanceIdentifier)
    throw new RunbookRefusal(`${id} is no longer a read replica (promoted?): not deleting it; delete it by hand once it is not needed`);
  if (db.ReadReplicaDBInstanceIdentifiers?.length)
    throw new RunbookRefusal(`${id} now has read replicas of its own (${db.ReadReplicaDBInstanceIdentifiers.join(', ')}): not deleting it`);
}

const replicating = (db: DBInstance) => !(db.StatusInfos ?? []).some((s) => s.StatusType === 'read replication' && s.Normal === false);

type Emit = (step: RdsRebuildStepName, status: RdsRebuildEvent['status'], detail?: string) => void;
type WaitFor = (step: RdsRebuildStepName, id: string, want: 'available' | 'renamed') => Promise<DBInstance>;

/** 'renamed': the name answers and the rename is over (a broken replica may settle in storage-full rather than available). */
function waiter(o: RdsRebuildOptions, now: () => Date, emit: Emit): WaitFor {
  const pause = o.sleep ?? realSleep;
  const timeoutMs = o.timeoutMs ?? 60 * 60_000;
  return async (step, id, want) => {
    const deadline = now().getTime() + timeoutMs;
    for (;;) {
      const db = await describe(o.rds, id);
      const status = db?.DBInstanceStatus;
      if (db && (want === 'renamed' ? status !== 'renaming' : status === 'available' && replicating(db))) return db;
      if (want === 'available' && status && STUCK.has(status)) {
        throw new Error(
          `${step}: ${id} is ${status} and will not become available by waiting; fix the cause, or delete ${id} by hand and run the rebuild again to start over`,
        );
      }
      if (now().getTime() >= deadline) {
        const state = db ? `still ${status}${replicating(db) ? '' : ' with replication broken'}` : 'not visible yet';
        throw new RdsRebuildTimeout(step, id, `${step}: ${id} is ${state} after ${timeoutMs / 1000} s; nothing needs undoing: ${RESUME}`);
      }
      emit(step, 'waiting', `${id}: ${status ?? 'not visible yet'}`);
      await pause(o.pollMs ?? 30_000);
    }
  };
}

interface Validated {
  at: Position;
  sourceId: string;
  current?: DBInstance;
  /** Built only when the rebuild starts at `create`. */
  create?: CreateDBInstanceReadReplicaCommandInput;
  detail: string;
}

/** The first call tells whether RDS can be asked at all; nothing is written yet, so a failure here is a refusal a person can act on. */
async function firstLook(rds: RDSClient, ids: ReturnType<typeof rebuildIds>): Promise<Array<DBInstance | undefined>> {
  try {
    return await Promise.all([describe(rds, ids.replica), describe(rds, ids.fresh), describe(rds, ids.old)]);
  } catch (e) {
    const err = e as Error;
    const setup = /region is missing|credential/i.test(`${err.name} ${err.message}`)
      ? ': set AWS_REGION and credentials (AWS_PROFILE, environment keys, or the instance or Lambda role)'
      : '';
    throw new RunbookRefusal(`cannot read ${ids.replica} from the RDS API (${err.name}: ${err.message.split('\n')[0]})${setup}; nothing was changed`);
  }
}

async function validate(rds: RDSClient, ids: ReturnType<typeof rebuildIds>): Promise<Validated> {
  const [current, fresh, old] = await firstLook(rds, ids);
  const at = locate(ids, current, fresh, old);
  let sourceId = 'the same source';
  let create: CreateDBInstanceReadReplicaCommandInput | undefined;
  if (at.original) {
    sourceId = sourceOf(at.original);
    // The source's state matters only for the copy; later steps touch replicas alone.
    if (at.from === 'create') {
      const source = await describe(rds, sourceId);
      if (source?.DBInstanceStatus !== 'available')
        throw new RunbookRefusal(`the source ${sourceId} is ${source?.DBInstanceStatus ?? 'missing'}, not available: a new replica cannot be made from it now`);
      create = replicaInput(ids.fresh, at.original, source, at.replaces);
    }
  }
  const detail =
    at.from === 'create'
      ? `${ids.replica} is a read replica of ${sourceId}, which is available`
      : `resuming an earlier rebuild of ${ids.replica} at ${at.from}`;
  return { at, sourceId, current, create, detail };
}

type WorkPlan = Record<Work, { detail: string; run: (resumed: boolean) => Promise<unknown> }>;

function rdsWork(
  rds: RDSClient,
  ids: ReturnType<typeof rebuildIds>,
  v: Validated,
  waitFor: WaitFor,
): { work: WorkPlan; replacement: () => DBInstance | undefined } {
  const { create, at } = v;
  let replacement = at.from === 'delete-old' ? v.current : undefined;
  const rename = (from: string, to: string, extra: { DeletionProtection?: boolean } = {}) =>
    rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: from, NewDBInstanceIdentifier: to, ApplyImmediately: true, ...extra }), bounded());
  const work: WorkPlan = {
    create: {
      detail: `create ${ids.fresh}, a read replica of ${v.sourceId}${create ? ` (${create.DBInstanceClass}, ${create.MultiAZ ? 'Multi-AZ' : create.AvailabilityZone}, parameter group ${create.DBParameterGroupName}, security groups ${create.VpcSecurityGroupIds?.join(' ')})` : ''}`,
      // Runs only when the rebuild starts here, which is when `create` was built.
      run: () => rds.send(new CreateDBInstanceReadReplicaCommand(create!), bounded()),
    },
    'wait-new': { detail: `wait until ${ids.fresh} is available and replicating`, run: () => waitFor('wait-new', ids.fresh, 'available') },
    'rename-old': {
      detail: `rename ${ids.replica} to ${ids.old}, freeing its identifier and endpoint`,
      run: async (resumed) => {
        // Protection would only stop step 6 from deleting it.
        if (!resumed) await rename(ids.replica, ids.old, { DeletionProtection: false });
        await waitFor('rename-old', ids.old, 'renamed');
      },
    },
    'rename-new': {
      detail: `rename ${ids.fresh} to ${ids.replica}, taking over the endpoint`,
      run: async (resumed) => {
        if (!resumed) await rename(ids.fresh, ids.replica);
        replacement = await waitFor('rename-new', ids.replica, 'available');
      },
    },
    'delete-old': {
      detail: `delete ${ids.old} (no final snapshot: replicas cannot take one)`,
      run: async () => {
        const doomed = await describe(rds, ids.old);
        if (doomed && doomed.DBInstanceStatus !== 'deleting') {
          assertDeletable(doomed, at.replaces);
          await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: ids.old, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }), bounded());
        }
        // Last, so that a run stopped before here still finds the marker and finishes instead of starting over.
        if (replacement?.DBInstanceArn && replacesTag(replacement))
          await rds.send(new RemoveTagsFromResourceCommand({ ResourceName: replacement.DBInstanceArn, TagKeys: [REPLACES_TAG] }), bounded());
      },
    },
  };
  return { work, replacement: () => replacement };
}

/**
 * The documented fix for a broken RDS read replica (MySQL/MariaDB): a new replica of the same
 * source with the old one's settings, the identifiers swapped so the endpoint stays, the old
 * one deleted. It reads where an earlier run stopped before acting, so running it again after
 * any failure finishes the job without a second replica; the source is never changed.
 */
export async function rebuildRdsReplica(o: RdsRebuildOptions): Promise<RdsRebuildResult> {
  const ids = rebuildIds(o.replicaId);
  const now = o.now ?? (() => new Date());
  const emit: Emit = (step, status, detail) => o.onEvent?.({ step, status, ...(detail ? { detail } : {}), at: now().toISOString() });

  emit('validate', 'start');
  const validated = await validate(o.rds, ids);
  const steps: RdsRebuildStep[] = [{ name: 'validate', status: 'done', detail: validated.detail }];
  emit('validate', 'done', validated.detail);

  const { work, replacement } = rdsWork(o.rds, ids, validated, waiter(o, now, emit));
  let reached = false;
  for (const name of WORK) {
    reached ||= name === validated.at.from;
    const { detail, run } = work[name];
    const status = !reached ? 'skipped' : o.execute ? 'done' : 'planned';
    if (status === 'done') {
      emit(name, 'start', detail);
      await run(name === validated.at.from);
    }
    steps.push({ name, status, detail });
    emit(name, status, detail);
  }
  const endpoint = replacement()?.Endpoint?.Address;
  return { steps, ...(endpoint && o.execute ? { newEndpoint: endpoint } : {}) };
}
