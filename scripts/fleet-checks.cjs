// Serverless variable source: which checks the packaged config has, so that the stack alarms
// (dead man) only for checks dispatch starts workers for. A check with nothing to watch reports no
// ChecksCompleted: its alarm would breach forever and page "monitor stopped" after every deploy.
// Used in serverless.yml as ${file(./scripts/fleet-checks.cjs):replication} -> 'true' | 'false'.
// The config is parsed by replwatch's own loader and dispatch's own shard code (through tsx), so
// a config that would fail in Lambda fails the package instead.
const { existsSync } = require('node:fs');
const { resolve } = require('node:path');

let memo;

/** Which checks `configFile` has, as serverless.yml's conditions read them ('true' / 'false'). */
async function checksFor(configFile) {
  const tsx = require('tsx/cjs/api');
  const { loadConfig } = tsx.require('../src/config/load.ts', __filename);
  const { CHECKS, checksOf } = tsx.require('../src/dispatch/shards.ts', __filename);
  // The loader refuses a config with nothing to check: a monitor of nothing would only page that
  // it is not reporting.
  const present = new Set(checksOf(await loadConfig(configFile)));
  return Object.fromEntries(CHECKS.map((c) => [c, String(present.has(c))]));
}

module.exports = async ({ resolveConfigurationProperty }) => {
  if (memo) return memo;
  // The file every function is given as REPLWATCH_CONFIG, relative to the service (/var/task), which
  // osls runs in.
  const name = (await resolveConfigurationProperty(['provider', 'environment', 'REPLWATCH_CONFIG'])) ?? 'replwatch.yml';
  const file = resolve(process.cwd(), name);
  // No config yet (a fresh clone, CI): every check keeps its alarm, as a fleet config would have all three.
  memo = existsSync(file) ? await checksFor(file) : { replication: 'true', memcache: 'true', network: 'true' };
  return memo;
};
module.exports.checksFor = checksFor;
