import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

/**
 * Packages the deployment offline (`node scripts/package.mjs` -> `osls package --stage local`)
 * and checks what would be deployed: the CloudFormation template and the zips.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = join(root, '.serverless');

type Json = Record<string, any>;
interface Statement {
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  Condition?: Json;
}

let template: Json;
let resources: Record<string, Json>;
let packageOutput = '';
const extracted: string[] = [];

beforeAll(() => {
  const run = spawnSync(process.execPath, [join(root, 'scripts/package.mjs')], { cwd: root, encoding: 'utf8', timeout: 110_000 });
  packageOutput = `${run.stdout}\n${run.stderr}`;
  if (run.status !== 0) throw new Error(`scripts/package.mjs exited ${run.status} ${run.signal ?? ''}:\n${packageOutput}`);
  template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
}, 120_000);

afterAll(() => {
  for (const dir of extracted) rmSync(dir, { recursive: true, force: true });
});

/** A CloudFormation condition's value, for the intrinsic functions serverless.yml uses. */
function evaluate(conditions: Json, name: string): boolean {
  const value = (node: Json | string | boolean): unknown => {
    if (typeof node !== 'object' || node === null) return node;
    if ('Fn::Equals' in node) return value(node['Fn::Equals'][0]) === value(node['Fn::Equals'][1]);
    if ('Fn::Not' in node) return !value(node['Fn::Not'][0]);
    if ('Fn::Or' in node) return node['Fn::Or'].some((c: Json) => value(c));
    if ('Condition' in node) return evaluate(conditions, node.Condition);
    throw new Error(`cannot evaluate ${JSON.stringify(node)}`);
  };
  if (!(name in conditions)) throw new Error(`no condition ${name}`);
  return value(conditions[name]) as boolean;
}

/**
 * The stack `osls print` resolves for a service whose replwatch.yml is `config`: this serverless.yml
 * in a directory of its own (osls runs in the service directory), the rest linked from the repo.
 */
function printStack(config: string): Json {
  const dir = mkdtempSync(join(tmpdir(), 'replwatch-print-'));
  try {
    writeFileSync(join(dir, 'serverless.yml'), readFileSync(join(root, 'serverless.yml')));
    writeFileSync(join(dir, 'replwatch.yml'), config);
    for (const f of ['package.json', 'tsconfig.json', 'node_modules', 'scripts', 'src', 'functions']) symlinkSync(join(root, f), join(dir, f));
    const osls = join(root, 'node_modules/osls/bin/serverless.js');
    const run = spawnSync(process.execPath, [osls, 'print', '--stage', 'local', '--format', 'json'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`osls print exited ${run.status}: ${run.stdout}${run.stderr}`);
    return (JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as Json).resources;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each function's memory, and every AWS service and CloudWatch action its role may use. */
const FUNCTIONS = {
  checkReplication: {
    memory: 512,
    services: ['cloudwatch', 'dynamodb', 'logs', 'secretsmanager', 'sns', 'ssm'],
    cloudwatch: ['cloudwatch:GetMetricData', 'cloudwatch:PutMetricData'],
  },
  checkMemcache: { memory: 256, services: ['cloudwatch', 'dynamodb', 'logs', 'sns'], cloudwatch: ['cloudwatch:PutMetricData'] },
  checkNetwork: {
    memory: 256,
    services: ['cloudwatch', 'dynamodb', 'logs', 'sns'],
    cloudwatch: ['cloudwatch:GetMetricData', 'cloudwatch:PutMetricData'],
  },
  heartbeat: { memory: 256, services: ['logs', 'secretsmanager', 'ssm'], cloudwatch: [] },
  dispatch: { memory: 256, services: ['lambda', 'logs'], cloudwatch: [] },
  rebuildReplica: { memory: 1024, services: ['dynamodb', 'lambda', 'logs', 'rds', 'secretsmanager', 'sns', 'ssm'], cloudwatch: [] },
} as const;
/** Invoked by hand, with the 15-minute timeout. */
const MANUAL = new Set<string>(['rebuildReplica']);
/** On a schedule of their own, every minute; the checks are started by dispatch. */
const SCHEDULED = ['heartbeat', 'dispatch'] as const;
const NAMES = Object.keys(FUNCTIONS) as FunctionName[];
const with_ = (service: string) => NAMES.filter((n) => (FUNCTIONS[n].services as readonly string[]).includes(service));
type FunctionName = keyof typeof FUNCTIONS;

/** The functions that page, and the `Check` dimension value each publishes its metrics under. */
const CHECKS = { checkReplication: 'replication', checkMemcache: 'memcache', checkNetwork: 'network' } as const;
type CheckFunction = keyof typeof CHECKS;
const CHECK_FUNCTIONS = Object.keys(CHECKS) as CheckFunction[];
/** Environment variables that name this stack's resources (CloudFormation Refs, not strings). */
const PAGING_ENV = { STATE_TABLE: { Ref: 'StateTable' }, PAGES_TOPIC_ARN: { Ref: 'PagesTopic' } } as const;
const TOPIC = { Ref: 'PagesTopic' };
const TABLE_ARN = { 'Fn::GetAtt': ['StateTable', 'Arn'] };

function lambda(name: FunctionName): [string, Json] {
  const found = Object.entries(resources).filter(
    ([, r]) => r.Type === 'AWS::Lambda::Function' && typeof r.Properties.FunctionName === 'string' && r.Properties.FunctionName.endsWith(`-${name}`),
  );
  expect(found, `exactly one Lambda function named *-${name}`).toHaveLength(1);
  return found[0]!;
}

/** The logical id of the role a function runs as (`Role: !GetAtt X.Arn`). */
function roleOf(name: FunctionName): string {
  const role = lambda(name)[1].Properties.Role;
  expect(role?.['Fn::GetAtt']?.[1], `${name} Role is a GetAtt of a role in this stack`).toBe('Arn');
  return role['Fn::GetAtt'][0];
}

function roleStatements(roleId: string): Statement[] {
  const role = resources[roleId];
  expect(role?.Type).toBe('AWS::IAM::Role');
  return (role!.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement as Statement[]);
}

/** Every policy statement anywhere in the template (roles, policies, bucket policies, ...). */
function allStatements(node: unknown, found: Statement[] = []): Statement[] {
  if (Array.isArray(node)) for (const n of node) allStatements(n, found);
  else if (node && typeof node === 'object') {
    const o = node as Json;
    if (typeof o.Effect === 'string' && ('Action' in o || 'NotAction' in o)) found.push(o as Statement);
    for (const v of Object.values(o)) allStatements(v, found);
  }
  return found;
}

const actions = (s: Statement): string[] => (s.Action === undefined ? [] : Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] => (s.Resource === undefined ? [] : Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const grants = (statements: Statement[], action: string) => statements.filter((s) => s.Effect === 'Allow' && actions(s).includes(action));
const text = (v: unknown) => JSON.stringify(v);

/** Reads a zip's entries (central directory; stored or deflated). */
function readZip(file: string): Map<string, Buffer> {
  const buf = readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65_557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file}: not a zip`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + size);
    if (!name.endsWith('/')) entries.set(name, method === 0 ? Buffer.from(raw) : inflateRawSync(raw));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

describe('serverless package (osls, offline, stage local)', () => {
  it.each(NAMES)('prints the size of %s.zip', (name) => {
    expect(packageOutput).toMatch(new RegExp(`${name}\\.zip\\s+[\\d.]+ MB`));
  });

  it.each(NAMES)('%s runs on nodejs22.x, arm64, with its memory, timeout and environment', (name) => {
    const props = lambda(name)[1].Properties;
    expect(props.Runtime).toBe('nodejs22.x');
    expect(props.Architectures).toEqual(['arm64']);
    expect(props.MemorySize).toBe(FUNCTIONS[name].memory);
    expect(props.Timeout).toBe(MANUAL.has(name) ? 900 : 60);
    expect(props.Handler).toBe(`functions/${name}.handler`);
    const env = props.Environment.Variables;
    expect(env.REPLWATCH_CONFIG).toBe('replwatch.yml');
    expect(env.METRICS_NAMESPACE).toBe('Replwatch');
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('replwatch');
    expect(env.NODE_OPTIONS).toContain('--enable-source-maps');
    // Plain strings, except the names of this stack's own table and topic: osls package leaves a
    // Ref alone (offline), but any other intrinsic or ${aws:...} value would need credentials.
    for (const [k, v] of Object.entries(env)) if (!(k in PAGING_ENV)) expect(typeof v, k).toBe('string');
    // The local stage runs outside any VPC.
    expect(props.VpcConfig).toBeUndefined();
  });

  it.each(SCHEDULED)('%s is triggered every minute by an EventBridge rule', (name) => {
    const [id] = lambda(name);
    const rules = Object.entries(resources).filter(
      ([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.Targets?.some((t: Json) => t.Arn?.['Fn::GetAtt']?.[0] === id),
    );
    expect(rules).toHaveLength(1);
    const [ruleId, rule] = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.State).toBe('ENABLED');
    // EventBridge may invoke exactly this function, from exactly this rule.
    const permission = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Permission' && r.Properties.SourceArn?.['Fn::GetAtt']?.[0] === ruleId);
    expect(permission?.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
    expect(permission?.Properties.FunctionName['Fn::GetAtt'][0]).toBe(id);
  });

  it.each(CHECK_FUNCTIONS)('%s has no schedule of its own: dispatch starts it, one run per shard', (name) => {
    const [id] = lambda(name);
    expect(Object.values(resources).some((r) => r.Type === 'AWS::Events::Rule' && text(r.Properties.Targets).includes(id))).toBe(false);
  });

  it('lets dispatch start exactly the three check workers, named in its environment', () => {
    const statements = roleStatements(roleOf('dispatch'));
    expect(statements.flatMap(actions).filter((a) => !a.startsWith('logs:'))).toEqual(['lambda:InvokeFunction']);
    const invoke = grants(statements, 'lambda:InvokeFunction')[0]!;
    const arns = text(invoke.Resource);
    for (const name of CHECK_FUNCTIONS) expect(arns).toContain(`function:replwatch-local-${name}"`);
    expect(invoke.Resource).toHaveLength(3);
    expect(lambda('dispatch')[1].Properties.Environment.Variables).toMatchObject({
      CHECK_REPLICATION_FUNCTION: 'replwatch-local-checkReplication',
      CHECK_MEMCACHE_FUNCTION: 'replwatch-local-checkMemcache',
      CHECK_NETWORK_FUNCTION: 'replwatch-local-checkNetwork',
    });
  });

  it.each([...with_('sns'), 'dispatch' as const])('%s is not retried by Lambda: the next run comes within the minute', (name) => {
    const [id] = lambda(name);
    const config = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::EventInvokeConfig' && text(r.Properties.FunctionName).includes(id));
    expect(config?.Properties.MaximumRetryAttempts).toBe(0);
    // A check worker's run that Lambda cannot start within a minute is dropped (and alarmed), not run stale.
    if ((CHECK_FUNCTIONS as string[]).includes(name)) expect(config?.Properties.MaximumEventAgeInSeconds).toBe(60);
  });

  it('gives each function its own IAM role', () => {
    const roles = NAMES.map(roleOf);
    expect(new Set(roles).size).toBe(NAMES.length);
    for (const role of roles) {
      expect(resources[role]?.Type).toBe('AWS::IAM::Role');
      // Not the framework's shared role.
      expect(role).not.toBe('IamRoleLambdaExecution');
      expect(text(resources[role]!.Properties.AssumeRolePolicyDocument)).toContain('lambda.amazonaws.com');
    }
  });

  it('allows no wildcard action anywhere in the template', () => {
    const statements = allStatements(template);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      // NotAction allows everything except a list: never acceptable here.
      expect(s.NotAction, text(s)).toBeUndefined();
      if (s.Effect !== 'Allow') continue; // a Deny on s3:* (the deployment bucket's TLS-only rule) only takes away
      expect(actions(s).length, text(s)).toBeGreaterThan(0);
      for (const a of actions(s)) expect(a, text(s)).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
    }
  });

  it.each(NAMES)('%s may use only the services it needs', (name) => {
    const statements = roleStatements(roleOf(name));
    const services = new Set(
      statements
        .filter((s) => s.Effect === 'Allow')
        .flatMap(actions)
        .map((a) => a.split(':')[0]),
    );
    expect([...services].sort()).toEqual([...FUNCTIONS[name].services]);
    expect(
      statements
        .flatMap(actions)
        .filter((a) => a.startsWith('cloudwatch:'))
        .sort(),
    ).toEqual([...FUNCTIONS[name].cloudwatch]);
    // Only the calls without resource-level permissions may use Resource "*": CloudWatch's metric
    // calls, and following or cancelling a Run Command already sent (which SendCommand scopes).
    const unscoped = (a: string) => a.startsWith('cloudwatch:') || a === 'ssm:GetCommandInvocation' || a === 'ssm:CancelCommand';
    for (const s of statements.filter((s) => s.Effect === 'Allow' && !actions(s).every(unscoped))) {
      expect(text(s.Resource), text(s)).not.toBe('"*"');
    }
  });

  it.each(with_('cloudwatch'))('%s may put metrics only in its namespace', (name) => {
    const put = grants(roleStatements(roleOf(name)), 'cloudwatch:PutMetricData');
    expect(put).toHaveLength(1);
    expect(put[0]!.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'Replwatch' } });
  });

  it.each(with_('ssm'))('%s reads only replwatch/* SSM parameters and secrets', (name) => {
    const statements = roleStatements(roleOf(name));
    const ssm = grants(statements, 'ssm:GetParameter');
    expect(ssm).toHaveLength(1);
    expect(text(ssm[0]!.Resource)).toMatch(/:ssm:(\$\{AWS::Region\}|[a-z0-9-]+):(\$\{AWS::AccountId\}|\d{12}):parameter\/replwatch\/\*"/);
    const secrets = grants(statements, 'secretsmanager:GetSecretValue');
    expect(secrets).toHaveLength(1);
    expect(text(secrets[0]!.Resource)).toMatch(/:secretsmanager:(\$\{AWS::Region\}|[a-z0-9-]+):(\$\{AWS::AccountId\}|\d{12}):secret:replwatch\/\*"/);
  });

  it.each(CHECK_FUNCTIONS)('%s gets the state table and the pages topic in its environment', (name) => {
    const env = lambda(name)[1].Properties.Environment.Variables;
    expect(env.STATE_TABLE).toEqual(PAGING_ENV.STATE_TABLE);
    expect(env.PAGES_TOPIC_ARN).toEqual(PAGING_ENV.PAGES_TOPIC_ARN);
  });

  it('heartbeat pages nothing: no table or topic in its environment, no sns or dynamodb in its role', () => {
    const env = lambda('heartbeat')[1].Properties.Environment.Variables;
    expect(env.STATE_TABLE).toBeUndefined();
    expect(env.PAGES_TOPIC_ARN).toBeUndefined();
    const used = roleStatements(roleOf('heartbeat')).flatMap(actions);
    expect(used.filter((a) => /^(sns|dynamodb):/.test(a))).toEqual([]);
    expect(text(resources[roleOf('heartbeat')])).not.toMatch(/PagesTopic|StateTable/);
  });

  it.each(CHECK_FUNCTIONS)('%s may publish to exactly the pages topic and use exactly the state table', (name) => {
    const statements = roleStatements(roleOf(name)).filter((s) => s.Effect === 'Allow');
    const publish = grants(statements, 'sns:Publish');
    expect(publish).toHaveLength(1);
    expect(resourcesOf(publish[0]!)).toEqual([TOPIC]);
    expect(statements.flatMap(actions).filter((a) => a.startsWith('sns:'))).toEqual(['sns:Publish']);

    const dynamo = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Scan']);
    for (const s of dynamo) {
      expect(
        actions(s).every((a) => a.startsWith('dynamodb:')),
        text(s),
      ).toBe(true);
      expect(resourcesOf(s), text(s)).toEqual([TABLE_ARN]);
      expect(s.Condition).toBeUndefined();
    }
  });

  it.each(NAMES.filter((n) => !MANUAL.has(n) && n !== 'dispatch'))('%s may not touch RDS or invoke Lambda functions', (name) => {
    const used = roleStatements(roleOf(name)).flatMap(actions);
    expect(used.filter((a) => /^rds(-data|-db)?:/i.test(a) || /^lambda:Invoke/i.test(a))).toEqual([]);
  });

  it('lets rebuildReplica invoke only itself, and lock only in the state table', () => {
    const statements = roleStatements(roleOf('rebuildReplica'));
    const invoke = grants(statements, 'lambda:InvokeFunction');
    expect(invoke).toHaveLength(1);
    expect(text(invoke[0]!.Resource)).toMatch(/function:replwatch-local-rebuildReplica"/);
    const lock = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(lock.flatMap(actions).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(lock.every((s) => text(s.Resource) === text({ 'Fn::GetAtt': ['StateTable', 'Arn'] }))).toBe(true);
    expect(Object.values(resources).some((r) => r.Type === 'AWS::Events::Rule' && text(r.Properties.Targets).includes(lambda('rebuildReplica')[0]))).toBe(
      false,
    );
    // RDS actions for the rds strategy, on this account's instances and their groups only.
    const rdsStatements = statements.filter((s) => actions(s).some((a) => a.startsWith('rds:')));
    expect(rdsStatements.flatMap(actions).sort()).toEqual([
      'rds:AddTagsToResource',
      'rds:CreateDBInstanceReadReplica',
      'rds:DeleteDBInstance',
      'rds:DescribeDBInstances',
      'rds:ModifyDBInstance',
      'rds:RemoveTagsFromResource',
    ]);
    for (const r of rdsStatements.flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource])))
      expect(text(r)).toMatch(/:rds:\$\{AWS::Region\}:\$\{AWS::AccountId\}:(db|pg|og|subgrp):\*"/);
  });

  it('deploys host-steps.sh as the SSM document, and lets only rebuildReplica send only it, only to tagged instances', () => {
    const docs = ofType('AWS::SSM::Document');
    expect(docs.map(([id]) => id)).toEqual(['HostStepsDocument']);
    const doc = docs[0]![1].Properties;
    expect(doc.Name).toBe('replwatch-host-steps');
    expect(doc.DocumentType).toBe('Command');
    const script = doc.Content.mainSteps[0].inputs.runCommand.join('\n');
    expect(script).toContain(readFileSync(join(root, 'src/runbooks/physical/host-steps.sh'), 'utf8').trimEnd());
    expect(doc.Content.parameters.argv.allowedPattern).toBe('^[A-Za-z0-9+/]+={0,2}$');

    const send = (name: FunctionName) => grants(roleStatements(roleOf(name)), 'ssm:SendCommand');
    for (const name of NAMES.filter((n) => n !== 'rebuildReplica')) expect(send(name), name).toEqual([]);
    const statements = send('rebuildReplica');
    const documentGrant = statements.find((s) => text(s.Resource).includes(':document/'));
    expect(text(documentGrant!.Resource)).toMatch(/:document\/replwatch-host-steps"/);
    expect(documentGrant!.Condition).toBeUndefined();
    const instances = statements.filter((s) => s !== documentGrant);
    expect(instances).toHaveLength(1);
    expect(text(instances[0]!.Resource)).toMatch(/instance\/\*/);
    expect(instances[0]!.Condition).toEqual({ StringEquals: { 'ssm:resourceTag/replwatch-host-steps': 'allowed' } });
    expect(actions(instances[0]!)).toEqual(['ssm:SendCommand']);
  });

  describe('paging resources', () => {
    it('has one SNS topic for pages, which CloudWatch alarms of this account may publish to', () => {
      const topics = ofType('AWS::SNS::Topic');
      expect(topics.map(([id]) => id)).toEqual(['PagesTopic']);
      expect(resources.PagesTopic!.Properties.TopicName).toBe('replwatch-local-pages');

      const policies = ofType('AWS::SNS::TopicPolicy');
      expect(policies).toHaveLength(1);
      const policy = policies[0]![1].Properties;
      expect(policy.Topics).toEqual([TOPIC]);
      const statements = policy.PolicyDocument.Statement as (Statement & { Principal?: Json })[];
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatchObject({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } });
      expect(actions(statements[0]!)).toEqual(['sns:Publish']);
      expect(resourcesOf(statements[0]!)).toEqual([TOPIC]);
      // Only alarms in this account (confused-deputy guard).
      expect(statements[0]!.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
    });

    it('has an email subscription for critical pages and the attribute-less alarms, created only when pagerEmail is set', () => {
      const subs = ofType('AWS::SNS::Subscription');
      expect(subs).toHaveLength(1);
      const [, sub] = subs[0]!;
      expect(sub.Properties).toMatchObject({
        TopicArn: TOPIC,
        Protocol: 'email',
        FilterPolicyScope: 'MessageAttributes',
        // CloudWatch alarm notifications (the dead-man) carry no attributes: they must get through.
        FilterPolicy: { severity: ['critical', { exists: false }] },
      });
      // Conditional on a non-empty pagerEmail; the local stage sets none, so it would not be created.
      expect(typeof sub.Condition).toBe('string');
      const condition = template.Conditions?.[sub.Condition];
      expect(condition).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [sub.Properties.Endpoint, ''] }] });
      expect(sub.Properties.Endpoint).toBe('');
    });

    it('has the alert-state table: pk (S) only, on demand, TTL on expiresAt, PITR, retained', () => {
      const tables = ofType('AWS::DynamoDB::Table');
      expect(tables.map(([id]) => id)).toEqual(['StateTable']);
      const table = resources.StateTable!;
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
      expect(table.Properties.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(table.Properties.AttributeDefinitions).toEqual([{ AttributeName: 'pk', AttributeType: 'S' }]);
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.ProvisionedThroughput).toBeUndefined();
      expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
      expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties.GlobalSecondaryIndexes).toBeUndefined();
    });
  });

  describe('alarms', () => {
    const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([id, r]) => [id, r.Properties] as [string, Json]);
    const onMetric = (namespace: string, metric: string, dimensions: Json[]) =>
      alarms().filter(([, p]) => p.Namespace === namespace && p.MetricName === metric && text(p.Dimensions) === text(dimensions));

    const deadMan = (p: Json) => p.MetricName === 'ChecksCompleted';

    it('every alarm but the dead-man children notifies the pages topic when it fires and when it clears, and none uses SEARCH', () => {
      expect(alarms().length).toBe(11);
      for (const [id, p] of alarms()) {
        expect(p.AlarmActions, id).toEqual(deadMan(p) ? undefined : [TOPIC]);
        expect(p.OKActions, id).toEqual(deadMan(p) ? undefined : [TOPIC]);
        expect(p.ActionsEnabled ?? true, id).toBe(true);
        expect(text(p), id).not.toContain('SEARCH');
        expect(p.AlarmDescription.length, id).toBeGreaterThan(80);
        expect(p.AlarmDescription.length, id).toBeLessThanOrEqual(1024);
      }
      const names = alarms().map(([, p]) => p.AlarmName);
      expect(new Set(names).size).toBe(names.length);
    });

    it.each(CHECK_FUNCTIONS)('%s has a dead-man alarm: no ChecksCompleted for 3 minutes, missing data breaching', (name) => {
      const found = onMetric('Replwatch', 'ChecksCompleted', [{ Name: 'Check', Value: CHECKS[name] }]);
      expect(found).toHaveLength(1);
      const [, p] = found[0]!;
      expect(p).toMatchObject({
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        // No data at all is exactly what a stopped monitor looks like.
        TreatMissingData: 'breaching',
      });
      // Says what to look at: the function itself.
      expect(p.AlarmDescription).toContain(name);
      expect(p.AlarmDescription).toMatch(/Errors/);
      expect(p.AlarmDescription).toMatch(/Throttles/);
      expect(p.AlarmDescription).toMatch(/log/);
    });

    it('one composite alarm pages once when any check stops reporting (one page per incident, not three)', () => {
      const composites = ofType('AWS::CloudWatch::CompositeAlarm');
      expect(composites).toHaveLength(1);
      const [, c] = composites[0]!;
      expect(c.Properties.AlarmActions).toEqual([TOPIC]);
      expect(c.Properties.OKActions).toEqual([TOPIC]);
      const children = alarms()
        .filter(([, p]) => deadMan(p))
        .map(([id]) => id);
      expect(children).toHaveLength(3);
      // Each child exists only when the packaged config has its check; the rule names it only then.
      expect(c.Properties.AlarmRule['Fn::Join'][0]).toBe(' OR ');
      expect(c.Properties.AlarmRule['Fn::Join'][1]).toEqual(
        children.map((id) => ({ 'Fn::If': [resources[id]!.Condition, { 'Fn::Sub': `ALARM("\${${id}}")` }, 'FALSE'] })),
      );
      // With no replwatch.yml (CI), every check keeps its alarm.
      for (const id of children) expect(evaluate(template.Conditions, resources[id]!.Condition), id).toBe(true);
    });

    it('alarms only for the checks the packaged config has: a fleet of clusters alone gets no memcache or network dead man', () => {
      const printed = printStack(
        'clusters:\n  - { name: main, primary: { host: 10.0.0.1 }, replicas: [{ name: r1, host: 10.0.0.2 }], user: replwatch, password: env:PW }\n',
      );
      const deployed = Object.entries(printed.Resources as Record<string, Json>).filter(([, r]) => !r.Condition || evaluate(printed.Conditions, r.Condition));
      const deadMen = deployed.filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && r.Properties.MetricName === 'ChecksCompleted').map(([id]) => id);
      expect(deadMen).toEqual(['DeadManReplicationAlarm']);
      const rule = printed.Resources.MonitorNotReportingAlarm.Properties.AlarmRule['Fn::Join'];
      expect(
        rule[1]
          .map((part: Json) =>
            typeof part === 'string' ? part : evaluate(printed.Conditions, part['Fn::If'][0]) ? part['Fn::If'][1]['Fn::Sub'] : part['Fn::If'][2],
          )
          .join(rule[0]),
      ).toBe('ALARM("${DeadManReplicationAlarm}") OR FALSE OR FALSE');
    });

    it('refuses to package a config that has nothing to check, naming it', () => {
      expect(() => printStack('clusters: []\n')).toThrow(/replwatch\.yml:1: \(top level\): nothing to check: give clusters, memcache or network/);
    });

    it.each(CHECK_FUNCTIONS)('%s alarms when pages fail to send in 3 of 5 minutes', (name) => {
      const found = onMetric('Replwatch', 'PagesFailed', [{ Name: 'Check', Value: CHECKS[name] }]);
      expect(found).toHaveLength(1);
      expect(found[0]![1]).toMatchObject({
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 3,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it('dispatch alarms on Lambda errors 3 minutes running (some shards not started, while the others still report)', () => {
      const [id] = lambda('dispatch');
      const found = onMetric('AWS/Lambda', 'Errors', [{ Name: 'FunctionName', Value: { Ref: id } }]);
      expect(found).toHaveLength(1);
      expect(found[0]![1]).toMatchObject({
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(found[0]![1].AlarmDescription).toMatch(/worker not started/);
    });

    it('one alarm sums the worker runs Lambda dropped (throttled past their event age) over the three checks', () => {
      const found = alarms().filter(([, p]) => text(p).includes('AsyncEventsDropped'));
      expect(found).toHaveLength(1);
      const [, p] = found[0]!;
      const metrics = p.Metrics as Json[];
      const inputs = metrics.filter((m) => m.MetricStat);
      expect(inputs.map((m) => m.MetricStat.Metric.Dimensions[0].Value.Ref).sort()).toEqual(CHECK_FUNCTIONS.map((n) => lambda(n)[0]).sort());
      for (const m of inputs)
        expect(m).toMatchObject({
          ReturnData: false,
          MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'AsyncEventsDropped' }, Period: 60, Stat: 'Sum' },
        });
      const [sum] = metrics.filter((m) => m.Expression);
      expect(sum).toMatchObject({ ReturnData: true });
      for (const m of inputs) expect(sum!.Expression).toContain(m.Id);
      expect(p).toMatchObject({
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    it.each(CHECK_FUNCTIONS)('%s alarms on Lambda errors 3 minutes running', (name) => {
      const [id] = lambda(name);
      const found = onMetric('AWS/Lambda', 'Errors', [{ Name: 'FunctionName', Value: { Ref: id } }]);
      expect(found).toHaveLength(1);
      expect(found[0]![1]).toMatchObject({
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });
  });

  describe('dashboard', () => {
    let body: Json;
    let placeholders: string[];

    beforeAll(() => {
      const dashboards = ofType('AWS::CloudWatch::Dashboard');
      expect(dashboards).toHaveLength(1);
      const props = dashboards[0]![1].Properties;
      expect(props.DashboardName).toBe('replwatch-local');
      const sub = props.DashboardBody['Fn::Sub'];
      const source: string = Array.isArray(sub) ? sub[0] : sub;
      expect(typeof source).toBe('string');
      placeholders = [...source.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
      // As CloudFormation would: ${AWS::Region} and ${Alarm.Arn} become plain text.
      body = JSON.parse(source.replace(/\$\{([^}]*)\}/g, (_, name: string) => `sub-${name.replace(/[^A-Za-z0-9]/g, '-')}`));
    });

    const metricWidgets = () => (body.widgets as Json[]).filter((w) => w.type === 'metric');
    const expressions = () =>
      metricWidgets().flatMap((w) =>
        (w.properties.metrics as unknown[][])
          .flat()
          .filter((m): m is Json => typeof m === 'object' && m !== null && 'expression' in m)
          .map((m) => m.expression as string),
      );
    const series = () => metricWidgets().flatMap((w) => (w.properties.metrics as unknown[][]).filter((m) => typeof m[0] === 'string'));

    it('substitutes only the region and attributes of resources in this stack (no serverless variables left)', () => {
      expect(placeholders.length).toBeGreaterThan(0);
      for (const p of placeholders) {
        if (p.startsWith('AWS::')) expect(p).toBe('AWS::Region');
        else {
          const [id, attr] = p.split('.');
          expect(resources[id!], p).toBeDefined();
          expect(attr, p).toBe('Arn');
        }
      }
      for (const w of metricWidgets()) expect(w.properties.region).toBe('sub-AWS--Region');
    });

    it.each([
      ['ReplicaLagSeconds', 'Cluster,Replica'],
      ['NetworkLossPercent', 'Group,Target'],
      ['MemcacheRoundTripMs', 'Pool,Node'],
    ])('graphs %s per %s with a SEARCH expression over the namespace', (metric, dims) => {
      const found = expressions().filter((e) => e.includes(`MetricName="${metric}"`));
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(new RegExp(`^SEARCH\\('\\{"?Replwatch"?,${dims}\\} MetricName="${metric}"', '[A-Za-z]+', 60\\)$`));
    });

    it.each(['PagesSent', 'PagesFailed', 'ChecksCompleted'])('graphs %s per check', (metric) => {
      const found = series().filter((m) => m[0] === 'Replwatch' && m[1] === metric);
      expect(found.map((m) => [m[2], m[3]])).toEqual(Object.values(CHECKS).map((c) => ['Check', c]));
      for (const w of metricWidgets().filter((w) => text(w.properties.metrics).includes(`"${metric}"`))) {
        expect(w.properties.stat).toBe('Sum');
      }
    });

    it('shows the state of every alarm that always exists, and the dead man as its composite (its children depend on the fleet)', () => {
      const alarmWidgets = (body.widgets as Json[]).filter((w) => w.type === 'alarm');
      expect(alarmWidgets).toHaveLength(1);
      const ids = [...ofType('AWS::CloudWatch::Alarm').filter(([, r]) => !r.Condition), ...ofType('AWS::CloudWatch::CompositeAlarm')].map(
        ([id]) => `sub-${id}-Arn`,
      );
      expect([...alarmWidgets[0]!.properties.alarms].sort()).toEqual(ids.sort());
    });
  });

  describe('zips', () => {
    const zips = () =>
      readdirSync(out)
        .filter((f) => f.endsWith('.zip'))
        .sort();

    it('has one zip per function', () => {
      expect(zips()).toEqual(NAMES.map((n) => `${n}.zip`).sort());
    });

    it.each(NAMES)('%s.zip is under 5 MB and holds one bundled ESM handler, its own chunks and source maps, and nothing else', (name) => {
      const file = join(out, `${name}.zip`);
      expect(readFileSync(file).length).toBeLessThan(5 * 1024 * 1024);
      const entries = readZip(file);
      const names = [...entries.keys()];
      // Bundled: no node_modules, no TypeScript sources, nothing from other functions.
      expect(names.filter((n) => n.includes('node_modules/'))).toEqual([]);
      expect(names.filter((n) => n.endsWith('.ts'))).toEqual([]);
      expect(names.filter((n) => /^functions\/[^/]+\.(c|m)?js$/.test(n))).toEqual([`functions/${name}.js`]);
      const code = names.filter((n) => /\.(c|m)?js$/.test(n));
      expect(code.filter((n) => n !== `functions/${name}.js` && !n.startsWith(`functions/${name}.chunks/`))).toEqual([]);
      for (const n of code) expect(names, n).toContain(`${n}.map`);
      // What makes Lambda (and Node) read the .js files as ES modules.
      expect(JSON.parse(entries.get('functions/package.json')!.toString('utf8'))).toEqual({ type: 'module' });
      // Not left as run-time imports (esbuild writes them with double quotes).
      const bundle = entries.get(`functions/${name}.js`)!.toString('utf8');
      expect(bundle.length, 'bundle size').toBeGreaterThan(100_000); // middy, the logger and the AWS SDK are inside
      expect(bundle.match(/(from|import\(|require\()\s*"(@middy\/core|mysql2(\/promise)?|zod|yaml|@aws-sdk\/[a-z-]+)"/)?.[0] ?? null).toBeNull();
      if (existsSync(join(root, 'replwatch.yml'))) {
        expect(entries.get('replwatch.yml')?.toString('utf8')).toBe(readFileSync(join(root, 'replwatch.yml'), 'utf8'));
      }
    });

    /**
     * Each bundle unpacked outside the repo (no package.json or node_modules above it, as in
     * /var/task) and its handler run once in a fresh node, against servers that refuse every
     * connection and an AWS endpoint that does too: config, checks, pager, metrics and the chunks
     * loaded on demand (credentials, SSM) all run as they would in Lambda, only every call fails.
     */
    describe('each bundle, unpacked and run', () => {
      let closedPort: number;
      beforeAll(async () => {
        const server = createServer();
        await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
        closedPort = (server.address() as AddressInfo).port;
        await new Promise((done) => server.close(done));
      });

      function unpack(name: FunctionName, password: string): string {
        const dir = mkdtempSync(join(tmpdir(), `replwatch-${name}-`));
        extracted.push(dir);
        for (const [entry, data] of readZip(join(out, `${name}.zip`))) {
          mkdirSync(dirname(join(dir, entry)), { recursive: true });
          writeFileSync(join(dir, entry), data);
        }
        const port = closedPort;
        writeFileSync(
          join(dir, 'replwatch.yml'),
          stringify({
            clusters: [
              {
                name: 'c',
                primary: { host: '127.0.0.1', port },
                replicas: [{ name: 'c-r1', host: '127.0.0.2', port }],
                user: 'u',
                password,
                timeoutMs: 300,
                heartbeat: { table: 'percona.heartbeat' },
              },
            ],
            memcache: [{ name: 'm', nodes: [`127.0.0.1:${port}`], timeoutMs: 300 }],
            network: [{ name: 'n', targets: [`127.0.0.1:${port}`], probes: 3, timeoutMs: 100 }],
          }),
        );
        return dir;
      }

      function run(name: FunctionName, event: unknown, password = 'literal'): { result?: unknown; error?: string; stderr: string } {
        const dir = unpack(name, password);
        const script = `
          const { handler } = await import('./functions/${name}.js');
          const context = { getRemainingTimeInMillis: () => 1000, functionName: '${name}', awsRequestId: 'package-test' };
          try { process.stdout.write(JSON.stringify({ result: await handler(${JSON.stringify(event)}, context) })); }
          catch (e) { process.stdout.write(JSON.stringify({ error: e.message })); }`;
        const node = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
          cwd: dir,
          encoding: 'utf8',
          timeout: 30_000,
          env: {
            PATH: process.env.PATH ?? '',
            NODE_OPTIONS: lambda(name)[1].Properties.Environment.Variables.NODE_OPTIONS,
            REPLWATCH_CONFIG: 'replwatch.yml',
            POWERTOOLS_LOG_LEVEL: 'SILENT',
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'AKIDPACKAGETEST',
            AWS_SECRET_ACCESS_KEY: 'package-test',
            AWS_ENDPOINT_URL: `http://127.0.0.1:${closedPort}`,
            CHECK_REPLICATION_FUNCTION: 'replwatch-local-checkReplication',
            CHECK_MEMCACHE_FUNCTION: 'replwatch-local-checkMemcache',
            CHECK_NETWORK_FUNCTION: 'replwatch-local-checkNetwork',
          },
        });
        expect(node.status, node.stderr).toBe(0);
        return { ...JSON.parse(node.stdout), stderr: node.stderr };
      }

      it.each([
        ['checkReplication', 2],
        ['checkMemcache', 2],
        // A refused connection proves the path works: no loss.
        ['checkNetwork', 0],
      ] as const)('%s samples once, finds what is down (worst %i), and survives CloudWatch refusing its metrics', (name, worst) => {
        const { result, stderr } = run(name, {});
        expect(stderr).toBe('');
        expect(result).toEqual({ samples: 1, worst, pagesSent: 0, pagesFailed: 0 });
      });

      it('checkReplication loads the SSM client on demand for an ssm: password, and reports the cluster it cannot read', () => {
        // A missing chunk would throw (no result); an SSM that refuses is the cluster's warning
        // (worst 1), where the literal password above finds its servers down (worst 2).
        const { result, error, stderr } = run('checkReplication', {}, 'ssm:/replwatch/db');
        expect(error).toBeUndefined();
        expect(stderr).toBe('');
        expect(result).toEqual({ samples: 1, worst: 1, pagesSent: 0, pagesFailed: 0 });
      });

      it('dispatch starts a worker per shard, and reports that Lambda refused them', () => {
        expect(run('dispatch', {}).error).toBe('3 worker invocation(s) failed: replication 1/1, memcache 1/1, network 1/1');
      });

      it('heartbeat writes, and reports the cluster whose primary refused', () => {
        expect(run('heartbeat', {}).result).toEqual({ writes: 1, failedClusters: ['c'] });
      });

      it('rebuildReplica validates its event and plans', () => {
        expect(run('rebuildReplica', { cluster: 'c' }).result).toMatchObject({ ok: false, error: expect.stringMatching(/^replica: /) });
        expect(run('rebuildReplica', { cluster: 'c', replica: 'c-r1' }).result).toMatchObject({
          ok: false,
          error: expect.stringMatching(/^refused: no account to rebuild with/),
        });
      });
    });

    it('osls invoke local loads an ESM bundle (a function whose environment needs no credentials), which refuses a config that checks nothing', () => {
      const config = join(mkdtempSync(join(tmpdir(), 'replwatch-invoke-')), 'replwatch.yml');
      extracted.push(dirname(config));
      writeFileSync(config, 'clusters: []\n');
      const osls = spawnSync(
        process.execPath,
        [
          join(root, 'node_modules/osls/bin/serverless.js'),
          'invoke',
          'local',
          '-f',
          'dispatch',
          '--stage',
          'local',
          '-e',
          `REPLWATCH_CONFIG=${config}`,
          '-e',
          'POWERTOOLS_LOG_LEVEL=SILENT',
        ],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      // Deployed, it would check nothing and say all is well every minute: it fails instead (Errors alarm).
      expect(osls.status, osls.stdout + osls.stderr).not.toBe(0);
      expect(osls.stdout + osls.stderr).toContain(`"errorType": "ConfigError"`);
      expect(osls.stdout + osls.stderr).toContain(`${config}:1: (top level): nothing to check: give clusters, memcache or network`);
    }, 70_000);
  });
});
