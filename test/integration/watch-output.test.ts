import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'replwatch.mjs');

/** An SNS endpoint that answers Publish with `status`, recording each request's signing region. */
function snsEndpoint() {
  const regions: string[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    regions.push(/Credential=[^/]+\/\d{8}\/([^/]+)\/sns\//.exec(req.headers.authorization ?? '')?.[1] ?? '(unsigned)');
    req.resume().on('end', () => {
      if (status !== 200)
        res
          .writeHead(status, { 'content-type': 'text/xml' })
          .end('<ErrorResponse><Error><Code>InternalError</Code><Message>down</Message></Error></ErrorResponse>');
      else
        res.writeHead(200, { 'content-type': 'text/xml' }).end('<PublishResponse><PublishResult><MessageId>m1</MessageId></PublishResult></PublishResponse>');
    });
  });
  return { server, regions, failWith: (s: number) => (status = s) };
}

const sns = snsEndpoint();
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((r) => sns.server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(sns.server.address() as { port: number }).port}`;
});
afterAll(() => sns.server.close());

/** `replwatch watch` (not a terminal: one line per sample) on a memcached that is down: it pages at its second sample. */
function watch(dir: string, extra: { state?: string; topic?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const config = join(dir, 'replwatch.yml');
  const alerts = extra.topic ? `alerts:\n  snsTopicArn: ${extra.topic}\n` : '';
  writeFileSync(config, `memcache:\n  - { name: m, nodes: ["127.0.0.1:9"], timeoutMs: 200 }\n${alerts}`);
  const args = [bin, 'watch', '--config', config, '--every', '250ms', '--samples', '3', ...(extra.state ? ['--state', extra.state] : [])];
  // AWS_REGION says us-east-1: a client built there would sign (and send) for the wrong region.
  const env = { ...process.env, AWS_ENDPOINT_URL_SNS: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  const child = spawn(process.execPath, args, { env, cwd: dir });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

const lines = (out: string, re: RegExp) => out.split('\n').filter((l) => re.test(l));

describe('what `replwatch watch` prints can be followed (issues 12, 14)', () => {
  it("publishes to SNS in the topic ARN's region, and counts the page its console printed", async () => {
    sns.failWith(200);
    sns.regions.length = 0;
    const r = await watch(mkdtempSync(join(tmpdir(), 'rw-watch-')), { topic: 'arn:aws:sns:eu-west-1:123456789012:pages' });
    expect(r.code, r.stderr).toBe(0);
    expect(sns.regions).toEqual(['eu-west-1']);
    expect(lines(r.stdout, / PAGE /)).toHaveLength(1);
    expect(lines(r.stdout, / sample \d: /).map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'sample 1: 1 critical, 0 warning, 0 paged, 0 held',
      'sample 2: 1 critical, 0 warning, 1 paged, 0 held',
      'sample 3: 1 critical, 0 warning, 0 paged, 0 held',
    ]);
  }, 30_000);

  it('never prints a PAGE line and then "0 paged" for it: a sink that missed it is named in the count', async () => {
    sns.failWith(500);
    const r = await watch(mkdtempSync(join(tmpdir(), 'rw-watch-')), { topic: 'arn:aws:sns:eu-west-1:123456789012:pages' });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout, / PAGE /)).toHaveLength(1);
    expect(lines(r.stdout, / sample 2: /)[0]).toMatch(/: 1 critical, 0 warning, 1 paged \(console 1, jsonl 1, sns 0\), 0 held$/);
    expect(r.stderr).toContain('page not delivered to sns (will retry)');
  }, 30_000);

  it('reports a state file it cannot read as a critical finding, paged once without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-watch-'));
    const state = join(dir, 'state.json');
    mkdirSync(state);
    const r = await watch(dir, { state });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout, / PAGE /).map((l) => l.replace(/^\S+ /, '').split(' | ')[0])).toEqual([`PAGE [CRITICAL] StateUnreadable replwatch/${state}`]);
    // The memcached is down as well, and cannot be paged: both are counted, every sample.
    for (const line of lines(r.stdout, / sample \d: /)) expect(line).toMatch(/: 2 critical, 0 warning/);
    expect(r.stderr).not.toContain('paging failed this sample');
  }, 30_000);

  it('moves a damaged state file aside, says so once on stderr, and pages from a fresh state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-watch-'));
    const state = join(dir, 'state.json');
    writeFileSync(state, '{"alerts": []}');
    const r = await watch(dir, { state });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stderr, /is not a valid state file/)).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => f.startsWith('state.json.damaged-'))).toHaveLength(1);
    expect(lines(r.stdout, / PAGE /)).toHaveLength(1);
  }, 30_000);

  it('counts a critical it held (a dead rebuild under a silence) among the criticals: "2 critical (1 held)", never 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-watch-held-'));
    const state = join(dir, 'state.json');
    const lock = {
      owner: 'ops@elsewhere pid 1 #abc',
      expiresAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:00.000Z',
      checkpoint: { v: 2, replica: 'main-r1', position: '', schemaDone: false, tablesDone: [], step: 'copy' },
    };
    const silence = { id: 's1', cluster: 'main', from: '2026-01-01T00:00:00.000Z', to: '2099-01-01T00:00:00.000Z', reason: 'maintenance' };
    writeFileSync(state, JSON.stringify({ alerts: {}, silences: [silence], locks: { 'rebuild/main': lock } }));
    const r = await watch(dir, { state });
    expect(r.code, r.stderr).toBe(0);
    expect(lines(r.stdout, / sample \d: /).map((l) => l.replace(/^\S+ /, ''))).toEqual([
      'sample 1: 2 critical (1 held), 0 warning, 0 paged, 1 held',
      'sample 2: 2 critical (1 held), 0 warning, 1 paged, 1 held',
      'sample 3: 2 critical (1 held), 0 warning, 0 paged, 1 held',
    ]);
    expect(lines(r.stdout, / PAGE /).map((l) => l.split(' ')[2])).toEqual(['[CRITICAL]']);
    expect(r.stdout).not.toContain('RebuildFailed');
  }, 30_000);
});
