import {
  CreateDBInstanceReadReplicaCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  type DBInstance,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { sleep as realSleep } from '../util/deadline';
import { RunbookRefusal } from './target';

export interface RdsRebuildOptions {
  rds: RDSClient;
  /** DBInstanceIdentifier of the broken read replica; its endpoint is kept. */
  replicaId: string;
  execute: boolean;
  onEvent?: (e: { step: string; status: 'start' | 'done' | 'skipped' | 'planned' | 'waiting'; detail?: string }) => void;
  pollMs?: number;
  /** Per wait; a wait that runs out says how to resume. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RdsRebuildResult {
  steps: Array<{ name: string; status: 'done' | 'skipped' | 'planned' }>;
  endpoint?: string;
}

const MAX_ID = 63;
/** `${id}${suffix}`, shortened to RDS's 63 characters the same way every time. */
export function derivedId(id: string, suffix: string): string {
  return `${id.slice(0, MAX_ID - suffix.length).replace(/-+$/, '')}${suffix}`;
}

async function describe(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }), { abortSignal: AbortSignal.timeout(10_000) });
    return out.DBInstances?.[0];
  } catch (e) {
    if ((e as Error).name === 'DBInstanceNotFoundFault') return undefined;
    throw e;
  }
}

/**
 * The documented fix for a broken RDS read replica: a new replica of the same source, then the
 * identifiers swapped so the endpoint (derived from the identifier) stays, then the old one
 * deleted. Every step looks at what exists first, so running it again after a failure or a
 * timeout finishes the job without a second replica and without touching the source.
 */
export async function rebuildRdsReplica(o: RdsRebuildOptions): Promise<RdsRebuildResult> {
  const { rds, replicaId: id } = o;
  const rbId = derivedId(id, '-rb');
  const oldId = derivedId(id, '-old');
  const pause = o.sleep ?? realSleep;
  const steps: RdsRebuildResult['steps'] = [];
  const emit = o.onEvent ?? (() => undefined);

  const waitAvailable = async (step: string, instanceId: string) => {
    const deadline = Date.now() + (o.timeoutMs ?? 60 * 60_000);
    for (;;) {
      const db = await describe(rds, instanceId);
      if (db?.DBInstanceStatus === 'available') return db;
      if (Date.now() > deadline) throw new Error(`${step}: ${instanceId} is ${db?.DBInstanceStatus ?? 'missing'}, not available, after the wait; run the same command again to resume`);
      emit({ step, status: 'waiting', detail: `${instanceId}: ${db?.DBInstanceStatus ?? 'not visible yet'}` });
      await pause(o.pollMs ?? 30_000);
    }
  };
  const doStep = async (name: string, needed: boolean, action: () => Promise<unknown>) => {
    if (!needed) {
      steps.push({ name, status: 'skipped' });
      emit({ step: name, status: 'skipped' });
      return;
    }
    if (!o.execute) {
      steps.push({ name, status: 'planned' });
      emit({ step: name, status: 'planned' });
      return;
    }
    emit({ step: name, status: 'start' });
    await action();
    steps.push({ name, status: 'done' });
    emit({ step: name, status: 'done' });
  };

  const [current, fresh, old] = await Promise.all([describe(rds, id), describe(rds, rbId), describe(rds, oldId)]);
  // Where an earlier run stopped: the new replica already renamed (current and old both
  // exist), or between the two renames (only old and fresh exist).
  const swapped = current !== undefined && old !== undefined;
  const midSwap = current === undefined && old !== undefined && fresh !== undefined;
  if (!current && !midSwap) throw new RunbookRefusal(`no RDS instance ${id}`);
  const original = swapped || midSwap ? old! : current!;
  const sourceId = original.ReadReplicaSourceDBInstanceIdentifier;
  if (!sourceId) throw new RunbookRefusal(`${original.DBInstanceIdentifier} is not a read replica (no source instance): the RDS strategy never replaces a primary`);
  const source = await describe(rds, sourceId);
  if (source?.DBInstanceStatus !== 'available') throw new RunbookRefusal(`the source ${sourceId} is ${source?.DBInstanceStatus ?? 'missing'}, not available`);

  await doStep(`create read replica ${rbId} of ${sourceId}`, !fresh && !swapped && !midSwap, () =>
    rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: rbId,
        SourceDBInstanceIdentifier: sourceId,
        DBInstanceClass: original.DBInstanceClass,
        ...(original.MultiAZ ? { MultiAZ: true } : { AvailabilityZone: original.AvailabilityZone }),
        Port: original.Endpoint?.Port,
        VpcSecurityGroupIds: original.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId!).filter(Boolean),
        DBParameterGroupName: original.DBParameterGroups?.[0]?.DBParameterGroupName,
        StorageType: original.StorageType,
        PubliclyAccessible: original.PubliclyAccessible,
        CACertificateIdentifier: original.CACertificateIdentifier,
        MonitoringInterval: original.MonitoringInterval,
        MonitoringRoleArn: original.MonitoringRoleArn,
        Tags: original.TagList,
      }),
      { abortSignal: AbortSignal.timeout(30_000) },
    ),
  );
  await doStep(`wait until ${rbId} is available`, !swapped && !midSwap, () => waitAvailable('wait for the new replica', rbId));
  await doStep(`rename ${id} to ${oldId}`, !swapped && !midSwap, async () => {
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, NewDBInstanceIdentifier: oldId, ApplyImmediately: true }), { abortSignal: AbortSignal.timeout(30_000) });
    await waitAvailable('rename the old replica', oldId);
  });
  await doStep(`rename ${rbId} to ${id}, keeping the endpoint`, !swapped, async () => {
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: rbId, NewDBInstanceIdentifier: id, ApplyImmediately: true }), { abortSignal: AbortSignal.timeout(30_000) });
  });
  const ready = o.execute ? await waitAvailable('rename the new replica', id) : undefined;
  await doStep(`delete the old replica ${oldId}`, true, () =>
    rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: oldId, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }), { abortSignal: AbortSignal.timeout(30_000) }),
  );
  return { steps, ...(ready?.Endpoint?.Address ? { endpoint: `${ready.Endpoint.Address}:${ready.Endpoint.Port}` } : {}) };
}
