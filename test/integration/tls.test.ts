import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { loadConfig } from '../../src/config/load';
import { clusterEndpoint, MysqlConnections, query } from '../../src/mysql/connections';
import type { CheckReport } from '../../src/monitor/report';
import { checkJson, cli } from '../support/cli';
import { sql, startSandbox, stopSandbox } from '../support/sandbox';

// Every sandbox server offers TLS with a certificate for IP:127.0.0.1 signed by the sandbox's own
// CA, and requires nothing: each config below chooses.

let sb: SandboxState;

/** The sandbox's config with the cluster changed by `edit`, written beside it. */
function config(name: string, edit: (cluster: Record<string, unknown>) => void): string {
  const doc = parse(readFileSync(sb.configFile, 'utf8')) as { clusters: Array<Record<string, unknown>> };
  edit(doc.clusters[0]!);
  const file = join(sb.dir, `${name}.yml`);
  writeFileSync(file, stringify(doc));
  return file;
}

/** `check --json`, its findings and exit code; a cluster it could not see at all is exit 3, with its findings printed. */
const findings = async (file: string) => {
  const r = await cli('check', '--config', file, '--json');
  const report = JSON.parse(r.stdout) as CheckReport;
  return { code: r.code, stderr: r.stderr, found: report.findings.map((f) => [f.code, f.severity, f.target, f.details.scope]), report };
};

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await stopSandbox(sb);
});

/** Every server answered, and refused the monitor's connection: its own problem, never servers down. */
const MONITOR_BLIND = [
  ['MonitorRefused', 'warning', 'sandbox-primary', 'monitor-path'],
  ['MonitorRefused', 'warning', 'sandbox-r1', 'monitor-path'],
  ['MonitorRefused', 'warning', 'sandbox-r2', 'monitor-path'],
];

describe('MySQL over TLS', () => {
  it('checks a healthy topology over verified TLS, every session encrypted', async () => {
    const file = config('tls', (c) => (c.tls = { ca: 'tls/ca.pem' }));
    expect((await findings(file)).found).toEqual([]);
    const cluster = (await loadConfig(file)).clusters[0]!;
    expect(cluster.tls?.ca).toBe(sb.tlsCa);
    const connections = new MysqlConnections();
    try {
      const conn = await connections.get(clusterEndpoint(cluster, cluster.replicas[0]!, cluster.user, 'tls-test'), async () => sb.password);
      const [row] = await query<{ Value: string }>(conn, "SHOW SESSION STATUS LIKE 'Ssl_version'", 2000);
      expect(row!.Value).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await connections.closeAll();
    }
  });

  it("reaches an account that requires TLS only with tls configured; without it the refusal is the monitor's, a warning", async () => {
    const plain = sb.configFile;
    const tls = config('tls-required', (c) => (c.tls = { ca: 'tls/ca.pem' }));
    for (const s of sb.servers) await sql(sb, s.name, "SET sql_log_bin = 0; ALTER USER 'replwatch'@'%' REQUIRE SSL; SET sql_log_bin = 1");
    try {
      const without = await findings(plain);
      // Nothing of the cluster could be checked: unknown, naming it.
      expect(without.code).toBe(3);
      expect(without.stderr).toContain(
        "replwatch: cluster sandbox cannot be checked: every server refused the monitor (the monitor's account was refused: 1045",
      );
      expect(without.found).toEqual(MONITOR_BLIND);
      expect(without.report.findings[0]!.summary).toContain('1045 Access denied');
      const withTls = await findings(tls);
      expect(withTls.code).toBe(0);
      expect(withTls.found).toEqual([]);
    } finally {
      for (const s of sb.servers) await sql(sb, s.name, "SET sql_log_bin = 0; ALTER USER 'replwatch'@'%' REQUIRE NONE; SET sql_log_bin = 1");
    }
  });

  it('reports a certificate the monitor cannot verify as its own TLS settings (a warning), never as servers down', async () => {
    // Node's trusted CAs do not include the sandbox's.
    const untrusted = await findings(config('tls-system-cas', (c) => (c.tls = {})));
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toContain(
      'replwatch: cluster sandbox cannot be checked: every server refused the monitor (the TLS connection to the server failed: HANDSHAKE_SSL_ERROR',
    );
    expect(untrusted.found).toEqual(MONITOR_BLIND);
    expect(untrusted.report.findings[0]!.summary).toBe(
      'the TLS connection to the server failed: HANDSHAKE_SSL_ERROR self-signed certificate in certificate chain',
    );
    expect(untrusted.report.findings[0]!.action).toContain("fix the cluster's tls settings");
    expect(untrusted.report.findings[0]!.action).not.toContain('promote');
  });

  it('checks the name of a host given by name against the certificate (issued for 127.0.0.1, not localhost)', async () => {
    const byName = config('tls-by-name', (c) => {
      c.tls = { ca: 'tls/ca.pem' };
      (c.primary as { host: string }).host = 'localhost';
    });
    const { code, report } = await checkJson(byName);
    expect(code).toBe(1);
    const primary = report.findings.find((f) => f.target === 'sandbox-primary')!;
    expect([primary.code, primary.severity, primary.details.scope]).toEqual(['MonitorRefused', 'warning', 'monitor-path']);
    expect(primary.summary).toContain("Hostname/IP does not match certificate's altnames: Host: localhost");
    expect(report.findings.filter((f) => f.target !== 'sandbox-primary')).toEqual([]);
  });

  it('names the file, line, path and value of a CA file that is missing or holds no certificate', async () => {
    const missing = await cli(
      'check',
      '--config',
      config('tls-missing-ca', (c) => (c.tls = { ca: 'tls/nope.pem' })),
    );
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(
      new RegExp(
        `tls-missing-ca\\.yml:\\d+: clusters\\[0\\]\\.tls\\.ca: cannot read the CA file ${join(sb.dir, 'tls', 'nope.pem')} \\(no such file\\); got "tls/nope.pem"`,
      ),
    );
    const notPem = await cli(
      'check',
      '--config',
      config('tls-key-as-ca', (c) => (c.tls = { ca: 'tls/server.ext' })),
    );
    expect(notPem.code).toBe(3);
    expect(notPem.stderr).toContain(`clusters[0].tls.ca: ${join(sb.dir, 'tls', 'server.ext')} holds no PEM certificate`);
  });
});
