import { expect } from 'vitest';
import type { Finding, FindingCode } from '../../src/model/findings';

/**
 * Domain matchers on findings (as Powertools' testing package extends expect), so a test reads as
 * the behaviour it checks rather than as a string-joined list of codes:
 *
 *   expect(report).toHaveFinding('ReplicationBroken', { target: 'main-r2', severity: 'critical' });
 *   expect(report).not.toHaveFinding('WrongPrimary');
 *   expect(report).toHaveFindings([{ code: 'ReplicaIoError', severity: 'critical', target: 'main-r2' }]);
 *   expect(report).toHaveFindings([...], { inOrder: true }); // where the order is part of the behaviour
 *
 * The subject is a report or a monitor's sample (anything with `findings`) or a findings array.
 * A partial names the fields that matter: each is compared with `equals` (so asymmetric matchers
 * such as expect.stringContaining work), and `details` by the keys it names.
 */

type FindingLike = Pick<Finding, 'code'> & Partial<Omit<Finding, 'code'>>;
export type FindingsSubject = readonly FindingLike[] | { readonly findings: readonly FindingLike[] };
export type FindingPartial = Partial<Omit<Finding, 'code' | 'details'>> & { details?: Record<string, unknown> };
/** One expected finding: its code alone, or its code and the fields that matter. */
export type ExpectedFinding = FindingCode | ({ code: FindingCode } & FindingPartial);

type Equals = (a: unknown, b: unknown) => boolean;

function findingsOf(received: unknown): readonly FindingLike[] | undefined {
  const list = Array.isArray(received) ? received : (received as { findings?: unknown } | null)?.findings;
  return Array.isArray(list) && list.every((f) => typeof (f as FindingLike | null)?.code === 'string') ? (list as FindingLike[]) : undefined;
}

const normalised = (e: ExpectedFinding): { code: FindingCode } & FindingPartial => (typeof e === 'string' ? { code: e } : e);

function matches(equals: Equals, f: FindingLike, expected: { code: FindingCode } & FindingPartial): boolean {
  const { code, details, ...fields } = expected;
  if (f.code !== code) return false;
  for (const [k, v] of Object.entries(fields)) if (!equals((f as Record<string, unknown>)[k], v)) return false;
  for (const [k, v] of Object.entries(details ?? {})) if (!equals(f.details?.[k], v)) return false;
  return true;
}

/** code/severity/target, and whatever else the expectation is about (`details.scope=...`). */
function describeFinding(f: FindingLike, about: ReadonlyArray<{ code: FindingCode } & FindingPartial>): string {
  const extra = new Set<string>();
  for (const e of about) {
    for (const k of Object.keys(e)) if (!['code', 'severity', 'target', 'details'].includes(k)) extra.add(k);
    for (const k of Object.keys(e.details ?? {})) extra.add(`details.${k}`);
  }
  const shown = [...extra].map((k) => {
    const v = k.startsWith('details.') ? f.details?.[k.slice('details.'.length)] : (f as Record<string, unknown>)[k];
    return `${k}=${JSON.stringify(v)}`;
  });
  return [`${f.code}/${f.severity ?? '?'}/${f.target ?? '?'}`, ...shown].join(' ');
}

function present(findings: readonly FindingLike[], about: ReadonlyArray<{ code: FindingCode } & FindingPartial>): string {
  return findings.length === 0 ? 'no findings' : `findings present:\n${findings.map((f) => `  - ${describeFinding(f, about)}`).join('\n')}`;
}

const describeExpected = (e: { code: FindingCode } & FindingPartial, show: (v: unknown) => string): string => {
  const { code, ...rest } = e;
  return Object.keys(rest).length === 0 ? code : `${code} ${show(rest)}`;
};

/** Whether every expected finding has a finding of its own (a perfect matching, in any order). */
function pairs(equals: Equals, findings: readonly FindingLike[], expected: ReadonlyArray<{ code: FindingCode } & FindingPartial>): boolean {
  if (findings.length !== expected.length) return false;
  const owner: Array<number | undefined> = new Array(findings.length).fill(undefined);
  const place = (e: number, seen: Set<number>): boolean => {
    for (let f = 0; f < findings.length; f++) {
      if (seen.has(f) || !matches(equals, findings[f]!, expected[e]!)) continue;
      seen.add(f);
      if (owner[f] === undefined || place(owner[f]!, seen)) {
        owner[f] = e;
        return true;
      }
    }
    return false;
  };
  return expected.every((_, e) => place(e, new Set()));
}

/** Thrown, not failed: under `.not` a failed match would pass, whatever the subject. */
function notFindings(received: unknown, utils: { stringify: (v: unknown) => string }): never {
  throw new TypeError(`expected a report, a sample or a findings array, got ${utils.stringify(received)}`);
}

expect.extend({
  toHaveFinding(received: unknown, code: FindingCode, partial: FindingPartial = {}) {
    const findings = findingsOf(received);
    if (!findings) notFindings(received, this.utils);
    const expected = { code, ...partial };
    const pass = findings.some((f) => matches(this.equals, f, expected));
    return {
      pass,
      message: () => `expected ${pass ? 'no finding' : 'a finding'} ${describeExpected(expected, this.utils.stringify)}, ${present(findings, [expected])}`,
    };
  },

  toHaveFindings(received: unknown, expected: readonly ExpectedFinding[], { inOrder = false }: { inOrder?: boolean } = {}) {
    const findings = findingsOf(received);
    if (!findings) notFindings(received, this.utils);
    const wanted = expected.map(normalised);
    const pass = inOrder
      ? findings.length === wanted.length && wanted.every((e, i) => matches(this.equals, findings[i]!, e))
      : pairs(this.equals, findings, wanted);
    const list =
      wanted.length === 0
        ? 'no findings'
        : `exactly these findings (${inOrder ? 'in this order' : 'in any order'}):\n${wanted.map((e) => `  - ${describeExpected(e, this.utils.stringify)}`).join('\n')}`;
    return {
      pass,
      message: () => `expected ${pass ? 'not ' : ''}${list}\n${present(findings, wanted)}`,
    };
  },
});

declare module 'vitest' {
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> {
    /** A finding with this code and (when given) these fields; `not.` for none such. */
    toHaveFinding(code: FindingCode, partial?: FindingPartial): R;
    /** Exactly these findings, one finding each, in any order (or `inOrder`): no fewer, no others. */
    toHaveFindings(expected: readonly ExpectedFinding[], options?: { inOrder?: boolean }): R;
  }
}
