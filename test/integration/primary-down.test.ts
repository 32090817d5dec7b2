import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import type { CheckReport } from '../../src/monitor/report';
import { checkJson } from '../support/cli';
import { sql, startSandbox, stopSandbox, waitFor } from '../support/sandbox';

let sb: SandboxState;

const check = () => checkJson(sb.configFile);

const pageWorthy = (r: CheckReport) => r.findings.filter((f) => f.severity !== 'info');

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await stopSandbox(sb);
});

describe('an unreachable primary', () => {
  it("is the monitor's own path (a warning) while the replicas still replicate from it", async () => {
    // Only replwatch's account is locked out, on the primary alone: the database keeps serving.
    await sql(sb, 'sandbox-primary', "SET sql_log_bin = 0; ALTER USER 'replwatch'@'%' ACCOUNT LOCK; SET sql_log_bin = 1");
    try {
      const { code, report } = await check();
      expect(code).toBe(1);
      const findings = pageWorthy(report);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ code: 'MonitorRefused', severity: 'warning', target: 'sandbox-primary' });
      expect(findings[0]!.details.scope).toBe('monitor-path');
      expect(findings[0]!.summary).toContain('sandbox-r1, sandbox-r2 still replicate');
    } finally {
      await sql(sb, 'sandbox-primary', "SET sql_log_bin = 0; ALTER USER 'replwatch'@'%' ACCOUNT UNLOCK; SET sql_log_bin = 1");
    }
    await waitFor('primary reachable again', async () => pageWorthy((await check()).report).length === 0);
  });

  it("says the monitor's account was refused, even with no replica replicating, and to fix it rather than promote", async () => {
    await sql(sb, 'sandbox-primary', "SET sql_log_bin = 0; ALTER USER 'replwatch'@'%' ACCOUNT LOCK; SET sql_log_bin = 1");
    await sql(sb, 'sandbox-r1', 'STOP SLAVE IO_THREAD');
    await sql(sb, 'sandbox-r2', 'STOP SLAVE IO_THREAD');
    try {
      const { code, report } = await check();
      expect(code).toBe(1);
      const refused = pageWorthy(report).find((f) => f.code === 'MonitorRefused')!;
      expect(refused).toMatchObject({ severity: 'warning', target: 'sandbox-primary' });
      expect(refused.details.scope).toBe('monitor-path');
      expect(refused.summary).toContain("the monitor's account was refused: 4151 Access denied, this account is locked");
      expect(refused.action).toContain('grants');
      expect(refused.action).not.toContain('promote');
    } finally {
      await sql(sb, 'sandbox-primary', "SET sql_log_bin = 0; ALTER USER 'replwatch'@'%' ACCOUNT UNLOCK; SET sql_log_bin = 1");
      await sql(sb, 'sandbox-r1', 'START SLAVE IO_THREAD');
      await sql(sb, 'sandbox-r2', 'START SLAVE IO_THREAD');
    }
    await waitFor('primary reachable again', async () => pageWorthy((await check()).report).length === 0);
  });

  it('is one critical PrimaryUnreachable when it is killed, not one page per replica', async () => {
    const primary = sb.servers.find((s) => s.role === 'primary')!;
    process.kill(primary.pid, 'SIGKILL');
    await waitFor('replicas to notice', async () => {
      const { report } = await check();
      return report.findings.some((f) => f.code === 'PrimaryUnreachable' && f.severity === 'critical');
    });
    const { code, report } = await check();
    expect(code).toBe(2);
    const findings = pageWorthy(report);
    expect(findings.map((f) => [f.code, f.severity, f.target])).toEqual([['PrimaryUnreachable', 'critical', 'sandbox-primary']]);
    const votes = findings[0]!.details.replicas as Array<{ target: string; alive: boolean; evidence: string }>;
    expect(votes.map((v) => [v.target, v.alive])).toEqual([
      ['sandbox-r1', false],
      ['sandbox-r2', false],
    ]);
    expect(votes[0]!.evidence).toMatch(/IO thread (Connecting|No)/);
    expect(report.observations.filter((o) => o.kind === 'mysql-replica' && o.reachable)).toHaveLength(2);
  });
});
