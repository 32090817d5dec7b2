import { randomBytes } from 'node:crypto';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { stringify } from 'yaml';
import { ensureBinaries, type Binaries } from './binaries';
import {
  claimPort,
  isAlive,
  releasePorts,
  isOurs,
  processState,
  startDaemon,
  startReaper,
  stopProcesses,
  writeReaperList,
  type OwnedProcess,
} from './processes';
import { installHeartbeat } from '../heartbeat/install';
import { createLossyHost, destroyLossyHost, lossyHostCleanup, netnsUnsupported, type LossyHost } from './netns';
import { sleep } from '../util/deadline';
import { OperatorError } from '../util/errors';
import { replwatchCommand, shellWord } from '../util/printed';

const run = promisify(execFile);

export interface SandboxServer {
  name: string;
  role: 'primary' | 'replica';
  port: number;
  socket: string;
  serverId: number;
  datadir: string;
  pid: number;
}

export interface SandboxMemcached {
  name: string;
  port: number;
  pid: number;
}

/** sandbox.json: everything `down`, `status`, tests and the game day need to find the parts. */
export interface SandboxState {
  dir: string;
  createdAt: string;
  cluster: string;
  /** Sandbox-only secret, random per sandbox; the file is mode 0600. */
  password: string;
  servers: SandboxServer[];
  memcached: SandboxMemcached[];
  configFile: string;
  heartbeatTable: string;
  /** The CA that signed every server's certificate (IP:127.0.0.1): for `tls: { ca }`. */
  tlsCa: string;
  reaperPid?: number;
  binaries: Binaries;
  /** A memcached in a network namespace whose link can be made lossy (root only). */
  lossyHost?: LossyHost;
  /** Why there is no lossy host, when there is none. */
  lossyHostSkipped?: string;
  /** Its config gives every server `agent: local` and sandbox start/stop commands (the physical rebuild). */
  agents?: boolean;
}

export interface UpOptions {
  dir: string;
  /** When this process exits, a reaper tears the sandbox down. */
  ownerPid?: number;
  replicas?: number;
  /** Give every server an agent (`agent: local`) and start/stop commands in the config. */
  agents?: boolean;
  log?: (line: string) => void;
}

const STATE = 'sandbox.json';
export const HEARTBEAT_TABLE = 'percona.heartbeat';

export async function readState(dir: string): Promise<SandboxState | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, STATE), 'utf8')) as SandboxState;
  } catch {
    return undefined;
  }
}

const memcachedMark = (port: number) => `-p ${port} `;
const serverMark = (s: Pick<SandboxServer, 'datadir'>) => `--datadir=${s.datadir}`;

/** Every process of the sandbox, each with what its command line must contain to still be ours. */
function ownedProcesses(s: SandboxState): OwnedProcess[] {
  return [
    ...s.servers.map((x) => ({ pid: x.pid, mark: serverMark(x) })),
    ...s.memcached.map((m) => ({ pid: m.pid, mark: memcachedMark(m.port) })),
    ...(s.lossyHost ? [{ pid: s.lossyHost.pid, mark: `-l ${s.lossyHost.nsAddr} ` }] : []),
  ];
}

/** Writes sandbox.json and the reaper's list: both must name the processes running now. */
async function saveState(state: SandboxState): Promise<void> {
  await writeFile(join(state.dir, STATE), JSON.stringify(state, null, 2), { mode: 0o600 });
  writeReaperList(state.dir, ownedProcesses(state));
}

function mariadbArgs(dir: string, s: Omit<SandboxServer, 'pid'>): string[] {
  const args = [
    '--no-defaults',
    `--datadir=${s.datadir}`,
    `--tmpdir=${join(dir, 'tmp')}`,
    `--socket=${s.socket}`,
    `--port=${s.port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${join(dir, `${s.name}.pid`)}`,
    `--log-error=${join(dir, `${s.name}.err`)}`,
    `--server-id=${s.serverId}`,
    '--log-bin=mysql-bin',
    '--log-slave-updates=ON',
    '--binlog-format=ROW',
    '--gtid-strict-mode=ON',
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=32M',
    '--innodb-log-file-size=8M',
    '--innodb-flush-log-at-trx-commit=2',
    '--sync-binlog=0',
    '--event-scheduler=ON',
    '--performance-schema=OFF',
    '--max-connections=1000',
    '--slave-net-timeout=10',
    '--report-host=127.0.0.1',
    `--report-port=${s.port}`,
    `--read-only=${s.role === 'replica' ? 'ON' : 'OFF'}`,
    // TLS is offered, not required: clients (and the sandbox's own replication) choose.
    `--ssl-ca=${join(dir, 'tls', 'ca.pem')}`,
    `--ssl-cert=${join(dir, 'tls', 'server.pem')}`,
    `--ssl-key=${join(dir, 'tls', 'server-key.pem')}`,
  ];
  if (process.getuid?.() === 0) args.push('--user=root');
  return args;
}

/**
 * A throwaway CA and one server certificate for 127.0.0.1 that every sandbox server presents
 * (EC keys: generated in milliseconds, beside mariadb-install-db).
 */
async function makeCertificates(openssl: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const f = (name: string) => join(dir, name);
  try {
    await run(openssl, ['req', '-x509', ...ec, '-keyout', f('ca-key.pem'), '-out', f('ca.pem'), '-days', '3650', '-subj', '/CN=replwatch sandbox CA']);
    await run(openssl, ['req', ...ec, '-keyout', f('server-key.pem'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
    await writeFile(f('server.ext'), 'subjectAltName = IP:127.0.0.1\n');
    await run(openssl, [
      'x509',
      '-req',
      '-in',
      f('server.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca-key.pem'),
      '-CAcreateserial',
      '-out',
      f('server.pem'),
      '-days',
      '3650',
      '-extfile',
      f('server.ext'),
    ]);
  } catch (e) {
    throw new Error(`openssl could not make the sandbox's TLS certificates: ${(e as Error & { stderr?: string }).stderr ?? (e as Error).message}`);
  }
}

function startMemcached(b: Binaries, dir: string, name: string, port: number): number {
  const args = ['-l', '127.0.0.1', '-p', String(port), '-U', '0', '-m', '16', '-t', '1', '-c', '256'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  return startDaemon(b.memcached, args, join(dir, `${name}.log`));
}

/** Starts a sandbox memcached node again on its port (after a drill killed it); waits until it listens. */
export async function restartMemcached(state: SandboxState, name: string): Promise<SandboxMemcached> {
  const node = state.memcached.find((m) => m.name === name);
  if (!node) throw new Error(`no memcached node ${name} in the sandbox`);
  if (isOurs({ pid: node.pid, mark: memcachedMark(node.port) })) await stopProcesses([node.pid]);
  node.pid = startMemcached(state.binaries, state.dir, name, node.port);
  await saveState(state);
  const deadline = Date.now() + 5000;
  while (!(await listening(node.port))) {
    if (Date.now() > deadline) throw new Error(`memcached ${name} did not come back on port ${node.port}`);
    await sleep(20);
  }
  return node;
}

/** Sends `signal` to a sandbox process by name (a server or a memcached node); a drill's way to break it. */
export function signalPart(state: SandboxState, name: string, signal: NodeJS.Signals): void {
  const part = [...state.servers, ...state.memcached].find((p) => p.name === name);
  if (!part) throw new Error(`no sandbox part ${name}`);
  process.kill(part.pid, signal);
}

/** Starts a sandbox mariadbd again on its own datadir and port (after a drill killed it); waits until it serves. */
export async function restartServer(state: SandboxState, name: string): Promise<SandboxServer> {
  const server = state.servers.find((s) => s.name === name);
  if (!server) throw new Error(`no server ${name} in the sandbox`);
  if (isOurs({ pid: server.pid, mark: serverMark(server) })) await stopProcesses([server.pid]);
  server.pid = startDaemon(state.binaries.mariadbd, mariadbArgs(state.dir, server), join(state.dir, `${server.name}.out`));
  await saveState(state);
  await waitReady(server.socket, server.pid, join(state.dir, `${server.name}.err`));
  return server;
}

/** `replwatch sandbox stop NAME`: a server shut down cleanly (SIGTERM; killed after a minute), as a service stop would. */
export async function stopServer(state: SandboxState, name: string): Promise<{ name: string; was: 'running' | 'stopped' | 'gone' }> {
  const server = state.servers.find((s) => s.name === name);
  if (!server) throw new OperatorError(`no sandbox server ${name} in ${state.dir}; its servers: ${state.servers.map((s) => s.name).join(', ')}`);
  const owned = { pid: server.pid, mark: serverMark(server) };
  const was = processState(owned);
  if (was !== 'gone') await stopProcesses([server.pid], 60_000);
  return { name, was };
}

/**
 * `replwatch sandbox restart NAME`: a server or memcached node started again on its own port (and
 * datadir) whatever became of it (killed, stopped, or running), and what it was before.
 */
export async function restartPart(
  state: SandboxState,
  name: string,
): Promise<{ name: string; was: 'running' | 'stopped' | 'gone'; pid: number; port: number }> {
  const server = state.servers.find((s) => s.name === name);
  const node = state.memcached.find((m) => m.name === name);
  if (!server && !node)
    throw new OperatorError(`no sandbox part ${name} in ${state.dir}; its parts: ${[...state.servers, ...state.memcached].map((p) => p.name).join(', ')}`);
  const was = processState(server ? { pid: server.pid, mark: serverMark(server) } : { pid: node!.pid, mark: memcachedMark(node!.port) });
  const part = server ? await restartServer(state, name) : await restartMemcached(state, name);
  return { name, was, pid: part.pid, port: part.port };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function rootConnection(socket: string): Promise<mysql.Connection> {
  return mysql.createConnection({ socketPath: socket, user: 'root', connectTimeout: 2000, multipleStatements: true });
}

/** Runs statements as root over a sandbox server's socket: how drills and tests break and repair it. */
export async function sandboxSql(state: SandboxState, server: string, statements: string, timeoutMs = 10_000): Promise<unknown[]> {
  const s = state.servers.find((x) => x.name === server);
  if (!s) throw new Error(`no server ${server} in the sandbox`);
  const c = await rootConnection(s.socket);
  try {
    const [rows] = await c.query({ sql: statements, timeout: timeoutMs });
    return rows as unknown[];
  } finally {
    c.destroy();
  }
}

async function waitReady(socket: string, pid: number, errLog: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await rootConnection(socket);
      await c.end();
      return;
    } catch {
      if (!isAlive(pid) || Date.now() > deadline) {
        const log = await readFile(errLog, 'utf8').catch(() => '');
        throw new Error(`mariadbd (pid ${pid}) did not come up on ${socket}:\n${log.split('\n').slice(-15).join('\n')}`);
      }
      await sleep(50);
    }
  }
}

async function waitReplicasCaughtUp(state: SandboxState, timeoutMs = 15_000): Promise<void> {
  const primary = await rootConnection(state.servers[0]!.socket);
  try {
    const [[row]] = (await primary.query('SELECT @@gtid_binlog_pos AS pos')) as unknown as [[{ pos: string }]];
    for (const r of state.servers.slice(1)) {
      const c = await rootConnection(r.socket);
      try {
        const [[res]] = (await c.query('SELECT MASTER_GTID_WAIT(?, ?) AS w', [row.pos, timeoutMs / 1000])) as unknown as [[{ w: number }]];
        if (Number(res.w) !== 0) throw new Error(`${r.name} did not catch up with the primary (${row.pos})`);
      } finally {
        await c.end();
      }
    }
  } finally {
    await primary.end();
  }
}

type ServerSpec = Omit<SandboxServer, 'pid'>;

async function serverSpecs(dir: string, cluster: string, count: number): Promise<ServerSpec[]> {
  const specs: ServerSpec[] = [];
  for (let i = 0; i <= count; i++) {
    const name = i === 0 ? `${cluster}-primary` : `${cluster}-r${i}`;
    specs.push({
      name,
      role: i === 0 ? 'primary' : 'replica',
      port: await claimPort(dir),
      socket: join(dir, `${name}.sock`),
      serverId: i + 1,
      datadir: join(dir, `${name}-data`),
    });
  }
  return specs;
}

/** One initialised datadir, copied to every server: one install instead of one per server. */
async function makeDatadirs(binaries: Binaries, dir: string, specs: ServerSpec[]): Promise<void> {
  const template = join(dir, 'template');
  await run(binaries.installDb, [
    '--no-defaults',
    `--datadir=${template}`,
    // A tmpdir of its own: a mariadbd starting elsewhere (another sandbox) removes the #sql
    // temporary files it finds in its tmpdir, and /tmp is everyone's.
    `--tmpdir=${join(dir, 'tmp')}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...(process.getuid?.() === 0 ? ['--user=root'] : []),
    '--innodb-log-file-size=8M',
    '--innodb-buffer-pool-size=32M',
  ]).catch((e: Error & { stderr?: string }) => {
    throw new Error(`mariadb-install-db failed: ${e.stderr ?? e.message}`);
  });
  await Promise.all(specs.map((s) => cp(template, s.datadir, { recursive: true })));
  await rm(template, { recursive: true, force: true });
}

/** Starts every process, saving the state after each group so that `down` finds what did start. */
async function startProcesses(state: SandboxState, specs: ServerSpec[], opts: UpOptions, log: (line: string) => void): Promise<void> {
  const { dir, binaries } = state;
  const save = () => saveState(state);
  for (const s of specs) {
    state.servers.push({ ...s, pid: startDaemon(binaries.mariadbd, mariadbArgs(dir, s), join(dir, `${s.name}.out`)) });
  }
  for (const name of ['sessions-a', 'sessions-b']) {
    const port = await claimPort(dir);
    state.memcached.push({ name, port, pid: startMemcached(binaries, dir, name, port) });
  }
  await save();
  state.lossyHostSkipped = netnsUnsupported();
  if (!state.lossyHostSkipped) {
    // Packet-loss drills need it; everything else does not, so a failure here only skips them.
    state.lossyHost = await createLossyHost(binaries.memcached, join(dir, 'lossy-host.log')).catch((e: Error) => {
      state.lossyHostSkipped = `could not create a network namespace: ${e.message.split('\n')[0]}`;
      log(`no lossy host: ${state.lossyHostSkipped}`);
      return undefined;
    });
    await save();
  }
  if (opts.ownerPid) {
    state.reaperPid = startReaper(opts.ownerPid, dir, state.lossyHost ? lossyHostCleanup(state.lossyHost) : '');
    await save();
  }
}

/**
 * Brings up a GTID primary, its replicas and two memcached nodes from the system's binaries,
 * on free loopback ports, in `dir`. About 2 s on a 2-core machine.
 */
export async function sandboxUp(opts: UpOptions): Promise<SandboxState> {
  const log = opts.log ?? (() => undefined);
  const dir = resolve(opts.dir);
  const existing = await readState(dir);
  if (existing && ownedProcesses(existing).some(isOurs)) {
    throw new OperatorError(`a sandbox is already running in ${dir}; stop it first: ${replwatchCommand(`sandbox down --dir ${shellWord(dir)}`)}`);
  }
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  const binaries = ensureBinaries(log);

  const cluster = 'sandbox';
  const specs = await serverSpecs(dir, cluster, opts.replicas ?? 2);
  // Together, and each failure handled: one failing leaves no unhandled rejection of the other.
  await Promise.all([makeCertificates(binaries.openssl, join(dir, 'tls')), makeDatadirs(binaries, dir, specs)]);

  const state: SandboxState = {
    dir,
    createdAt: new Date().toISOString(),
    cluster,
    ...(opts.agents ? { agents: true } : {}),
    password: randomBytes(12).toString('base64url'),
    servers: [],
    memcached: [],
    configFile: join(dir, 'replwatch.yml'),
    heartbeatTable: HEARTBEAT_TABLE,
    tlsCa: join(dir, 'tls', 'ca.pem'),
    binaries,
  };
  try {
    await startProcesses(state, specs, opts, log);
    await Promise.all(state.servers.map((s) => waitReady(s.socket, s.pid, join(dir, `${s.name}.err`))));
    await initialiseTopology(state);
    await writeFile(state.configFile, sandboxConfig(state), { mode: 0o600 });
    await waitReplicasCaughtUp(state);
    log('replicas caught up with the primary: the topology is ready');
    return state;
  } catch (e) {
    await sandboxDown(dir).catch(() => undefined);
    throw e;
  }
}

async function initialiseTopology(state: SandboxState): Promise<void> {
  const [primary, ...replicas] = state.servers;
  const pw = state.password;
  const c = await rootConnection(primary!.socket);
  try {
    await c.query(
      `CREATE USER 'repl'@'%' IDENTIFIED BY ?;
       GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
       CREATE USER 'replwatch'@'%' IDENTIFIED BY ?;
       GRANT REPLICATION CLIENT, SLAVE MONITOR ON *.* TO 'replwatch'@'%';
       CREATE USER 'replwatch_hb'@'%' IDENTIFIED BY ?;
       CREATE USER 'replwatch_admin'@'%' IDENTIFIED BY ?;
       GRANT ALL PRIVILEGES ON *.* TO 'replwatch_admin'@'%';
       CREATE DATABASE app;
       CREATE TABLE app.accounts (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, balance DECIMAL(12,2) NOT NULL DEFAULT 0);
       INSERT INTO app.accounts (id, name, balance) VALUES (1, 'ada', 10), (2, 'grace', 20), (3, 'linus', 30);`,
      [pw, pw, pw, pw],
    );
    await installHeartbeat(c, state.heartbeatTable, 1, 5000);
    await c.query(
      `GRANT SELECT ON ${state.heartbeatTable} TO 'replwatch'@'%';
       GRANT SELECT, INSERT, UPDATE ON ${state.heartbeatTable} TO 'replwatch_hb'@'%';`,
    );
  } finally {
    await c.end();
  }
  await Promise.all(
    replicas.map(async (r) => {
      const rc = await rootConnection(r.socket);
      try {
        await rc.query(
          `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary!.port}, MASTER_USER='repl', MASTER_PASSWORD=?,
             MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1;
           START SLAVE;`,
          [pw],
        );
      } finally {
        await rc.end();
      }
    }),
  );
}

/** With `agents`: the server's host commands run here, and it starts and stops as `sandbox restart` and `sandbox stop` do. */
function hostSide(state: SandboxState, name: string) {
  if (!state.agents) return {};
  const dir = shellWord(state.dir);
  return {
    agent: 'local',
    service: { start: replwatchCommand(`sandbox restart ${name} --dir ${dir}`), stop: replwatchCommand(`sandbox stop ${name} --dir ${dir}`) },
  };
}

/** The replwatch config for this sandbox. The literal password is for the sandbox only. */
export function sandboxConfig(state: SandboxState): string {
  const [primary, ...replicas] = state.servers;
  const doc = {
    clusters: [
      {
        name: state.cluster,
        primary: { name: primary!.name, host: '127.0.0.1', port: primary!.port, ...hostSide(state, primary!.name) },
        replicas: replicas.map((r) => ({ name: r.name, host: '127.0.0.1', port: r.port, ...hostSide(state, r.name) })),
        user: 'replwatch',
        password: state.password,
        timeoutMs: 1000,
        lag: { warningSeconds: 5, criticalSeconds: 30, sustainedSamples: 2 },
        heartbeat: { table: state.heartbeatTable, user: 'replwatch_hb', password: state.password },
        admin: { user: 'replwatch_admin', password: state.password },
      },
    ],
    memcache: [{ name: 'sessions', nodes: state.memcached.map((m) => `127.0.0.1:${m.port}`), timeoutMs: 500 }],
    network: [
      {
        name: 'sandbox-hosts',
        targets: [`127.0.0.1:${primary!.port}`, ...(state.lossyHost ? [`${state.lossyHost.nsAddr}:${state.lossyHost.port}`] : [])],
        // 50 probes pace over half a second, so `watch --every 1s` keeps its rhythm.
        probes: 50,
        timeoutMs: 300,
        loss: { warningPercent: 2, criticalPercent: 10 },
      },
    ],
  };
  return `# replwatch sandbox (${state.dir}). Sandbox only: real configs take passwords as\n# env:NAME, ssm:/path or secret:ARN references, never literals.\n${stringify(doc)}`;
}

/** Stops every process of the sandbox in `dir` (even SIGSTOPped ones) and removes `dir`. */
export async function sandboxDown(dir: string): Promise<boolean> {
  const state = await readState(resolve(dir));
  if (!state) {
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
    releasePorts(resolve(dir));
    return false;
  }
  if (state.reaperPid) {
    try {
      process.kill(state.reaperPid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await stopProcesses(
    ownedProcesses(state)
      .filter(isOurs)
      .map((p) => p.pid),
  );
  if (state.lossyHost) await destroyLossyHost(state.lossyHost);
  await rm(state.dir, { recursive: true, force: true });
  releasePorts(state.dir);
  return true;
}

export interface SandboxStatus {
  dir: string;
  up: boolean;
  configFile?: string;
  parts: Array<{ name: string; kind: 'mariadb' | 'memcached'; role?: string; host?: string; port: number; pid: number; running: boolean }>;
  lossyHostSkipped?: string;
}

export async function sandboxStatus(dir: string): Promise<SandboxStatus> {
  const state = await readState(resolve(dir));
  if (!state) return { dir: resolve(dir), up: false, parts: [] };
  const parts = [
    ...state.servers.map((s) => ({ name: s.name, kind: 'mariadb' as const, role: s.role, port: s.port, pid: s.pid })),
    ...state.memcached.map((m) => ({ name: m.name, kind: 'memcached' as const, port: m.port, pid: m.pid })),
    ...(state.lossyHost
      ? [
          {
            name: `lossy-host (netns ${state.lossyHost.ns})`,
            kind: 'memcached' as const,
            host: state.lossyHost.nsAddr,
            port: state.lossyHost.port,
            pid: state.lossyHost.pid,
          },
        ]
      : []),
  ].map((p, i) => ({ ...p, running: isOurs(ownedProcesses(state)[i]!) }));
  return {
    dir: state.dir,
    up: parts.every((p) => p.running),
    configFile: state.configFile,
    parts,
    ...(state.lossyHostSkipped ? { lossyHostSkipped: state.lossyHostSkipped } : {}),
  };
}
