import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Page } from '../../src/alerting/page';
import { Checker } from '../../src/monitor/checker';
import { pagerFor } from '../../src/monitor/paging';
import { loadConfig } from '../../src/config/load';
import { SecretResolver } from '../../src/config/secrets';
import { netnsUnsupported, setLoss } from '../../src/sandbox/netns';
import { startDaemon, stopProcesses } from '../../src/sandbox/processes';
import type { SandboxState } from '../../src/sandbox/sandbox';
import { MemoryStore } from '../../src/state/store';
import { checkJson } from '../support/cli';
import { startSandbox, stopSandbox, waitFor } from '../support/sandbox';

// Several things wrong at once, or a server frozen rather than dead: every page must still be
// true. Each fault is a real one: a SIGSTOPped mariadbd or memcached, a link whose SYNs are dropped.

let sb: SandboxState;
const pid = (name: string) => [...sb.servers, ...sb.memcached].find((p) => p.name === name)!.pid;

/** The sandbox's config with `change` applied, written beside it. */
function configWith(name: string, change: (doc: Record<string, any>) => void): string {
  const doc = parse(readFileSync(sb.configFile, 'utf8')) as Record<string, any>;
  change(doc);
  const file = join(sb.dir, name);
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}

/** The monitor loop in this process: sample, page (to memory), every `everyMs`; pages stamped with seconds since `from`. */
async function monitor(
  configFile: string,
  o: { from: number; everyMs: number; until: (pages: Array<Page & { s: number }>, s: number) => boolean; maxMs: number },
) {
  const config = await loadConfig(configFile);
  const checker = new Checker(config);
  const secrets = new SecretResolver();
  const pages: Array<Page & { s: number }> = [];
  const pager = pagerFor({
    config,
    store: new MemoryStore(),
    sinks: [{ name: 'sns', send: async (p) => void pages.push({ ...p, s: (Date.now() - o.from) / 1000 }) }],
    secrets,
  });
  try {
    for (const end = Date.now() + o.maxMs; Date.now() < end; ) {
      const started = Date.now();
      const sample = await checker.sample(secrets);
      await pager.process(sample.findings, new Date());
      if (o.until(pages, (Date.now() - o.from) / 1000)) break;
      await new Promise((r) => setTimeout(r, Math.max(0, o.everyMs - (Date.now() - started))));
    }
  } finally {
    await checker.close();
  }
  return pages;
}

beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => {
  await stopSandbox(sb);
});

describe('a slow sibling', () => {
  it("adds nothing to a healthy replica's lag: with sandbox-r2 frozen and timeoutMs 4000, sandbox-r1 still reads ~0 s", async () => {
    const config = configWith('slow-sibling.yml', (d) => {
      d.clusters[0].timeoutMs = 4000;
      d.memcache = [];
      d.network = [];
    });
    process.kill(pid('sandbox-r2'), 'SIGSTOP');
    try {
      const { report } = await checkJson(config);
      const r1 = report.observations.find((o) => o.kind === 'mysql-replica' && o.target === 'sandbox-r1');
      expect(r1).toMatchObject({ reachable: true, lagSource: 'heartbeat' });
      // The primary's row was read about 4 s after r1's copy, once r2 had timed out.
      expect((r1 as { lagSeconds: number }).lagSeconds).toBeLessThan(1.5);
      expect(report.findings.filter((f) => f.severity !== 'info').map((f) => [f.code, f.target])).toEqual([['ReplicaUnreachable', 'sandbox-r2']]);
    } finally {
      process.kill(pid('sandbox-r2'), 'SIGCONT');
    }
  }, 40_000);
});

describe('a frozen primary (SIGSTOP), heartbeat staleSeconds 4, slave_net_timeout 10', () => {
  it('is one critical PrimaryUnreachable within staleSeconds plus two samples, before the IO threads notice: no monitor-path warning, no lag or IO page', async () => {
    const config = configWith('frozen-primary.yml', (d) => {
      d.clusters[0].heartbeat.staleSeconds = 4;
      d.memcache = [];
      d.network = [];
    });
    // Healthy for 2.5 s first, so the monitor has seen the primary and its heartbeat.
    const from = Date.now();
    const freeze = setTimeout(() => process.kill(pid('sandbox-primary'), 'SIGSTOP'), 2500);
    const pages = await monitor(config, {
      from,
      everyMs: 1000,
      maxMs: 25_000,
      until: (p, s) => p.some((x) => x.code === 'PrimaryUnreachable' && x.kind === 'firing') || s > 20,
    }).finally(() => {
      clearTimeout(freeze);
      process.kill(pid('sandbox-primary'), 'SIGCONT');
    });
    const firing = pages.filter((p) => p.kind === 'firing');
    expect(firing.map((p) => `${p.severity} ${p.code} ${p.target}`)).toEqual(['critical PrimaryUnreachable sandbox-primary']);
    // Stale 4 s after the freeze (+1 s of writer interval), then two samples of ~1.3 s (each waits
    // out the 1 s connect timeout): well before the IO threads give up at 10 s.
    expect(firing[0]!.s - 2.5).toBeLessThan(4 + 1 + 2 * 1.5 + 1);
    expect(firing[0]!.text).toContain('the primary stopped writing');
  }, 60_000);

  it("thawed before the verdict pages nothing: the lag its replicas' copies showed while it was frozen was the primary's, not theirs", async () => {
    const config = configWith('frozen-briefly.yml', (d) => {
      d.clusters[0].heartbeat.staleSeconds = 4;
      d.clusters[0].lag = { ...d.clusters[0].lag, warningSeconds: 2, criticalSeconds: 3, sustainedSamples: 2 };
      d.memcache = [];
      d.network = [];
    });
    const from = Date.now();
    // Frozen for 4 s: the copies go 4 s stale (past both lag thresholds), the verdict is not in yet.
    const freeze = setTimeout(() => process.kill(pid('sandbox-primary'), 'SIGSTOP'), 2000);
    const thaw = setTimeout(() => process.kill(pid('sandbox-primary'), 'SIGCONT'), 6000);
    const pages = await monitor(config, { from, everyMs: 1000, maxMs: 14_000, until: () => false }).finally(() => {
      clearTimeout(freeze);
      clearTimeout(thaw);
      process.kill(pid('sandbox-primary'), 'SIGCONT');
    });
    expect(pages.filter((p) => p.kind === 'firing').map((p) => `${p.severity} ${p.code} ${p.target}`)).toEqual([]);
  }, 40_000);

  it("pages the network check's view of its endpoint nothing after it thaws: the loss it saw while frozen was the primary's outage", async () => {
    const config = configWith('frozen-network.yml', (d) => {
      d.clusters[0].heartbeat.staleSeconds = 4;
      d.memcache = [];
      d.network[0].targets = [d.network[0].targets[0]];
    });
    const from = Date.now();
    const freeze = setTimeout(() => process.kill(pid('sandbox-primary'), 'SIGSTOP'), 2000);
    let thawedAt = 0;
    const pages = await monitor(config, {
      from,
      everyMs: 1000,
      maxMs: 45_000,
      until: (p, s) => {
        if (!thawedAt && p.some((x) => x.code === 'PrimaryUnreachable' && x.kind === 'firing')) {
          process.kill(pid('sandbox-primary'), 'SIGCONT');
          thawedAt = s;
        }
        return thawedAt > 0 && s > thawedAt + 15;
      },
    }).finally(() => {
      clearTimeout(freeze);
      process.kill(pid('sandbox-primary'), 'SIGCONT');
    });
    expect(pages.map((p) => `${p.kind} ${p.code} ${p.target}`)).toEqual([
      'firing PrimaryUnreachable sandbox-primary',
      'resolved PrimaryUnreachable sandbox-primary',
    ]);
  }, 60_000);

  it('is healthy again once thawed', async () => {
    await waitFor(
      'the thawed topology to be healthy',
      async () => (await checkJson(sb.configFile)).report.findings.every((f) => f.severity === 'info'),
      30_000,
    );
  }, 40_000);
});

const unsupported = netnsUnsupported();
describe.skipIf(unsupported)('two services on one address (the lossy host in its network namespace)', () => {
  let second: number;
  beforeAll(async () => {
    const h = sb.lossyHost!;
    second = startDaemon(
      'ip',
      ['netns', 'exec', h.ns, sb.binaries.memcached, '-l', h.nsAddr, '-p', '11212', '-U', '0', '-m', '8', '-t', '1', '-u', 'root'],
      join(sb.dir, 'second-memcached.log'),
    );
  });
  afterAll(async () => {
    await stopProcesses([second]);
    if (sb.lossyHost) await setLoss(sb.lossyHost, 0);
  });

  it('an endpoint whose SYNs are all dropped is one incident with its own service only: a frozen memcached on another port of the same address still pages', async () => {
    const h = sb.lossyHost!;
    const [dropped, other] = [`${h.nsAddr}:11211`, `${h.nsAddr}:11212`];
    const config = configWith('one-address.yml', (d) => {
      d.clusters = [];
      d.memcache = [{ name: 'edge', nodes: [dropped, other], timeoutMs: 500 }];
      d.network = [{ name: 'edge-hosts', targets: [dropped], probes: 20, timeoutMs: 300 }];
    });
    await waitFor('the second memcached to answer', async () => (await checkJson(config)).report.findings.length === 0, 10_000);
    await setLoss(h, 1);
    process.kill(second, 'SIGSTOP');
    try {
      const pages = await monitor(config, { from: Date.now(), everyMs: 500, maxMs: 15_000, until: (p) => p.length >= 2 });
      // The dropped endpoint's service and its black path are one page (the service's, which says
      // more); the other port's frozen memcached is an incident of its own.
      expect(pages.map((p) => `${p.kind} ${p.code} ${p.target}`).sort()).toEqual([
        `firing MemcacheUnreachable ${dropped}`,
        `firing MemcacheUnreachable ${other}`,
      ]);
    } finally {
      process.kill(second, 'SIGCONT');
    }
  }, 40_000);
});
