import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from '../src/config/load';
import { dispatch } from '../src/dispatch/dispatch';
import { invokeAsync } from '../src/lambda/invoke';
import { median, printTable } from './peers';
import { fleetConfig } from './cost';

const RUNS = 7;

/**
 * The dispatch Lambda's own work each minute: shard the config and start one worker per shard
 * through the real Lambda client (request signing, HTTP), against a local endpoint that answers
 * Invoke as Lambda does (202), for 10, 100 and 1000 targets. AWS's own round trip is not in it.
 */
export async function benchDispatch(): Promise<Record<number, number>> {
  console.log(`\n== dispatch: shard and start the workers, against a local Lambda endpoint (median of ${RUNS}) ==`);
  let invokes = 0;
  const lambda = createServer((req, res) => {
    invokes++;
    req.resume().on('end', () => res.writeHead(202).end());
  });
  await new Promise<void>((done) => lambda.listen(0, '127.0.0.1', done));
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
  });
  const figures: Record<number, number> = {};
  const rows = [['targets', 'workers started', 'dispatch ms (median)']];
  try {
    for (const n of [10, 100, 1000]) {
      const config = parseConfig(JSON.stringify(fleetConfig(n)), `dispatch-${n}.json`);
      const times: number[] = [];
      let started = 0;
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const result = await dispatch(config, (check, event) => invokeAsync(`replwatch-bench-${check}`, event));
        times.push(performance.now() - t);
        if (result.failed.length) throw new Error(`dispatch bench: ${result.failed[0]!.error}`);
        started = result.invoked.length;
      }
      figures[n] = median(times);
      rows.push([String(n), String(started), figures[n]!.toFixed(1)]);
    }
  } finally {
    process.env = saved;
    lambda.close();
  }
  printTable(rows);
  console.log(`  ${invokes} Invoke requests answered`);
  return figures;
}
