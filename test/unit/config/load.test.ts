import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/load';
import { cliProcess } from '../../support/cli';
import { configErrorOf } from '../../support/config';

const DESIGN_EXAMPLE = `
clusters:
  - name: main
    primary: { host: 127.0.0.1, port: 3306 }
    replicas:
      - { name: main-r1, host: 127.0.0.1, port: 3307 }
    user: replwatch
    password: env:REPLWATCH_DB_PASSWORD   # or a literal, ssm:/path, secret:ARN
    lag: { warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 2 }
    heartbeat: { table: percona.heartbeat }
    replication: { user: repl, password: env:REPL_PW }
memcache:
  - name: sessions
    nodes: ["127.0.0.1:11211"]
    timeoutMs: 500
network:
  - name: db-hosts
    targets: ["127.0.0.1:3306"]
    probes: 100
    timeoutMs: 300
    loss: { warningPercent: 2, criticalPercent: 10 }
alerts:
  snsTopicArn: arn:aws:sns:us-east-1:123456789012:replwatch-pages
  repeatMinutes: 30
`;

const errorOf = configErrorOf;

describe('config', () => {
  it("accepts the design's example as written, with defaults filled in", () => {
    const c = parseConfig(DESIGN_EXAMPLE, 'replwatch.yml');
    expect(c.clusters[0]).toMatchObject({
      name: 'main',
      password: 'env:REPLWATCH_DB_PASSWORD',
      timeoutMs: 2000,
      heartbeat: { table: 'percona.heartbeat', staleSeconds: 10 },
    });
    expect(c.memcache[0]!.nodes).toEqual(['127.0.0.1:11211']);
    expect(c.alerts.repeatMinutes).toBe(30);
    expect(c.sampleSeconds).toBe(10);
    expect(c.alerts).toMatchObject({ resolveSamples: 2, silences: [] });
  });

  it('fills sensible defaults for what is left out', () => {
    const c = parseConfig('clusters:\n  - { name: a, primary: { host: db1 }, replicas: [{ name: a-r1, host: db2 }], user: u }\n', 'x.yml');
    expect(c.clusters[0]).toMatchObject({ primary: { port: 3306 }, password: '', lag: { warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 2 } });
  });

  it('names the file, line, path and bad value of a wrong type', () => {
    const msg = errorOf(DESIGN_EXAMPLE.replace('port: 3306 }', 'port: "abc" }'));
    expect(msg).toBe('replwatch.yml:4: clusters[0].primary.port: Invalid input: expected number, received string; got "abc"');
  });

  it('rejects unknown keys, naming them', () => {
    expect(errorOf(DESIGN_EXAMPLE.replace('sustainedSamples: 2', 'sustainedSample: 2'))).toContain(
      'replwatch.yml:9: clusters[0].lag.sustainedSample: unknown key',
    );
    expect(errorOf('clusterz: []\n')).toContain('replwatch.yml:1: clusterz: unknown key');
  });

  it('never echoes a password, even a wrongly typed one', () => {
    const msg = errorOf(DESIGN_EXAMPLE.replace('password: env:REPLWATCH_DB_PASSWORD', 'password: 123456789'));
    expect(msg).toContain('clusters[0].password');
    expect(msg).not.toContain('123456789');
  });

  it('never echoes a password from a YAML syntax error, giving the line (and column) instead', () => {
    const secret = 'Zq9-hunter2';
    const at = (value: string) => DESIGN_EXAMPLE.replace('password: env:REPLWATCH_DB_PASSWORD', `password: ${value}`);
    // The parser's own messages quote a block scalar header, an unclosed quote, an alias name.
    for (const value of [`|${secret}`, `>${secret}`, `"${secret}`, `'${secret}`, `[${secret}`, `${secret}: x`]) {
      const msg = errorOf(at(value));
      expect(msg).toMatch(/^replwatch\.yml:\d+:\d+: not valid YAML \(/);
      expect(msg).not.toContain(secret);
    }
    const alias = errorOf(at(`*${secret}`));
    expect(alias).toBe('replwatch.yml:8: not valid YAML: an alias (*name) with no &anchor before it; a value that starts with * must be quoted');
  });

  it('hides values under any secret-bearing key, however deep, when a parent is shown', () => {
    const shown = (heartbeat: string) => errorOf(DESIGN_EXAMPLE.replace('heartbeat: { table: percona.heartbeat }', `heartbeat: ${heartbeat}`));
    const flat = shown('[{ user: u1, adminPassword: pw-Zq9-1, apiToken: pw-Zq9-2 }]');
    expect(flat).toBe(
      'replwatch.yml:10: clusters[0].heartbeat: Invalid input: expected object, received array; got [{"user":"(hidden)","adminPassword":"(hidden)","apiToken":"(hidden)"}]',
    );
    const deep = shown('[{ x: { clientSecret: pw-Zq9-3 }, credentials: [pw-Zq9-4] }]');
    expect(deep).toContain('got [{"x":{"clientSecret":"(hidden)"},"credentials":"(hidden)"}]');
  });

  it('checks meaning, not only shape', () => {
    expect(errorOf(DESIGN_EXAMPLE.replace('warningSeconds: 5', 'warningSeconds: 50'))).toContain(
      'clusters[0].lag.warningSeconds: warningSeconds must not exceed criticalSeconds; got 50',
    );
    expect(errorOf(DESIGN_EXAMPLE.replace('port: 3307', 'port: 3306'))).toContain('clusters[0].replicas[0]: a replica cannot be the primary itself');
    expect(errorOf(DESIGN_EXAMPLE.replace('table: percona.heartbeat', 'table: heartbeat'))).toContain('expected database.table');
    expect(errorOf(DESIGN_EXAMPLE.replace('127.0.0.1:11211', '127.0.0.1'))).toContain('memcache[0].nodes[0]: expected host:port; got "127.0.0.1"');
  });

  it('rejects a memcache node listed twice in a pool, a pool name used twice and a shared configEndpoint, naming file, line, path and value', () => {
    expect(errorOf('memcache:\n  - name: sessions\n    nodes:\n      - 127.0.0.1:11211\n      - 127.0.0.1:11211\n')).toBe(
      'replwatch.yml:5: memcache[0].nodes[1]: 127.0.0.1:11211 is listed twice in this pool; got "127.0.0.1:11211"',
    );
    expect(errorOf('memcache:\n  - { name: a, nodes: ["h1:11211"] }\n  - { name: a, nodes: ["h2:11211"] }\n')).toBe(
      'replwatch.yml:3: memcache[1].name: duplicate memcache pool name "a"; got "a"',
    );
    expect(errorOf('memcache:\n  - { name: a, configEndpoint: "ep:11211" }\n  - { name: b, configEndpoint: "ep:11211" }\n')).toBe(
      'replwatch.yml:3: memcache[1].configEndpoint: ep:11211 is already the configEndpoint of another pool; got "ep:11211"',
    );
    // The same node in two pools is fine: each pool probes it on a connection of its own.
    expect(parseConfig('memcache:\n  - { name: a, nodes: ["h1:11211"] }\n  - { name: b, nodes: ["h1:11211"] }\n', 'x.yml').memcache).toHaveLength(2);
  });

  it('reads JSON too, and reports its syntax errors and missing files by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-config-'));
    writeFileSync(
      join(dir, 'c.json'),
      JSON.stringify({ clusters: [{ name: 'a', primary: { host: 'h' }, replicas: [{ name: 'r', host: 'h2', port: 70000 }], user: 'u' }] }),
    );
    await expect(loadConfig(join(dir, 'c.json'))).rejects.toThrow(
      `${join(dir, 'c.json')}: clusters[0].replicas[0].port: Too big: expected number to be <=65535; got 70000`,
    );
    writeFileSync(join(dir, 'bad.json'), '{"clusters": [');
    await expect(loadConfig(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json:1:\d+: not valid JSON/);
    writeFileSync(join(dir, 'bad.yml'), 'clusters:\n  - name: a\n   oops: [\n');
    await expect(loadConfig(join(dir, 'bad.yml'))).rejects.toThrow(/bad\.yml:3:\d+: not valid YAML \(missing char;/);
    await expect(loadConfig(join(dir, 'missing.yml'))).rejects.toThrow(`${join(dir, 'missing.yml')}: cannot read config file (no such file)`);
  });

  it('makes `replwatch check` exit 3 (unknown) with the message on stderr and nothing on stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-config-'));
    const file = join(dir, 'replwatch.yml');
    writeFileSync(file, DESIGN_EXAMPLE.replace('port: 3306 }', 'port: "abc" }'));
    const r = cliProcess(['check', '--config', file, '--json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${file}:4: clusters[0].primary.port`);
    expect(cliProcess(['check']).code).toBe(3);
  });
});
