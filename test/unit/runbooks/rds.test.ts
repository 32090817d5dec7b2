import {
  CreateDBInstanceReadReplicaCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RemoveTagsFromResourceCommand,
  type CreateDBInstanceReadReplicaCommandInput,
  type DBInstance,
  type DeleteDBInstanceCommandInput,
  type DescribeDBInstancesCommandInput,
  type ModifyDBInstanceCommandInput,
  type RemoveTagsFromResourceCommandInput,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { derivedId, rebuildRdsReplica, REPLACES_TAG, type RdsRebuildEvent, type RdsRebuildOptions } from '../../../src/runbooks/rds';
import { RunbookRefusal, RdsRebuildTimeout } from '../../../src/runbooks/errors';

const PRIMARY = 'orders-primary';
const REPLICA = 'orders-replica-1';
// How long the fake takes over each change, against a 10 ms poll: several polls per wait.
const CREATE_MS = 50;
const RENAME_MS = 20;
const DELETE_MS = 30;
const TRANSIENT = new Set(['creating', 'renaming', 'deleting', 'modifying']);

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });
const arn = (id: string) => `arn:aws:rds:eu-west-1:123456789012:db:${id}`;
const address = (id: string) => `${id}.c9akciq32.eu-west-1.rds.amazonaws.com`;

interface Fault {
  matches: (command: string, input: Record<string, unknown>, call: number) => boolean;
  when: 'before' | 'after';
}

/**
 * An RDS account in memory, on a clock that only the injected sleep moves. Changes take time
 * as in RDS (creating, renaming, deleting), a rename moves the endpoint with the identifier,
 * and it enforces the API rules the runbook has to respect. `log` records every change.
 */
function fakeRds() {
  const mock = mockClient(RDSClient);
  let clock = 0;
  let calls = 0;
  let resources = 0;
  const instances = new Map<string, { db: DBInstance; settleAt?: number; settleTo?: string }>();
  const log: string[] = [];
  const faults: Fault[] = [];
  const get = (id: string) => instances.get(id)?.db;
  const need = (id: string) => {
    const found = instances.get(id);
    if (!found) throw awsError('DBInstanceNotFoundFault', `DBInstance ${id} not found.`);
    return found;
  };
  const sourceOf = (db: DBInstance) => get(db.ReadReplicaSourceDBInstanceIdentifier ?? '');
  const settle = () => {
    for (const [id, inst] of instances) {
      if (inst.settleAt === undefined || inst.settleAt > clock) continue;
      if (inst.settleTo) {
        inst.db.DBInstanceStatus = inst.settleTo;
        delete inst.settleAt;
      } else {
        instances.delete(id);
        const source = sourceOf(inst.db);
        if (source) source.ReadReplicaDBInstanceIdentifiers = source.ReadReplicaDBInstanceIdentifiers?.filter((r) => r !== id);
      }
    }
  };
  const add = (db: DBInstance) =>
    instances.set(db.DBInstanceIdentifier!, { db: { DbiResourceId: `db-${++resources}`, DBInstanceArn: arn(db.DBInstanceIdentifier!), ...db } });
  // Every call counts, and may be made to fail before it acts or after (an answer lost on the way back).
  const handle =
    <I extends object>(command: string, fn: (input: I) => object) =>
    async (input: I) => {
      calls += 1;
      const i = faults.findIndex((f) => f.matches(command, input as Record<string, unknown>, calls));
      const fault = i >= 0 ? faults.splice(i, 1)[0] : undefined;
      if (fault?.when === 'before') throw awsError('ThrottlingException', `injected: ${command} failed`);
      settle();
      if (fault?.when !== 'after') return fn(input);
      try {
        fn(input);
      } catch {
        // Lost on the way back like any answer.
      }
      throw awsError('TimeoutError', `injected: ${command} applied, its answer lost`);
    };

  mock
    .on(DescribeDBInstancesCommand)
    .callsFake(
      handle('DescribeDBInstances', (input: DescribeDBInstancesCommandInput) => ({ DBInstances: [structuredClone(need(input.DBInstanceIdentifier!).db)] })),
    );
  mock.on(CreateDBInstanceReadReplicaCommand).callsFake(
    handle('CreateDBInstanceReadReplica', (input: CreateDBInstanceReadReplicaCommandInput) => {
      const id = input.DBInstanceIdentifier!;
      if (instances.has(id)) throw awsError('DBInstanceAlreadyExistsFault', `DB instance ${id} already exists`);
      const source = need(input.SourceDBInstanceIdentifier!).db;
      if (source.DBInstanceStatus !== 'available') throw awsError('InvalidDBInstanceStateFault', `source ${source.DBInstanceIdentifier} is not available`);
      if (input.MultiAZ && input.AvailabilityZone)
        throw awsError('InvalidParameterCombination', 'Requesting a specific availability zone is not valid for Multi-AZ instances.');
      if (input.StorageType === 'gp3' && (input.AllocatedStorage ?? 0) < 400 && (input.Iops || input.StorageThroughput)) {
        throw awsError('InvalidParameterCombination', "You can't specify IOPS or storage throughput for engine mysql and a storage size less than 400.");
      }
      if (input.MonitoringInterval && !input.MonitoringRoleArn)
        throw awsError('InvalidParameterCombination', 'A MonitoringRoleARN value is required if you specify a MonitoringInterval value other than 0.');
      if (input.Tags?.some((t) => /^(aws|rds):/.test(t.Key ?? ''))) throw awsError('InvalidParameterValue', 'Tag keys cannot start with aws:');
      add({
        DBInstanceIdentifier: id,
        DBInstanceStatus: 'creating',
        Engine: source.Engine,
        ReadReplicaSourceDBInstanceIdentifier: source.DBInstanceIdentifier,
        DBInstanceClass: input.DBInstanceClass ?? source.DBInstanceClass,
        AvailabilityZone: input.AvailabilityZone ?? 'eu-west-1a',
        MultiAZ: input.MultiAZ ?? false,
        VpcSecurityGroups: (input.VpcSecurityGroupIds ?? []).map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
        DBParameterGroups: [{ DBParameterGroupName: input.DBParameterGroupName ?? 'default.mysql8.0', ParameterApplyStatus: 'in-sync' }],
        StorageType: input.StorageType,
        AllocatedStorage: input.AllocatedStorage ?? source.AllocatedStorage,
        CACertificateIdentifier: input.CACertificateIdentifier,
        MonitoringInterval: input.MonitoringInterval ?? 0,
        MonitoringRoleArn: input.MonitoringRoleArn,
        DeletionProtection: input.DeletionProtection ?? false,
        TagList: input.Tags ?? [],
        Endpoint: { Address: address(id), Port: input.Port ?? 3306 },
      });
      Object.assign(instances.get(id)!, { settleAt: clock + CREATE_MS, settleTo: 'available' });
      source.ReadReplicaDBInstanceIdentifiers = [...(source.ReadReplicaDBInstanceIdentifiers ?? []), id];
      log.push(`create ${id}`);
      return { DBInstance: structuredClone(get(id)) };
    }),
  );
  mock.on(ModifyDBInstanceCommand).callsFake(
    handle('ModifyDBInstance', (input: ModifyDBInstanceCommandInput) => {
      const from = input.DBInstanceIdentifier!;
      const to = input.NewDBInstanceIdentifier;
      const inst = need(from);
      if (!to || !input.ApplyImmediately) throw new Error('the fake only renames, immediately');
      if (TRANSIENT.has(inst.db.DBInstanceStatus!)) throw awsError('InvalidDBInstanceStateFault', `${from} is ${inst.db.DBInstanceStatus}`);
      if (instances.has(to)) throw awsError('DBInstanceAlreadyExistsFault', `DB instance ${to} already exists`);
      instances.delete(from);
      instances.set(to, { db: inst.db, settleAt: clock + RENAME_MS, settleTo: inst.db.DBInstanceStatus! });
      Object.assign(inst.db, {
        DBInstanceIdentifier: to,
        DBInstanceArn: arn(to),
        DBInstanceStatus: 'renaming',
        Endpoint: { ...inst.db.Endpoint, Address: address(to) },
      });
      if (input.DeletionProtection !== undefined) inst.db.DeletionProtection = input.DeletionProtection;
      const source = sourceOf(inst.db);
      if (source) source.ReadReplicaDBInstanceIdentifiers = source.ReadReplicaDBInstanceIdentifiers?.map((r) => (r === from ? to : r));
      log.push(`rename ${from} -> ${to}`);
      return { DBInstance: structuredClone(inst.db) };
    }),
  );
  mock.on(DeleteDBInstanceCommand).callsFake(
    handle('DeleteDBInstance', (input: DeleteDBInstanceCommandInput) => {
      const inst = need(input.DBInstanceIdentifier!);
      if (inst.db.DBInstanceStatus === 'deleting') throw awsError('InvalidDBInstanceStateFault', 'already being deleted');
      if (inst.db.DeletionProtection)
        throw awsError('InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.');
      if (inst.db.ReadReplicaSourceDBInstanceIdentifier && !input.SkipFinalSnapshot)
        throw awsError('InvalidParameterCombination', 'FinalDBSnapshotIdentifier can not be specified when deleting a replica instance');
      Object.assign(inst, { settleAt: clock + DELETE_MS, settleTo: undefined });
      inst.db.DBInstanceStatus = 'deleting';
      log.push(`delete ${input.DBInstanceIdentifier} (${inst.db.DbiResourceId})`);
      return { DBInstance: structuredClone(inst.db) };
    }),
  );
  mock.on(RemoveTagsFromResourceCommand).callsFake(
    handle('RemoveTagsFromResource', (input: RemoveTagsFromResourceCommandInput) => {
      const inst = [...instances.values()].find((i) => i.db.DBInstanceArn === input.ResourceName);
      if (!inst) throw awsError('DBInstanceNotFoundFault', `${input.ResourceName} not found`);
      inst.db.TagList = inst.db.TagList?.filter((t) => !input.TagKeys?.includes(t.Key!));
      log.push(`untag ${inst.db.DBInstanceIdentifier} ${input.TagKeys?.join(',')}`);
      return {};
    }),
  );

  add({
    DBInstanceIdentifier: PRIMARY,
    DBInstanceStatus: 'available',
    Engine: 'mysql',
    DBInstanceClass: 'db.r6g.xlarge',
    AllocatedStorage: 100,
    ReadReplicaDBInstanceIdentifiers: [],
  });
  const replica = (id: string) => {
    add({
      DBInstanceIdentifier: id,
      DBInstanceStatus: 'available',
      Engine: 'mysql',
      ReadReplicaSourceDBInstanceIdentifier: PRIMARY,
      // What made it need a rebuild.
      StatusInfos: [{ StatusType: 'read replication', Status: 'error', Normal: false, Message: "Error 'Duplicate entry' on query" }],
      DBInstanceClass: 'db.r6g.large',
      AvailabilityZone: 'eu-west-1b',
      MultiAZ: false,
      VpcSecurityGroups: [
        { VpcSecurityGroupId: 'sg-app', Status: 'active' },
        { VpcSecurityGroupId: 'sg-bastion', Status: 'active' },
      ],
      DBParameterGroups: [{ DBParameterGroupName: 'replica-params', ParameterApplyStatus: 'in-sync' }],
      StorageType: 'gp3',
      AllocatedStorage: 100,
      Iops: 3000,
      StorageThroughput: 125,
      CACertificateIdentifier: 'rds-ca-rsa2048-g1',
      MonitoringInterval: 60,
      MonitoringRoleArn: 'arn:aws:iam::123456789012:role/rds-monitoring',
      DeletionProtection: true,
      TagList: [
        { Key: 'team', Value: 'orders' },
        { Key: 'aws:cloudformation:stack-name', Value: 'orders-db' },
      ],
      Endpoint: { Address: address(id), Port: 3307 },
    });
    get(PRIMARY)!.ReadReplicaDBInstanceIdentifiers!.push(id);
  };
  replica(REPLICA);

  return {
    mock,
    log,
    get,
    replica,
    calls: () => calls,
    advance: (ms: number) => {
      clock += ms;
      settle();
    },
    breakOnce: (command: string, match: (input: Record<string, unknown>) => boolean, when: Fault['when']) =>
      faults.push({ matches: (c, input) => c === command && match(input), when }),
    breakCall: (n: number, when: Fault['when']) => faults.push({ matches: (_c, _i, call) => call === n, when }),
    options: (extra: Partial<RdsRebuildOptions> = {}): RdsRebuildOptions => ({
      rds: new RDSClient({ region: 'eu-west-1' }),
      replicaId: REPLICA,
      execute: true,
      pollMs: 10,
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => new Date(clock),
      ...extra,
    }),
  };
}

let fake: ReturnType<typeof fakeRds>;
beforeEach(() => {
  fake = fakeRds();
});

const mutations = () => fake.mock.calls().filter((c) => !(c.args[0] instanceof DescribeDBInstancesCommand));
const outcome = (o: Partial<RdsRebuildOptions> = {}) =>
  rebuildRdsReplica(fake.options(o)).then(
    () => 'finished',
    (e: unknown) => e,
  );

/** The end state of a finished rebuild of REPLICA whose broken instance had `oldResource`. */
function expectRebuilt(oldResource: string) {
  const db = fake.get(REPLICA)!;
  expect(db.DbiResourceId).not.toBe(oldResource);
  expect(db).toMatchObject({
    DBInstanceStatus: 'available',
    ReadReplicaSourceDBInstanceIdentifier: PRIMARY,
    Endpoint: { Address: address(REPLICA), Port: 3307 },
  });
  expect(db.TagList?.some((t) => t.Key === REPLACES_TAG)).toBe(false);
  expect(fake.log.filter((l) => l.startsWith('create'))).toEqual([`create ${REPLICA}-rb`]);
  expect(fake.log.filter((l) => l.startsWith('delete'))).toEqual([`delete ${REPLICA}-old (${oldResource})`]);
  expect(fake.get(`${REPLICA}-rb`)).toBeUndefined();
  // Nothing but replicas was ever changed.
  expect(mutations().filter((c) => (c.args[0].input as { DBInstanceIdentifier?: string }).DBInstanceIdentifier === PRIMARY)).toEqual([]);
}

describe('rebuildRdsReplica', () => {
  it('replaces the replica with a new one of the same source and settings, keeping its endpoint', async () => {
    const original = structuredClone(fake.get(REPLICA)!);
    const source = structuredClone(fake.get(PRIMARY)!);
    const events: RdsRebuildEvent[] = [];
    const result = await rebuildRdsReplica(fake.options({ onEvent: (e) => events.push(e) }));

    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'validate:done',
      'create:done',
      'wait-new:done',
      'rename-old:done',
      'rename-new:done',
      'delete-old:done',
    ]);
    expect(fake.log).toEqual([
      `create ${REPLICA}-rb`,
      `rename ${REPLICA} -> ${REPLICA}-old`,
      `rename ${REPLICA}-rb -> ${REPLICA}`,
      `delete ${REPLICA}-old (${original.DbiResourceId})`,
      `untag ${REPLICA} ${REPLACES_TAG}`,
    ]);
    expect(result.newEndpoint).toBe(original.Endpoint!.Address);
    expectRebuilt(original.DbiResourceId!);
    expect(fake.get(REPLICA)).toMatchObject({
      DBInstanceClass: original.DBInstanceClass,
      AvailabilityZone: original.AvailabilityZone,
      VpcSecurityGroups: original.VpcSecurityGroups,
      DBParameterGroups: [{ DBParameterGroupName: 'replica-params' }],
      StorageType: 'gp3',
      CACertificateIdentifier: original.CACertificateIdentifier,
      MonitoringInterval: 60,
      MonitoringRoleArn: original.MonitoringRoleArn,
      DeletionProtection: true,
      TagList: [{ Key: 'team', Value: 'orders' }],
    });
    expect(new Set(events.filter((e) => e.status === 'waiting').map((e) => e.step))).toEqual(new Set(['wait-new', 'rename-old', 'rename-new']));
    expect(events.filter((e) => e.status !== 'waiting').map((e) => `${e.step}:${e.status}`)).toEqual([
      'validate:start',
      'validate:done',
      ...['create', 'wait-new', 'rename-old', 'rename-new', 'delete-old'].flatMap((s) => [`${s}:start`, `${s}:done`]),
    ]);

    fake.advance(DELETE_MS);
    expect(fake.get(`${REPLICA}-old`)).toBeUndefined();
    expect(fake.get(PRIMARY)).toEqual(source);
  });

  it('plans without changing anything', async () => {
    const result = await rebuildRdsReplica(fake.options({ execute: false }));
    expect(result.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'validate:done',
      'create:planned',
      'wait-new:planned',
      'rename-old:planned',
      'rename-new:planned',
      'delete-old:planned',
    ]);
    expect(result.steps[1]!.detail).toBe(
      `create ${REPLICA}-rb, a read replica of ${PRIMARY} (db.r6g.large, eu-west-1b, parameter group replica-params, security groups sg-app sg-bastion)`,
    );
    expect(result.newEndpoint).toBeUndefined();
    expect(mutations()).toEqual([]);
  });

  it('refuses a primary, an unknown id and a source that is not available, before any change', async () => {
    expect(await outcome({ replicaId: PRIMARY })).toEqual(
      new RunbookRefusal(`${PRIMARY} is not a read replica (a primary or standalone instance): the RDS strategy only replaces read replicas`),
    );
    expect(await outcome({ replicaId: 'nope' })).toEqual(new RunbookRefusal('no RDS instance nope'));
    fake.get(PRIMARY)!.DBInstanceStatus = 'modifying';
    expect(await outcome()).toEqual(new RunbookRefusal(`the source ${PRIMARY} is modifying, not available: a new replica cannot be made from it now`));
    expect(mutations()).toEqual([]);
  });

  it('refuses in one line, changing nothing, when the RDS API cannot be asked at all (no region, no credentials)', async () => {
    const rds = mockClient(RDSClient);
    rds.on(DescribeDBInstancesCommand).rejects(new Error('Region is missing'));
    const refused = await rebuildRdsReplica({ rds: new RDSClient({ region: 'eu-west-1' }), replicaId: REPLICA, execute: true }).catch((e: unknown) => e);
    expect(refused).toEqual(
      new RunbookRefusal(
        `cannot read ${REPLICA} from the RDS API (Error: Region is missing): set AWS_REGION and credentials (AWS_PROFILE, environment keys, or the instance or Lambda role); nothing was changed`,
      ),
    );
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toEqual([]);
    rds.restore();
  });

  it('resumes at the second rename after ModifyDBInstance failed there, without a second replica', async () => {
    const oldResource = fake.get(REPLICA)!.DbiResourceId!;
    fake.breakOnce('ModifyDBInstance', (input) => input.DBInstanceIdentifier === `${REPLICA}-rb`, 'before');
    expect(await outcome()).toMatchObject({ message: 'injected: ModifyDBInstance failed' });
    expect(fake.get(REPLICA)).toBeUndefined();

    const plan = await rebuildRdsReplica(fake.options({ execute: false }));
    expect(plan.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'validate:done',
      'create:skipped',
      'wait-new:skipped',
      'rename-old:planned',
      'rename-new:planned',
      'delete-old:planned',
    ]);

    const result = await rebuildRdsReplica(fake.options());
    expect(result.steps.map((s) => s.status)).toEqual(['done', 'skipped', 'skipped', 'done', 'done', 'done']);
    expectRebuilt(oldResource);
  });

  it('names the step and how to resume when a wait runs out, and the next run finishes', async () => {
    const oldResource = fake.get(REPLICA)!.DbiResourceId!;
    const error = await outcome({ timeoutMs: 20 });
    expect(error).toBeInstanceOf(RdsRebuildTimeout);
    expect(error).toMatchObject({
      step: 'wait-new',
      instanceId: `${REPLICA}-rb`,
      message: `wait-new: ${REPLICA}-rb is still creating after 0.02 s; nothing needs undoing: run the same rebuild again with --execute (Lambda: mode "execute"); it resumes at this step`,
    });

    expect(await outcome()).toBe('finished');
    expectRebuilt(oldResource);
  });

  it('finishes from a failure at any call, whether the call was lost or applied', async () => {
    await rebuildRdsReplica(fake.options());
    const total = fake.calls();
    for (let n = 1; n <= total; n++) {
      // The last call drops the marker: once it is applied the rebuild is over, and another run would start anew.
      for (const when of n === total ? (['before'] as const) : (['before', 'after'] as const)) {
        fake = fakeRds();
        const oldResource = fake.get(REPLICA)!.DbiResourceId!;
        fake.breakCall(n, when);
        expect(String(await outcome()), `call ${n} ${when}`).toMatch(/injected/);
        expect(await outcome(), `call ${n} ${when}`).toBe('finished');
        expectRebuilt(oldResource);
      }
    }
  });

  it('never deletes an instance it did not rename', async () => {
    fake.replica(`${REPLICA}-old`);
    expect(await outcome()).toEqual(
      new RunbookRefusal(
        `${REPLICA}-old exists and is not the replica this runbook renamed: rename or delete it by hand first, the swap needs that identifier`,
      ),
    );
    expect(mutations()).toEqual([]);

    fake = fakeRds();
    fake.breakOnce('DeleteDBInstance', () => true, 'before');
    expect(await outcome()).toMatchObject({ message: 'injected: DeleteDBInstance failed' });
    // Someone promotes the renamed old replica to keep its data meanwhile.
    delete fake.get(`${REPLICA}-old`)!.ReadReplicaSourceDBInstanceIdentifier;
    expect(await outcome()).toEqual(
      new RunbookRefusal(`${REPLICA}-old is no longer a read replica (promoted?): not deleting it; delete it by hand once it is not needed`),
    );
    expect(fake.log.filter((l) => l.startsWith('delete'))).toEqual([]);
  });

  it('keeps derived identifiers within 63 characters, the same on every run', async () => {
    expect(derivedId('db-1', '-rb')).toBe('db-1-rb');
    // 63 characters, with a hyphen where the '-rb' name is cut.
    const long = `reporting-replica-${'x'.repeat(34)}-${'y'.repeat(10)}`;
    const twin = `${long.slice(0, 60)}zzz`;
    for (const suffix of ['-rb', '-old']) {
      const id = derivedId(long, suffix);
      expect(id.length).toBeLessThanOrEqual(63);
      expect(id).toMatch(new RegExp(`^reporting-replica-x+-[0-9a-f]{6}${suffix}$`));
      expect(derivedId(long, suffix)).toBe(id);
      expect(derivedId(twin, suffix)).not.toBe(id);
    }

    fake.replica(long);
    const oldResource = fake.get(long)!.DbiResourceId;
    await rebuildRdsReplica(fake.options({ replicaId: long.toUpperCase() }));
    expect(fake.log.slice(0, 3)).toEqual([
      `create ${derivedId(long, '-rb')}`,
      `rename ${long} -> ${derivedId(long, '-old')}`,
      `rename ${derivedId(long, '-rb')} -> ${long}`,
    ]);
    expect(fake.get(long)).toMatchObject({ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: PRIMARY });
    expect(fake.get(long)!.DbiResourceId).not.toBe(oldResource);
  });
});

describe('replwatch runbook rebuild-replica --strategy rds', () => {
  it("plans from the config's rdsInstanceId without changing anything, and refuses the primary", async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { cli } = await import('../../support/cli');
    const file = join(mkdtempSync(join(tmpdir(), 'rw-rds-')), 'rds.yml');
    writeFileSync(
      file,
      JSON.stringify({
        clusters: [
          {
            name: 'orders',
            primary: { host: address(PRIMARY) },
            replicas: [{ name: 'r1', host: address(REPLICA), rdsInstanceId: REPLICA }],
            user: 'replwatch',
          },
        ],
      }),
    );
    process.env.AWS_REGION = 'eu-west-1';
    const plan = await cli('runbook', 'rebuild-replica', '--config', file, '--cluster', 'orders', '--replica', 'r1', '--strategy', 'rds');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('planned create');
    // The printed command reaches the same config from any directory.
    expect(plan.stdout).toContain(`To run it: replwatch runbook rebuild-replica --cluster orders --replica r1 --config ${file} --strategy rds --execute`);
    expect(mutations()).toEqual([]);
    const refused = await cli('runbook', 'rebuild-replica', '--config', file, '--cluster', 'orders', '--replica', 'orders-primary', '--strategy', 'rds');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is the primary of orders');
  });
});
