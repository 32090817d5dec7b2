import { CreateDBInstanceReadReplicaCommand, DeleteDBInstanceCommand, DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient, type DBInstance } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { derivedId, rebuildRdsReplica } from '../../src/runbooks/rdsReplica';

/** An RDS account in memory: instances pass through creating/renaming for two polls, as RDS's do. */
function fakeRds() {
  const instances = new Map<string, DBInstance & { polls: number }>();
  const mock = mockClient(RDSClient);
  const notFound = () => Object.assign(new Error('DBInstance not found'), { name: 'DBInstanceNotFoundFault' });
  const put = (db: DBInstance) => instances.set(db.DBInstanceIdentifier!, { ...db, polls: 0 });
  mock.on(DescribeDBInstancesCommand).callsFake(({ DBInstanceIdentifier: id }: { DBInstanceIdentifier: string }) => {
    const db = instances.get(id);
    if (!db) throw notFound();
    if (db.DBInstanceStatus !== 'available' && ++db.polls >= 2) db.DBInstanceStatus = 'available';
    const { polls: _p, ...shown } = db;
    return { DBInstances: [shown] };
  });
  mock.on(CreateDBInstanceReadReplicaCommand).callsFake((input: Record<string, unknown>) => {
    if (instances.has(String(input.DBInstanceIdentifier))) throw Object.assign(new Error('exists'), { name: 'DBInstanceAlreadyExistsFault' });
    put({
      DBInstanceIdentifier: String(input.DBInstanceIdentifier),
      DBInstanceStatus: 'creating',
      ReadReplicaSourceDBInstanceIdentifier: String(input.SourceDBInstanceIdentifier),
      DBInstanceClass: input.DBInstanceClass as string,
      VpcSecurityGroups: (input.VpcSecurityGroupIds as string[]).map((g) => ({ VpcSecurityGroupId: g, Status: 'active' })),
      DBParameterGroups: [{ DBParameterGroupName: input.DBParameterGroupName as string }],
      Endpoint: { Address: `${String(input.DBInstanceIdentifier)}.abc.eu-west-1.rds.amazonaws.com`, Port: input.Port as number },
    });
    return {};
  });
  mock.on(ModifyDBInstanceCommand).callsFake(({ DBInstanceIdentifier: id, NewDBInstanceIdentifier: next }: { DBInstanceIdentifier: string; NewDBInstanceIdentifier: string }) => {
    const db = instances.get(id);
    if (!db) throw notFound();
    instances.delete(id);
    put({ ...db, DBInstanceIdentifier: next, DBInstanceStatus: 'renaming', Endpoint: { ...db.Endpoint, Address: `${next}.abc.eu-west-1.rds.amazonaws.com` } });
    return {};
  });
  mock.on(DeleteDBInstanceCommand).callsFake(({ DBInstanceIdentifier: id }: { DBInstanceIdentifier: string }) => {
    if (!instances.delete(id)) throw notFound();
    return {};
  });
  put({ DBInstanceIdentifier: 'db-primary', DBInstanceStatus: 'available', DBInstanceClass: 'db.r6g.large' });
  put({
    DBInstanceIdentifier: 'db-replica-1',
    DBInstanceStatus: 'available',
    ReadReplicaSourceDBInstanceIdentifier: 'db-primary',
    DBInstanceClass: 'db.r6g.large',
    AvailabilityZone: 'eu-west-1b',
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1', Status: 'active' }],
    DBParameterGroups: [{ DBParameterGroupName: 'replica-params' }],
    Endpoint: { Address: 'db-replica-1.abc.eu-west-1.rds.amazonaws.com', Port: 3306 },
  });
  return { instances, mock };
}

let rds: ReturnType<typeof fakeRds>;
beforeEach(() => {
  rds = fakeRds();
});
afterEach(() => rds.mock.restore());

const run = (execute: boolean, replicaId = 'db-replica-1') => rebuildRdsReplica({ rds: new RDSClient({ region: 'eu-west-1' }), replicaId, execute, pollMs: 1, sleep: async () => undefined });
const mutations = () => [CreateDBInstanceReadReplicaCommand, ModifyDBInstanceCommand, DeleteDBInstanceCommand].flatMap((c) => rds.mock.commandCalls(c));

describe('RDS rebuild strategy', () => {
  it('plans without changing anything', async () => {
    const plan = await run(false);
    expect(plan.steps.map((s) => s.status)).toEqual(['planned', 'planned', 'planned', 'planned', 'planned']);
    expect(mutations()).toEqual([]);
  });

  it('replaces the replica with a new one of the same source and settings, keeping the endpoint', async () => {
    const result = await run(true);
    expect(result.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(result.endpoint).toBe('db-replica-1.abc.eu-west-1.rds.amazonaws.com:3306');
    expect([...rds.instances.keys()].sort()).toEqual(['db-primary', 'db-replica-1']);
    expect(rds.instances.get('db-replica-1')).toMatchObject({
      ReadReplicaSourceDBInstanceIdentifier: 'db-primary',
      DBInstanceClass: 'db.r6g.large',
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
      DBParameterGroups: [{ DBParameterGroupName: 'replica-params' }],
    });
    expect(rds.mock.commandCalls(DeleteDBInstanceCommand)[0]!.args[0].input).toEqual({ DBInstanceIdentifier: 'db-replica-1-old', SkipFinalSnapshot: true, DeleteAutomatedBackups: true });
  });

  it('finishes after a failure in the middle without a second replica or deleting the new one', async () => {
    rds.mock.on(ModifyDBInstanceCommand, { DBInstanceIdentifier: 'db-replica-1-rb' }).rejectsOnce(Object.assign(new Error('Throttling'), { name: 'ThrottlingException' }));
    await expect(run(true)).rejects.toThrow('Throttling');
    expect([...rds.instances.keys()].sort()).toEqual(['db-primary', 'db-replica-1-old', 'db-replica-1-rb']);
    // The restored default behaviour of the fake handles the retry.
    rds.mock.restore();
    const instances = rds.instances;
    rds = fakeRds();
    rds.instances.clear();
    for (const [k, v] of instances) rds.instances.set(k, v);
    const result = await run(true);
    expect(result.steps.map((s) => [s.name.split(' ')[0], s.status])).toEqual([
      ['create', 'skipped'],
      ['wait', 'skipped'],
      ['rename', 'skipped'],
      ['rename', 'done'],
      ['delete', 'done'],
    ]);
    expect(rds.mock.commandCalls(CreateDBInstanceReadReplicaCommand)).toEqual([]);
    expect([...rds.instances.keys()].sort()).toEqual(['db-primary', 'db-replica-1']);
  });

  it('refuses a primary and an unknown instance', async () => {
    await expect(run(true, 'db-primary')).rejects.toThrow('db-primary is not a read replica (no source instance): the RDS strategy never replaces a primary');
    await expect(run(true, 'nope')).rejects.toThrow('no RDS instance nope');
    expect(mutations()).toEqual([]);
  });

  it('keeps derived identifiers within 63 characters, deterministically', () => {
    const long = `replica-${'x'.repeat(60)}`;
    expect(derivedId(long, '-old')).toHaveLength(63);
    expect(derivedId(long, '-old')).toBe(derivedId(long, '-old'));
    expect(derivedId('db-1', '-rb')).toBe('db-1-rb');
  });
});

describe('replwatch runbook rebuild-replica --strategy rds', () => {
  it('names the RDS instance from the config, plans, then replaces it', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { cli } = await import('../support/cli');
    const file = join(mkdtempSync(join(tmpdir(), 'rw-rds-')), 'rds.yml');
    writeFileSync(
      file,
      JSON.stringify({
        clusters: [{ name: 'prod', primary: { host: 'db-primary.abc.rds.amazonaws.com' }, replicas: [{ name: 'r1', host: 'db-replica-1.abc.rds.amazonaws.com', rdsInstanceId: 'db-replica-1' }], user: 'replwatch' }],
      }),
    );
    process.env.AWS_REGION = 'eu-west-1';
    const plan = await cli('runbook', 'rebuild-replica', '--config', file, '--cluster', 'prod', '--replica', 'r1', '--strategy', 'rds');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('planned create read replica db-replica-1-rb of db-primary');
    expect(plan.stdout).toContain('To run it: replwatch runbook rebuild-replica --cluster prod --replica r1 --execute --strategy rds');
    expect(mutations()).toEqual([]);
    const refused = await cli('runbook', 'rebuild-replica', '--config', file, '--cluster', 'prod', '--replica', 'prod-primary', '--strategy', 'rds');
    expect(refused.stderr).toContain('is the primary of prod');
  });
});
