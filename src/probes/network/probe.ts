import { createLimiter } from '../../util/limiter';
import { sleep } from '../../util/deadline';
import { handshake } from './handshake';

export interface NetworkTarget {
  group: string;
  /** `host:port`, as targets are named. */
  name: string;
  host: string;
  port: number;
  probes: number;
  timeoutMs: number;
}

export interface NetworkReading {
  group: string;
  target: string;
  sent: number;
  lost: number;
  refused: number;
  /** Round trips of the delivered handshakes, ms, in the order they were sent. */
  rtts: number[];
  /** Why probes were lost, counted by reason (timeout, EHOSTUNREACH...). */
  lossReasons: Record<string, number>;
  probeMs: number;
}

/** At most this many handshakes in flight per target, whatever the pacing. */
export const MAX_IN_FLIGHT = 32;

/**
 * Spacing between handshake starts: a whole run spreads over about a second (as `ping -i`
 * does), so lost probes wait out their deadline in parallel while answered ones are timed one
 * at a time, not queued behind each other in the event loop.
 */
export const paceMs = (probes: number): number => Math.min(10, Math.max(1, 1000 / probes));

/** `probes` paced handshakes to one target at bounded concurrency; raw counts, no verdict. */
export async function probeNetworkTarget(t: NetworkTarget, inFlight = MAX_IN_FLIGHT): Promise<NetworkReading> {
  const started = performance.now();
  const limit = createLimiter(inFlight);
  const pace = paceMs(t.probes);
  const outcomes = await Promise.all(
    Array.from({ length: t.probes }, (_, i) => sleep(i * pace).then(() => limit(() => handshake(t.host, t.port, t.timeoutMs)))),
  );
  const reading: NetworkReading = { group: t.group, target: t.name, sent: t.probes, lost: 0, refused: 0, rtts: [], lossReasons: {}, probeMs: 0 };
  for (const o of outcomes) {
    if (o.delivered) {
      reading.rtts.push(o.rttMs);
      if (o.refused) reading.refused++;
    } else {
      reading.lost++;
      reading.lossReasons[o.reason] = (reading.lossReasons[o.reason] ?? 0) + 1;
    }
  }
  reading.probeMs = performance.now() - started;
  return reading;
}
