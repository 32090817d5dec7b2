import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../../src/gameday/drill';
import { FIRING, PALETTE, renderHtmlReport, RESOLVED } from '../../../src/gameday/report';
import { score } from '../../../src/gameday/scorecard';

const T = 1_800_000_000_000;
const faults = [
  {
    name: 'replica-lagging',
    fault: 'MASTER_DELAY <60>',
    expected: { code: 'ReplicaLagging', target: 'r2' },
    injectedAt: T + 5000,
    recoverAt: T + 12_000,
    endedAt: T + 16_000,
  },
  {
    name: 'packet-loss',
    fault: 'iptables',
    expected: { code: 'PacketLoss', target: '198.18.0.2:11211' },
    injectedAt: T + 16_000,
    recoverAt: T + 19_000,
    endedAt: T + 22_000,
    skipped: 'needs root',
  },
];
const pages = [
  { at: T + 11_000, kind: 'firing' as const, code: 'ReplicaLagging', target: 'r2', subject: '[WARNING] ReplicaLagging sandbox/r2 <&>' },
  { at: T + 14_000, kind: 'resolved' as const, code: 'ReplicaLagging', target: 'r2', subject: '[RESOLVED] ReplicaLagging sandbox/r2' },
];
const result: DrillResult = {
  scorecard: score(faults, { from: T, to: T + 4000 }, [], pages),
  seconds: 25,
  timeline: {
    from: T,
    to: T + 25_000,
    lag: [
      {
        label: 'r1',
        unit: 's',
        points: [
          [T + 1000, 0],
          [T + 10_000, 0.1],
          [T + 20_000, 0],
        ],
      },
      {
        label: 'r2',
        unit: 's',
        points: [
          [T + 1000, 0],
          [T + 10_000, 6],
          [T + 20_000, 0],
        ],
      },
    ],
    loss: [
      {
        label: '127.0.0.1:3306',
        unit: '%',
        points: [
          [T + 1000, 0],
          [T + 20_000, 2],
        ],
      },
    ],
    faults,
    pages,
  },
};
const html = renderHtmlReport(result, new Date(T));

describe('the game day HTML report', () => {
  it('is one self-contained file: nothing is fetched from anywhere', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    // The only URL is SVG's namespace, which is a name, not a fetch.
    expect(html.match(/https?:\/\/[^"]+/g)?.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  it('draws one line per replica and per target, a band per fault that ran, and a mark per page', () => {
    expect(html.match(/<polyline/g)).toHaveLength(3);
    expect(html).toContain(`stroke="${PALETTE[0]}"`);
    expect(html.match(/<rect class="fault"/g)).toHaveLength(2); // one fault that ran, in two panels
    expect(html.match(new RegExp(`class="page" stroke="${FIRING}"`, 'g'))).toHaveLength(2);
    expect(html.match(new RegExp(`class="page" stroke="${RESOLVED}"`, 'g'))).toHaveLength(2);
  });

  it('puts the scorecard first, with the verdict, and escapes what it quotes', () => {
    expect(html).toContain('PASSED: 1 of 1 scenarios');
    expect(html).toContain('skipped: needs root');
    expect(html).toContain('MASTER_DELAY &lt;60&gt;');
    expect(html).toContain('sandbox/r2 &lt;&amp;&gt;');
    expect(html).not.toContain('<60>');
  });
});
