import { spawn } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Silence } from '../../../src/alerting/silence';
import { endDeadRebuilds } from '../../../src/monitor/deadRebuilds';
import { lapsed, type Lock } from '../../../src/state/store';

const silence = (id: string): Silence => ({ id, from: '2026-01-01T00:00:00Z', to: '2099-01-01T00:00:00Z', reason: 'rebuild running', cluster: 'main' });

describe('rebuild locks as the monitor reads them', () => {
  it('ends the lease and the silence of a rebuild whose process on this host was killed, and keeps a living one, a handed-over one and another host', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const now = new Date();
    const live = (owner: string, o: Partial<Lock> = {}): Lock => ({ owner, expiresAt: new Date(now.getTime() + 60_000).toISOString(), ...o });
    const me = `${userInfo().username}@${hostname()}`;
    const state = {
      locks: [
        { name: 'rebuild/dead', lock: live(`${me} pid ${child.pid} #a1`) },
        { name: 'rebuild/alive', lock: live(`${me} pid ${process.pid} #a2`) },
        { name: 'rebuild/handed', lock: live(`${me} pid ${child.pid} #a3`, { handover: true }) },
        { name: 'rebuild/elsewhere', lock: live(`ann@not-${hostname()} pid ${child.pid} #a4`) },
      ],
      silences: [silence('rebuild/dead/main-r1'), silence('rebuild/alive/main-r1'), silence('rebuild/deadly/x'), silence('people')],
    };
    const seen = endDeadRebuilds(state, now);
    expect(seen.locks.filter((l) => lapsed(l.lock, now)).map((l) => l.name)).toEqual(['rebuild/dead']);
    expect(seen.silences.map((s) => s.id)).toEqual(['rebuild/alive/main-r1', 'rebuild/deadly/x', 'people']);
    expect(endDeadRebuilds({ locks: state.locks.slice(1), silences: [] }, now).locks).toEqual(state.locks.slice(1));
  });
});
