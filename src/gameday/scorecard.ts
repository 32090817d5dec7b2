import type { Publish, ReceivedPage } from './fakeSns';

/** When the drill did what, for one scenario (epoch ms). */
export interface ScenarioRun {
  name: string;
  fault: string;
  expected: { code: string; target: string };
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
  /** Every page on-call received during the scenario; one firing and one resolved is right. */
  pages: { firing: number; resolved: number; repeat: number };
  recovered: boolean;
  recoverSeconds: number | null;
  /** What on-call received, seconds after the fault: `+1.4 s [WARNING] ReplicationStopped ...`. */
  pageLog: string[];
  /** Publishes the paging channel refused during the scenario (the monitor retried them). */
  refusedPublishes: number;
  /** Detected, exactly one firing and one resolved page, recovered, no drill error. */
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
    if (r.skipped) {
      return { ...base, detected: false, detectSeconds: null, pages: { firing: 0, resolved: 0, repeat: 0 }, pageLog: [], recovered: false, recoverSeconds: null, refusedPublishes: 0, passed: true, skipped: r.skipped };
    }
    const during = received.filter((p) => p.at >= r.injectedAt && p.at < r.endedAt);
    const expected = (p: ReceivedPage) => p.code === r.expected.code && p.target === r.expected.target;
    const fired = during.find((p) => p.kind === 'firing' && expected(p));
    const resolved = during.find((p) => p.kind === 'resolved' && expected(p) && p.at >= r.recoverAt);
    const pages = { firing: 0, resolved: 0, repeat: 0 };
    for (const p of during) pages[p.kind]++;
    const detected = fired !== undefined;
    const recovered = resolved !== undefined;
    return {
      ...base,
      detected,
      detectSeconds: fired ? seconds(fired.at - r.injectedAt) : null,
      pages,
      pageLog: during.map((p) => `+${seconds(p.at - r.injectedAt).toFixed(1)} s ${p.subject}`),
      recovered,
      recoverSeconds: resolved ? seconds(resolved.at - r.recoverAt) : null,
      refusedPublishes: publishes.filter((p) => !p.accepted && p.at >= r.injectedAt && p.at < r.endedAt).length,
      passed: detected && recovered && pages.firing === 1 && pages.resolved === 1 && pages.repeat === 0 && !r.error,
      ...(r.error ? { error: r.error } : {}),
    };
  });
  const falsePages = received.filter((p) => p.at >= baseline.from && p.at < baseline.to);
  return { scenarios, falsePages: falsePages.length, falsePageSubjects: falsePages.map((p) => p.subject), passed: falsePages.length === 0 && scenarios.every((s) => s.passed) };
}
