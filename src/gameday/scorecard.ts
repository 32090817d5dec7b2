import type { Publish, ReceivedPage } from './fakeSns';

/** When the drill did what, for one scenario (epoch ms). */
export interface ScenarioRun {
  name: string;
  fault: string;
  expected: { code: string; target: string };
  /** The other incidents of a compound fault. */
  alsoExpected?: Array<{ code: string; target: string }>;
  injectedAt: number;
  recoverAt: number;
  endedAt: number;
  skipped?: string;
  /** Why the drill itself could not complete the scenario (an injector or repair failed). */
  error?: string;
}

export interface ScenarioScore {
  name: string;
  expected: string;
  target: string;
  detected: boolean;
  detectSeconds: number | null;
  /** Every page on-call received during the scenario; one firing and one resolved per incident is right. */
  pages: { firing: number; resolved: number; repeat: number };
  /** Each incident the fault is (the expected one first), with its own detection and recovery. */
  incidents: Array<{ code: string; target: string; detectSeconds: number | null; recoverSeconds: number | null }>;
  recovered: boolean;
  recoverSeconds: number | null;
  /** What on-call received, seconds after the fault: `+1.4 s [WARNING] ReplicationStopped ...`. */
  pageLog: string[];
  /** Publishes the paging channel refused during the scenario (the monitor retried them). */
  refusedPublishes: number;
  /** Every incident detected and recovered, exactly one firing and one resolved page each, no drill error. */
  passed: boolean;
  skipped?: string;
  error?: string;
}

export interface Scorecard {
  scenarios: ScenarioScore[];
  /** Pages on-call received during the healthy baseline before the drill. */
  falsePages: number;
  /** Their subjects, to see what paged falsely. */
  falsePageSubjects: string[];
  passed: boolean;
}

const seconds = (ms: number) => Math.round(ms / 10) / 100;

/**
 * Scores each scenario from the pages that actually reached the paging channel, never from what
 * the drill expected to happen: detection is the expected alert's first firing page, recovery its
 * resolved page after the repair began. Pure.
 */
export function score(runs: ScenarioRun[], baseline: { from: number; to: number }, publishes: Publish[], received: ReceivedPage[]): Scorecard {
  const scenarios = runs.map((r): ScenarioScore => {
    const base = { name: r.name, expected: r.expected.code, target: r.expected.target };
    const wanted = [r.expected, ...(r.alsoExpected ?? [])];
    if (r.skipped) {
      const incidents = wanted.map((w) => ({ ...w, detectSeconds: null, recoverSeconds: null }));
      return {
        ...base,
        detected: false,
        detectSeconds: null,
        pages: { firing: 0, resolved: 0, repeat: 0 },
        incidents,
        pageLog: [],
        recovered: false,
        recoverSeconds: null,
        refusedPublishes: 0,
        passed: true,
        skipped: r.skipped,
      };
    }
    const during = received.filter((p) => p.at >= r.injectedAt && p.at < r.endedAt);
    const incidents = wanted.map((w) => {
      const of = (p: ReceivedPage) => p.code === w.code && p.target === w.target;
      const fired = during.find((p) => p.kind === 'firing' && of(p));
      const resolved = during.find((p) => p.kind === 'resolved' && of(p) && p.at >= r.recoverAt);
      return { ...w, detectSeconds: fired ? seconds(fired.at - r.injectedAt) : null, recoverSeconds: resolved ? seconds(resolved.at - r.recoverAt) : null };
    });
    const pages = { firing: 0, resolved: 0, repeat: 0 };
    for (const p of during) pages[p.kind]++;
    const detected = incidents.every((i) => i.detectSeconds !== null);
    const recovered = incidents.every((i) => i.recoverSeconds !== null);
    return {
      ...base,
      detected,
      detectSeconds: incidents[0]!.detectSeconds,
      pages,
      incidents,
      pageLog: during.map((p) => `+${seconds(p.at - r.injectedAt).toFixed(1)} s ${p.subject}`),
      recovered,
      recoverSeconds: incidents[0]!.recoverSeconds,
      refusedPublishes: publishes.filter((p) => !p.accepted && p.at >= r.injectedAt && p.at < r.endedAt).length,
      passed: detected && recovered && pages.firing === wanted.length && pages.resolved === wanted.length && pages.repeat === 0 && !r.error,
      ...(r.error ? { error: r.error } : {}),
    };
  });
  const falsePages = received.filter((p) => p.at >= baseline.from && p.at < baseline.to);
  return {
    scenarios,
    falsePages: falsePages.length,
    falsePageSubjects: falsePages.map((p) => p.subject),
    passed: falsePages.length === 0 && scenarios.every((s) => s.passed),
  };
}
