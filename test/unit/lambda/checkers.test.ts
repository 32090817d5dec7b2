import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../../../src/config/load';
import { ContainerCheckers, samplesPerRun, warnLagWindow } from '../../../src/lambda/checkers';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const config = (sampleSeconds: number, sustainedSamples: number) =>
  parseConfig(
    stringify({
      sampleSeconds,
      clusters: [
        {
          name: 'main',
          primary: { host: 'p' },
          replicas: [{ name: 'r1', host: 'r' }],
          user: 'u',
          password: 'env:PW',
          lag: { warningSeconds: 5, criticalSeconds: 30, sustainedSamples },
        },
      ],
    }),
    'lambda.yml',
  );

describe('a check container keeps one checker per slice while its runs follow one another', () => {
  it("reuses a slice's checker run after run, a minute apart", () => {
    let now = 0;
    let made = 0;
    const checkers = new ContainerCheckers(
      () => ++made,
      () => now,
    );
    const scope = { key: '0/2', config: config(10, 2) };
    expect(checkers.forRun(scope)).toBe(1);
    now += 61_000;
    expect(checkers.forRun(scope)).toBe(1);
    now += 59_000;
    expect(checkers.forRun(scope)).toBe(1);
    expect(checkers.forRun({ ...scope, key: '1/2' })).toBe(2);
  });

  it('starts a slice afresh when a run of it went elsewhere: its history would have a hole', () => {
    let now = 0;
    let made = 0;
    const checkers = new ContainerCheckers(
      () => ++made,
      () => now,
    );
    const scope = { key: 'all', config: config(10, 2) };
    checkers.forRun(scope);
    now += 120_000; // the run of the minute between ran on another container
    expect(checkers.forRun(scope)).toBe(2);
  });
});

describe('the lag window of one run', () => {
  it('counts the samples the real loop takes in a run (sampling stops 5 s before the end, with time for one more)', async () => {
    expect(await samplesPerRun(10, 60_000)).toBe(5);
    expect(await samplesPerRun(5, 60_000)).toBe(11);
    expect(await samplesPerRun(60, 60_000)).toBe(1);
    expect(await samplesPerRun(1, 2_000)).toBe(1);
  });

  it('warns once per container about a cluster whose sustainedSamples one run cannot reach', async () => {
    expect(await warnLagWindow(config(10, 5), 60_000)).toEqual([]);
    const [warning, ...more] = await warnLagWindow(config(60, 2), 60_000);
    expect(more).toEqual([]);
    expect(warning).toMatch(
      /^cluster main: lag.sustainedSamples is 2 but one run takes 1 sample\(s\) \(sampleSeconds 60 in 60 s\): ReplicaLagging fires only when consecutive runs land on one warm container/,
    );
    expect(await warnLagWindow(config(60, 2), 60_000)).toEqual([]);
  });
});
