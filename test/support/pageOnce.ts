// Child process for the two-writer test: one pager on a shared state file pages one finding.
import { Pager } from '../../src/monitor/pager';
import { JsonlPageSink } from '../../src/sinks/pages';
import { FileStore } from '../../src/state/file';

const [stateFile, pagesFile, at] = process.argv.slice(2) as [string, string, string];
const pager = new Pager({
  store: new FileStore(stateFile),
  sinks: [new JsonlPageSink(pagesFile)],
  policy: { resolveSamples: 2, repeatMs: 1_800_000 },
  silences: [],
  endpointOf: () => undefined,
});
const result = await pager.process(
  [{ code: 'ReplicationBroken', severity: 'critical', cluster: 'main', target: 'main-r1', summary: 'SQL thread stopped: 1062', details: {} }],
  new Date(at),
);
process.stdout.write(JSON.stringify({ sent: result.sent.length, lostRaces: result.lostRaces }));
