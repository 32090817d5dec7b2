import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load';
import { deadManAlarm } from '../../../src/gameday/deadman';
import { fisTemplates, isoSeconds, type FisExperiment } from '../../../src/gameday/fis';

const fleet = parseConfig(
  stringify({
    clusters: [
      {
        name: 'main',
        primary: { host: 'db1', rdsInstanceId: 'main-primary' },
        replicas: [
          { name: 'main-r1', host: 'db2', rdsInstanceId: 'main-r1' },
          { name: 'main-r2', host: 'db3' },
        ],
        user: 'replwatch',
        password: 'env:PW',
      },
      { name: 'onprem', primary: { host: 'db9' }, replicas: [{ name: 'onprem-r1', host: 'db10' }], user: 'replwatch', password: 'env:PW' },
    ],
    memcache: [{ name: 'sessions', nodes: ['10.0.0.5:11211'] }],
    network: [{ name: 'db-hosts', targets: ['10.0.0.7:3306'] }],
  }),
  'fleet.yml',
);
const experiments = fisTemplates(fleet, { account: '123456789012', region: 'eu-west-1', stage: 'staging' });
const byName = (n: string) => experiments.find((e) => e.scenario === n)!;

/** What FIS accepts per action: its target key and resource type, and its required parameters. */
const ACTIONS: Record<string, { key: string; resourceType: string; required: string[] }> = {
  'aws:rds:reboot-db-instances': { key: 'DBInstances', resourceType: 'aws:rds:db', required: [] },
  'aws:network:disrupt-connectivity': { key: 'Subnets', resourceType: 'aws:ec2:subnet', required: ['duration'] },
  'aws:ssm:send-command': { key: 'Instances', resourceType: 'aws:ec2:instance', required: ['documentArn', 'duration'] },
};

describe('gameday --emit-fis templates', () => {
  it('one experiment per fault the fleet can have, RDS ones only where RDS ids are given', () => {
    expect(experiments.map((e) => e.scenario).sort()).toEqual([
      'db-hosts-packet-loss',
      'main-primary-failover',
      'main-replica-reboot',
      'network-disruption',
      'sessions-memcached-killed',
    ]);
    expect(byName('main-replica-reboot').template.targets.replicas!.resourceArns).toEqual(['arn:aws:rds:eu-west-1:123456789012:db:main-r1']);
    expect(byName('main-primary-failover').template.actions.failoverPrimary!.parameters).toEqual({ forceFailover: 'true' });
  });

  it.each(experiments.map((e) => [e.scenario, e] as [string, FisExperiment]))('%s has the shape CreateExperimentTemplate takes', (_, e) => {
    const t = e.template;
    expect(t.description.length).toBeGreaterThan(10);
    expect(t.description.length).toBeLessThanOrEqual(512);
    expect(t.roleArn).toBe('arn:aws:iam::123456789012:role/replwatch-fis-staging');
    expect(Object.keys(t.actions).length).toBeGreaterThan(0);
    for (const [name, a] of Object.entries(t.actions)) {
      const spec = ACTIONS[a.actionId];
      expect(spec, `${name}: ${a.actionId}`).toBeDefined();
      expect(Object.keys(a.targets)).toEqual([spec!.key]);
      const target = t.targets[a.targets[spec!.key]!];
      expect(target, `${name} targets a defined target`).toBeDefined();
      expect(target!.resourceType).toBe(spec!.resourceType);
      // A target picks resources by ARN or by tag, and says how many.
      expect(Boolean(target!.resourceArns?.length) !== Boolean(target!.resourceTags)).toBe(true);
      expect(target!.selectionMode).toMatch(/^(ALL|COUNT\(\d+\))$/);
      for (const p of spec!.required) expect(a.parameters[p], `${name}.${p}`).toBeTruthy();
      if (a.parameters.duration) expect(isoSeconds(a.parameters.duration)).toBeGreaterThan(60);
      if (a.parameters.documentParameters) expect(() => JSON.parse(a.parameters.documentParameters!)).not.toThrow();
      if (a.parameters.documentArn) expect(a.parameters.documentArn).toMatch(/^arn:aws:ssm:eu-west-1::document\/AWSFIS-Run-/);
    }
    for (const [k, v] of Object.entries(t.tags)) {
      expect(k.length).toBeLessThanOrEqual(128);
      expect(v.length).toBeLessThanOrEqual(256);
    }
    expect(t.experimentOptions.emptyTargetResolutionMode).toBe('fail');
  });

  it('every experiment stops itself on the deployed dead-man alarm: a drill nobody watches is not a drill', () => {
    const name = deadManAlarm(readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8'), 'staging').name;
    for (const e of experiments)
      expect(e.template.stopConditions).toEqual([{ source: 'aws:cloudwatch:alarm', value: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${name}` }]);
  });

  it('packet loss and process kill go through the AWSFIS SSM documents with their parameters', () => {
    const loss = byName('db-hosts-packet-loss').template.actions.packetLoss!.parameters;
    expect(JSON.parse(loss.documentParameters!)).toEqual({ DurationSeconds: '120', LossPercent: '30', Interface: 'eth0', InstallDependencies: 'True' });
    const kill = byName('sessions-memcached-killed').template.actions.killMemcached!.parameters;
    expect(JSON.parse(kill.documentParameters!)).toEqual({ ProcessName: 'memcached', Signal: 'SIGKILL' });
  });

  it('durations are ISO 8601, and a bad one is a clear error', () => {
    expect(isoSeconds('PT2M')).toBe(120);
    expect(isoSeconds('PT1H30S')).toBe(3630);
    expect(() => isoSeconds('2m')).toThrow(/ISO 8601/);
    expect(() => fisTemplates(fleet, { account: '123456789012', region: 'eu-west-1', stage: 's', duration: 'PT' })).toThrow(/ISO 8601/);
  });
});
