import type { Finding } from '../model/findings';
import type { NetworkObservation } from '../model/observations';

export interface LossThresholds {
  warningPercent: number;
  criticalPercent: number;
}

/** What a loss measurement reduces to, from replwatch's handshakes or AWS Network Monitor. */
export interface LossMeasurement {
  group: string;
  target: string;
  source: NetworkObservation['source'];
  lossPercent: number | null;
  rttMs: NetworkObservation['rttMs'];
  jitterMs: number | null;
  sent?: number;
  lost?: number;
  lossReasons?: Record<string, number>;
  error?: string;
}

/** Nearest-rank percentile of a sorted list. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const r3 = (n: number | null) => (n === null ? null : Math.round(n * 1000) / 1000);

/** Loss, RTT percentiles and jitter (mean difference between consecutive round trips). */
export function summariseHandshakes(reading: {
  group: string;
  target: string;
  sent: number;
  lost: number;
  rtts: number[];
  lossReasons: Record<string, number>;
}): LossMeasurement {
  const sorted = [...reading.rtts].sort((a, b) => a - b);
  const diffs = reading.rtts.slice(1).map((v, i) => Math.abs(v - reading.rtts[i]!));
  return {
    group: reading.group,
    target: reading.target,
    source: 'tcp',
    lossPercent: reading.sent === 0 ? null : Math.round((reading.lost / reading.sent) * 10_000) / 100,
    rttMs: { p50: r3(percentile(sorted, 50)), p95: r3(percentile(sorted, 95)), max: r3(sorted.at(-1) ?? null) },
    jitterMs: diffs.length === 0 ? null : r3(diffs.reduce((a, b) => a + b, 0) / diffs.length),
    sent: reading.sent,
    lost: reading.lost,
    lossReasons: reading.lossReasons,
  };
}

export function analyseLoss(t: LossThresholds, m: LossMeasurement): { observation: NetworkObservation; findings: Finding[] } {
  const observation: NetworkObservation = {
    kind: 'network',
    group: m.group,
    target: m.target,
    source: m.source,
    lossPercent: m.lossPercent,
    rttMs: m.rttMs,
    jitterMs: m.jitterMs,
    ...(m.sent !== undefined ? { sent: m.sent, lost: m.lost } : {}),
    ...(m.error ? { error: m.error } : {}),
  };
  const base = { cluster: m.group, target: m.target };
  const via = m.source === 'tcp' ? `${m.sent} TCP handshakes` : 'AWS Network Monitor';
  const details = { source: m.source, lossPercent: m.lossPercent, sent: m.sent, lost: m.lost, lossReasons: m.lossReasons, rttMs: m.rttMs, thresholds: t };
  if (m.lossPercent === null) return { observation, findings: [] };
  if (m.lossPercent >= 100) {
    return {
      observation,
      findings: [
        {
          ...base,
          code: 'HostUnreachable',
          severity: 'critical',
          summary: `${m.target} unreachable: every one of ${via} was lost${
            m.lossReasons
              ? ` (${Object.entries(m.lossReasons)
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(', ')})`
              : ''
          }`,
          action: `check that ${m.target} is up, and the route and security groups between replwatch and it`,
          details,
        },
      ],
    };
  }
  const severity = m.lossPercent >= t.criticalPercent ? 'critical' : m.lossPercent >= t.warningPercent ? 'warning' : null;
  if (!severity) return { observation, findings: [] };
  return {
    observation,
    findings: [
      {
        ...base,
        code: 'PacketLoss',
        severity,
        summary: `${m.lossPercent.toFixed(1)}% packet loss to ${m.target} (${via}${m.lost !== undefined ? `, ${m.lost} lost` : ''}), over the ${severity} threshold of ${severity === 'critical' ? t.criticalPercent : t.warningPercent}%`,
        action: `look for a saturated or faulty link, NIC or security appliance on the path to ${m.target}`,
        details,
      },
    ],
  };
}
