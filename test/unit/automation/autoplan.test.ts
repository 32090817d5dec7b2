import { createServer, type Server } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { autoPlanAttacher } from '../../../src/automation/autoplan';
import { parseConfig } from '../../../src/config/load';
import { SecretResolver } from '../../../src/config/secrets';
import type { Finding } from '../../../src/model/findings';

// A port that accepts nothing: the plan's probes are refused at once.
let closedPort: number;
let holder: Server;
beforeAll(async () => {
  holder = createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
  closedPort = (holder.address() as { port: number }).port;
  await new Promise<void>((r) => holder.close(() => r()));
});

const config = (autoPlan: boolean) =>
  parseConfig(
    JSON.stringify({
      clusters: [
        {
          name: 'main',
          autoPlan,
          primary: { name: 'main-primary', host: '127.0.0.1', port: closedPort },
          replicas: [{ name: 'main-r1', host: '127.0.0.2', port: closedPort }],
          user: 'replwatch',
          admin: { user: 'replwatch_admin', password: 'literal-for-the-test' },
        },
      ],
    }),
    'replwatch.json',
  );
const finding = (code: Finding['code']): Finding =>
  ({ cluster: 'main', target: 'main-r1', code, severity: 'critical', summary: 's', action: 'a', details: {} }) as Finding;

describe('autoPlanAttacher', () => {
  it('attaches nothing to a finding a rebuild does not fix, nor where the cluster has not asked for it', async () => {
    expect(await autoPlanAttacher(config(true), new SecretResolver())(finding('ReplicaLagging'))).toBeUndefined();
    expect(await autoPlanAttacher(config(false), new SecretResolver())(finding('ReplicationBroken'))).toBeUndefined();
  });

  it('says why the plan is not available when it cannot be made, instead of failing the page', async () => {
    const text = await autoPlanAttacher(config(true), new SecretResolver())(finding('ReplicationBroken'));
    expect(text).toMatch(/^Rebuild plan not available: cannot reach main-r1 \(connect ECONNREFUSED .*\): nothing to rebuild until it answers$/);
  });
});
