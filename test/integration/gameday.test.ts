import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/gameday/drill';
import { FakeSns } from '../../src/gameday/fakeSns';
import { Monitor } from '../../src/gameday/monitor';
import { sandboxSql, type SandboxState } from '../../src/sandbox/sandbox';
import { netnsUnsupported } from '../../src/sandbox/netns';
import { SCENARIOS, type DrillContext, type Scenario } from '../../src/gameday/scenarios';
import type { Scorecard, ScenarioScore } from '../../src/gameday/scorecard';
import { FIRING, PALETTE, RESOLVED } from '../../src/gameday/report';
import { cli, cliProcess } from '../support/cli';
import { ensureChromium, screenshot } from '../support/chromium';
import { countColour, decodePng } from '../support/png';
import { startSandbox, stopSandbox } from '../support/sandbox';

type DrillJson = Scorecard & { seconds: number };

describe('replwatch gameday: the whole drill, scored from the pages the monitor really sent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-gameday-'));
  const report = join(dir, 'report.html');
  let code = -1;
  let card: DrillJson;
  let stderr = '';

  beforeAll(async () => {
    const r = await cli('gameday', '--json', '--report', report);
    code = r.code;
    stderr = r.stderr;
    card = JSON.parse(r.stdout) as DrillJson;
  }, 420_000);

  const scenario = (name: string): ScenarioScore => card.scenarios.find((s) => s.name === name)!;

  it('runs every scenario, and every one is detected, paged exactly once, resolved once and recovered', () => {
    expect(card.scenarios.map((s) => s.name)).toEqual(SCENARIOS.map((s) => s.name));
    const failed = card.scenarios.filter((s) => !s.passed);
    expect(failed, `${JSON.stringify(failed, null, 2)}\n${stderr}`).toEqual([]);
    for (const s of card.scenarios.filter((x) => !x.skipped)) {
      // One firing and one resolved page per incident (a compound fault is several).
      const n = s.incidents.length;
      expect(s, s.name).toMatchObject({ detected: true, recovered: true, pages: { firing: n, resolved: n, repeat: 0 } });
      expect(s.detectSeconds, s.name).toBeGreaterThan(0);
      expect(s.recoverSeconds, s.name).toBeGreaterThan(0);
    }
    expect(code).toBe(0);
  });

  it('pages nothing during the healthy baseline', () => {
    expect(card.falsePages, card.falsePageSubjects.join('; ')).toBe(0);
  });

  it('primary down is one page for the primary, none for its replicas', () => {
    expect(scenario('primary-down').pageLog.every((l) => l.includes('PrimaryUnreachable sandbox/sandbox-primary'))).toBe(true);
  });

  it("a frozen primary is one critical page for it (decided by its replicas' stale heartbeat copies), never a monitor-path warning or a replica's lag", () => {
    const hung = scenario('primary-hung');
    expect(hung.pageLog.filter((l) => !l.includes('RESOLVED'))).toEqual([expect.stringMatching(/ \[CRITICAL\] PrimaryUnreachable sandbox\/sandbox-primary$/)]);
  });

  it('a lagging replica beside a frozen sibling: each is its own incident, paged once and resolved once', () => {
    const compound = scenario('replica-lagging-sibling-frozen');
    expect(compound.incidents.map((i) => [i.code, i.target, i.detectSeconds !== null, i.recoverSeconds !== null])).toEqual([
      ['ReplicaLagging', 'sandbox-r1', true, true],
      ['ReplicaUnreachable', 'sandbox-r2', true, true],
    ]);
    expect(compound.pages).toEqual({ firing: 2, resolved: 2, repeat: 0 });
  });

  it("a rebuild killed half-way is one RebuildFailed page (none of its half-copied replica's own), resolved by running the page's --resume", () => {
    expect(scenario('rebuild-killed').pageLog.map((l) => l.replace(/^\+[\d.]+ s /, ''))).toEqual([
      '[CRITICAL] RebuildFailed sandbox/sandbox-r1',
      '[RESOLVED] RebuildFailed sandbox/sandbox-r1',
    ]);
  });

  it('a paging channel that refuses is retried until the page is delivered', () => {
    expect(scenario('paging-channel-down').refusedPublishes).toBeGreaterThan(0);
    expect(scenario('paging-channel-down').pages.firing).toBe(1);
  });

  it.skipIf(netnsUnsupported() !== undefined)('drops packets for real as root (packet loss is not skipped)', () => {
    expect(scenario('packet-loss').skipped).toBeUndefined();
  });

  it('writes a self-contained HTML report that Chromium renders with its timeline', (ctx) => {
    expect(existsSync(report)).toBe(true);
    const chromium = ensureChromium();
    if ('skip' in chromium) return ctx.skip(chromium.skip);
    const img = decodePng(screenshot(chromium.path, report, join(dir, 'report.png')));
    expect(img.width).toBe(1200);
    // The lines of both replicas, the red firing and green resolved page marks were drawn.
    for (const colour of [PALETTE[0]!, PALETTE[1]!, FIRING, RESOLVED]) expect(countColour(img, colour), colour).toBeGreaterThan(20);
    expect(readFileSync(report, 'utf8').includes('<svg')).toBe(true);
  }, 400_000);
});

describe('replwatch gameday, one scenario at a time', () => {
  it('runs a single named scenario on its own', () => {
    const r = cliProcess(['gameday', '--scenario', 'replica-writable', '--json', '--baseline', '2'], {}, 120_000);
    const card = JSON.parse(r.stdout) as DrillJson;
    expect(card.scenarios.map((s) => [s.name, s.passed])).toEqual([['replica-writable', true]]);
    expect(r.code).toBe(0);
  }, 130_000);

  it('rejects an unknown scenario name, listing the valid ones', () => {
    const r = cliProcess(['gameday', '--scenario', 'replica-stopped', 'datacenter-fire']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      "error: option '--scenario <name...>' argument 'datacenter-fire' is invalid. Allowed choices are replica-stopped, replica-writable",
    );
    expect(r.stdout).toBe('');
  });
});

describe('a scenario restores the topology even when it fails', () => {
  let sb: SandboxState;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(() => stopSandbox(sb));

  const slaveRunning = async () =>
    ((await sandboxSql(sb, 'sandbox-r2', 'SHOW SLAVE STATUS')) as Array<{ Slave_SQL_Running: string }>)[0]?.Slave_SQL_Running === 'Yes';

  it('an injector that throws half way, and a monitor that never pages: the run records why, and restore still runs', async () => {
    const sns = new FakeSns();
    const ctx = {
      sandbox: sb,
      sns,
      monitor: new Monitor({ config: '', state: '', pages: '', metrics: '', log: '' }, ''),
      until: async () => undefined,
    } as unknown as DrillContext;
    const broken: Scenario = {
      ...SCENARIOS.find((s) => s.name === 'replica-stopped')!,
      inject: async (c) => {
        await sandboxSql(c.sandbox, 'sandbox-r2', 'STOP SLAVE');
        throw new Error('injector failed half way');
      },
      recover: async () => undefined,
      detectTimeoutMs: 500,
      resolveTimeoutMs: 500,
    };
    expect(await slaveRunning()).toBe(true);
    const run = await runScenario(
      broken,
      ctx,
      async () => [],
      () => undefined,
    );
    expect(run.error).toBe('injector failed half way');
    expect(await slaveRunning()).toBe(true);

    const silent: Scenario = {
      ...SCENARIOS.find((s) => s.name === 'replica-stopped')!,
      recover: async () => undefined,
      detectTimeoutMs: 500,
      resolveTimeoutMs: 500,
    };
    const unseen = await runScenario(
      silent,
      ctx,
      async () => [],
      () => undefined,
    );
    expect(unseen.error).toBeUndefined();
    expect(await slaveRunning()).toBe(true);
  });

  it('refuses to break a topology that is not healthy to begin with', async () => {
    const ctx = { sandbox: sb, sns: new FakeSns() } as unknown as DrillContext;
    const run = await runScenario(
      SCENARIOS[0]!,
      ctx,
      async () => ['ReplicationBroken sandbox-r1'],
      () => undefined,
      1000,
    );
    expect(run.error).toMatch(/not healthy before the fault: ReplicationBroken sandbox-r1/);
  });
});
