import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load';
import { SecretResolver } from '../../../src/config/secrets';
import { configErrorOf } from '../../support/config';

const CLUSTER = `clusters:
  - name: main
    primary: { host: db1, port: 3306 }
    replicas:
      - { name: main-r1, host: db2 }
    user: replwatch
    password: env:RW_EDGE_UNSET
    lag: { warningSeconds: 5, criticalSeconds: 30 }
    heartbeat: { table: percona.heartbeat, password: "secret:rw/hb" }
`;

const errorOf = configErrorOf;

describe('config edges (issue 13)', () => {
  it('refuses a port outside 1..65535 in every host:port: memcache nodes, configEndpoint, network targets, Network Monitor probe keys', () => {
    expect(errorOf('memcache:\n  - { name: m, nodes: ["127.0.0.1:99999"] }\n')).toBe(
      'replwatch.yml:2: memcache[0].nodes[0]: the port must be from 1 to 65535; got "127.0.0.1:99999"',
    );
    expect(errorOf('memcache:\n  - { name: m, configEndpoint: "cfg.internal:0" }\n')).toBe(
      'replwatch.yml:2: memcache[0].configEndpoint: the port must be from 1 to 65535; got "cfg.internal:0"',
    );
    expect(errorOf('network:\n  - { name: n, targets: ["10.0.0.5:65536"] }\n')).toBe(
      'replwatch.yml:2: network[0].targets[0]: the port must be from 1 to 65535; got "10.0.0.5:65536"',
    );
    expect(errorOf('network:\n  - name: n\n    awsNetworkMonitor: { monitorName: dc, probes: { "10.0.0.5:70000": probe-abc } }\n')).toBe(
      'replwatch.yml:3: network[0].awsNetworkMonitor.probes["10.0.0.5:70000"]: the port must be from 1 to 65535; got "10.0.0.5:70000"',
    );
    expect(parseConfig('network:\n  - { name: n, targets: ["10.0.0.5:65535", "10.0.0.6:1"] }\n', 'x.yml').network[0]!.targets).toHaveLength(2);
  });

  it('calls an empty document, or one that checks nothing, an error rather than "OK: no findings"', () => {
    for (const text of ['', '---\n', '# only a comment\n', '\n\n']) expect(errorOf(text)).toBe('replwatch.yml: nothing to check: the file is empty');
    expect(errorOf(' \n', 'replwatch.json')).toBe('replwatch.json: nothing to check: the file is empty');
    expect(errorOf('{}', 'replwatch.json')).toBe('replwatch.json: (top level): nothing to check: give clusters, memcache or network; got {}');
    expect(errorOf('alerts: { repeatMinutes: 10 }\n')).toContain('replwatch.yml:1: (top level): nothing to check: give clusters, memcache or network');
  });

  it('refuses a YAML tag (password: !S3cr3t would be read as an empty password), naming line and path, never the value', () => {
    const msg = errorOf(CLUSTER.replace('password: env:RW_EDGE_UNSET', 'password: !S3cr3t'));
    expect(msg).toBe(
      'replwatch.yml:7: clusters[0].password: a value starting with ! is read by YAML as a tag, and the value is lost: put it in quotes (the value is not shown here: it may be a password)',
    );
    expect(errorOf('network:\n  - { name: n, targets: [!x "h:1"] }\n')).toContain('replwatch.yml:2: network[0].targets[0]: a value starting with !');
    // Quoted, it is the password; the core schema's own tags still work.
    expect(parseConfig(CLUSTER.replace('password: env:RW_EDGE_UNSET', 'password: "!S3cr3t"'), 'x.yml').clusters[0]!.password).toBe('!S3cr3t');
    expect(parseConfig(CLUSTER.replace('user: replwatch', 'user: !!str 1234'), 'x.yml').clusters[0]!.user).toBe('1234');
  });

  it('refuses thresholds that are always crossed at 0 (lag and loss are compared with >=)', () => {
    expect(errorOf(CLUSTER.replace('warningSeconds: 5', 'warningSeconds: 0'))).toBe(
      'replwatch.yml:8: clusters[0].lag.warningSeconds: Too small: expected number to be >0; got 0',
    );
    expect(errorOf(CLUSTER.replace('warningSeconds: 5, criticalSeconds: 30', 'warningSeconds: 0, criticalSeconds: 0'))).toContain(
      'clusters[0].lag.criticalSeconds: Too small',
    );
    expect(errorOf('network:\n  - { name: n, targets: ["h:1"], loss: { warningPercent: 0, criticalPercent: 10 } }\n')).toContain(
      'network[0].loss.warningPercent: Too small: expected number to be >0; got 0',
    );
  });

  it('refuses nesting deeper than 64 levels before a parser can exhaust its stack, JSON and YAML (flow and block)', () => {
    const n = 100_000;
    const started = Date.now();
    expect(errorOf(`{"clusters": ${'['.repeat(n)}${']'.repeat(n)}}`, 'deep.json')).toBe('deep.json:1: nested more than 64 levels deep: not a replwatch config');
    expect(errorOf(`clusters: ${'['.repeat(n)}${']'.repeat(n)}\n`)).toBe('replwatch.yml:1: nested more than 64 levels deep: not a replwatch config');
    expect(errorOf(`clusters:\n${'- '.repeat(n)}x\n`)).toBe('replwatch.yml:2: nested more than 64 levels deep: not a replwatch config');
    const indented = Array.from({ length: 80 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n');
    expect(errorOf(indented)).toBe('replwatch.yml:65: nested more than 64 levels deep: not a replwatch config');
    expect(Date.now() - started).toBeLessThan(2000);
    // Brackets inside quotes, comments and plain scalars are text, not nesting.
    const brackets = '['.repeat(100);
    expect(
      parseConfig(CLUSTER.replace('user: replwatch', `user: "${brackets}" # ${brackets}`).replace('env:RW_EDGE_UNSET', `p@ss${brackets}`), 'x.yml').clusters[0]!
        .user,
    ).toBe(brackets);
  });

  it('suggests the closest allowed key for a misspelt one, else lists the keys allowed there', () => {
    expect(errorOf(CLUSTER.replace('criticalSeconds', 'criticalSecs'))).toBe(
      'replwatch.yml:8: clusters[0].lag.criticalSecs: unknown key; did you mean criticalSeconds?',
    );
    expect(errorOf(CLUSTER.replace('user: replwatch', 'usr: replwatch'))).toContain('clusters[0].usr: unknown key; did you mean user?');
    expect(errorOf('netwrok:\n  - { name: n, targets: ["h:1"] }\n')).toContain('replwatch.yml:2: netwrok: unknown key; did you mean network?');
    expect(errorOf(`${CLUSTER}colour: blue\n`)).toContain(
      'colour: unknown key; allowed here: clusters, memcache, network, alerts, sampleSeconds, concurrency, shardSize',
    );
  });

  it('names the file, line and path of a password reference that resolves to nothing', async () => {
    const config = parseConfig(CLUSTER, '/etc/replwatch/fleet.yml');
    await expect(new SecretResolver({}).resolve(config.clusters[0]!.password)).rejects.toThrow(
      '/etc/replwatch/fleet.yml:7: clusters[0].password (cluster main): environment variable RW_EDGE_UNSET is not set (password env:RW_EDGE_UNSET)',
    );
    const failing = new SecretResolver({}, async () => {
      throw new Error('ResourceNotFoundException');
    });
    await expect(failing.resolve(config.clusters[0]!.heartbeat!.password!)).rejects.toThrow(
      '/etc/replwatch/fleet.yml:9: clusters[0].heartbeat.password (cluster main): cannot read secret:rw/hb: ResourceNotFoundException',
    );
  });

  it('refuses a silence that names nothing to hold (it would hold every page)', () => {
    const text =
      'network:\n  - { name: n, targets: ["h:1"] }\nalerts:\n  silences:\n    - { from: 2026-11-22T22:00:00Z, to: 2026-11-23T02:00:00Z, reason: reindex }\n';
    expect(errorOf(text)).toBe(
      'replwatch.yml:5: alerts.silences[0]: name at least one of cluster, target, code: a silence of everything would hold every page; got {"from":"2026-11-22T22:00:00Z","to":"2026-11-23T02:00:00Z","reason":"reindex"}',
    );
  });
});
