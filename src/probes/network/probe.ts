import { createLimiter } from '../../util/limiter';
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

/** Handshakes in flight per target: enough to finish 200 probes well inside a second on a clean path. */
export const PROBES_IN_FLIGHT = 16;

/** `probes` handshakes to one target at bounded concurrency; returns raw counts, no verdict. */
export async function probeNetworkTarget(t: NetworkTarget, inFlight = PROBES_IN_FLIGHT): Promise<NetworkReading> {
  const started = performance.now();
  const limit = createLimiter(inFlight);
  const outcomes = await Promise.all(Array.from({ length: t.probes }, () => limit(() => handshake(t.host, t.port, t.timeoutMs))));
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
