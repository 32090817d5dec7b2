import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { checkJson, cliProcess } from '../support/cli';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;
let config: string;

beforeAll(async () => {
  sb = await startSandbox();
  // An administrator for the one-off install, and a monitor account that holds far too much.
  await sql(
    sb,
    'sandbox-primary',
    `CREATE USER 'admin'@'%' IDENTIFIED BY '${sb.password}'; GRANT ALL ON *.* TO 'admin'@'%' WITH GRANT OPTION;
     GRANT SELECT ON hb2.* TO 'replwatch'@'%';`,
  );
  const cluster = parse(readFileSync(sb.configFile, 'utf8')).clusters[0];
  config = join(sb.dir, 'hb2.yml');
  writeFileSync(config, JSON.stringify({ clusters: [{ ...cluster, heartbeat: { table: 'hb2.heartbeat' } }] }));
});
afterAll(async () => {
  await stopSandbox(sb);
});

describe('replwatch heartbeat install', () => {
  it('creates the table and an EVENT that writes it every second, and lag is then read from it', async () => {
    const r = cliProcess(['heartbeat', 'install', '--config', config, '--user', 'admin', '--password', 'env:ADMIN_PW'], { ADMIN_PW: sb.password });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sandbox: table hb2.heartbeat and event hb2.replwatch_heartbeat installed');
    expect(r.stdout + r.stderr).not.toContain(sb.password);
    const events = (await sql(
      sb,
      'sandbox-primary',
      "SELECT EVENT_NAME AS name, INTERVAL_VALUE AS every, STATUS AS status FROM information_schema.EVENTS WHERE EVENT_SCHEMA = 'hb2'",
    )) as Array<Record<string, string>>;
    expect(events).toEqual([{ name: 'replwatch_heartbeat', every: '1', status: 'ENABLED' }]);
    await waitFor('the replicas to see the new table', async () => (await checkJson(config)).report.findings.length === 0);
    const { report } = await checkJson(config);
    for (const o of report.observations.filter((x) => x.kind === 'mysql-replica')) expect(o.lagSource).toBe('heartbeat');
    const primary = report.observations.find((o) => o.kind === 'mysql-primary');
    expect(primary && primary.kind === 'mysql-primary' && primary.heartbeatAgeSeconds).toBeLessThan(1.5);
  });

  it('is idempotent', () => {
    const r = cliProcess(['heartbeat', 'install', '--config', config, '--user', 'admin', '--password', 'env:ADMIN_PW'], { ADMIN_PW: sb.password });
    expect(r.code).toBe(0);
  });

  it('an account the server refuses is one line naming the server and the account, no stack trace, exit 3', () => {
    const server = `127.0.0.1:${parse(readFileSync(config, 'utf8')).clusters[0].primary.port}`;
    const wrong = cliProcess(['heartbeat', 'install', '--config', config, '--user', 'admin', '--password', 'env:ADMIN_PW'], { ADMIN_PW: 'not-the-password' });
    expect(wrong.code).toBe(3);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toMatch(
      new RegExp(`^sandbox: heartbeat not installed on ${server} as admin: Access denied for user 'admin'@[^\\n]*; give admin CREATE, [^\\n]*--password\\n$`),
    );
    expect(wrong.stderr).not.toContain('not-the-password');
    // The monitor account, which may only read: the server refuses the CREATE.
    const monitor = cliProcess(['heartbeat', 'install', '--config', config, '--user', 'replwatch', '--password', 'env:PW'], { PW: sb.password });
    expect(monitor.code).toBe(3);
    expect(monitor.stderr).toMatch(new RegExp(`^sandbox: heartbeat not installed on ${server} as replwatch: [^\\n]*denied[^\\n]*\\n$`));
    expect(monitor.stderr).not.toMatch(/^\s+at /m);
    expect(monitor.stderr).not.toContain(sb.password);
  });

  it('reports HeartbeatStale once, on the primary, when the writer stops, without false lag', async () => {
    await sql(sb, 'sandbox-primary', 'ALTER EVENT hb2.replwatch_heartbeat DISABLE');
    const stale = { ...parse(readFileSync(config, 'utf8')).clusters[0], heartbeat: { table: 'hb2.heartbeat', staleSeconds: 2 } };
    const staleConfig = join(sb.dir, 'stale.yml');
    writeFileSync(staleConfig, JSON.stringify({ clusters: [stale] }));
    await new Promise((r) => setTimeout(r, 2500));
    const { code, report } = await checkJson(staleConfig);
    expect(code).toBe(1);
    expect(report.findings.map((f) => [f.code, f.target])).toEqual([['HeartbeatStale', 'sandbox-primary']]);
    for (const o of report.observations.filter((x) => x.kind === 'mysql-replica')) expect(o.lagSeconds).toBeLessThan(1);
    await sql(sb, 'sandbox-primary', 'ALTER EVENT hb2.replwatch_heartbeat ENABLE');
  });

  it('advises (info, exit 0) when the monitor account holds more than it needs', async () => {
    const cluster = parse(readFileSync(config, 'utf8')).clusters[0];
    const adminConfig = join(sb.dir, 'admin.yml');
    writeFileSync(adminConfig, JSON.stringify({ clusters: [{ ...cluster, user: 'admin' }] }));
    const { code, report } = await checkJson(adminConfig);
    expect(code).toBe(0);
    expect(report.findings.map((f) => [f.code, f.severity])).toEqual([
      ['MonitorOverPrivileged', 'info'],
      ['MonitorOverPrivileged', 'info'],
      ['MonitorOverPrivileged', 'info'],
    ]);
    expect(report.findings[0]!.summary).toContain('ALL PRIVILEGES');
  });
});
