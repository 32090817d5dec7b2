import type { AlertState, AlertWrite, OwedPage } from './alert';

/*
 * Who is sent what when pages do not get through. Every sink (subscriber) should read, per
 * incident, FIRING, perhaps reminders, then RESOLVED: never a RESOLVED for a FIRING it never got,
 * never a FIRING left standing once the alert is over. So:
 * - a page is recorded as owed to its sinks in the write that claims the transition, before it
 *   is sent, and each sink is struck off once it took it: a crash leaves it owed, not lost;
 * - a newer page of the same alert supersedes the owed one. A repeat or escalation goes to every
 *   sink: for one that missed the FIRING it is a full page (what, since when, evidence, runbook);
 * - a RESOLVED goes only to the sinks that were told it fired (and to this process's terminal). If
 *   the FIRING reached nobody, the alert just goes: an incident over before anyone could be told is
 *   not news worth a page;
 * - a sink never told of a firing alert (another process paged it) is sent its FIRING (the pager's
 *   tellUnaware), so it too reads FIRING before RESOLVED;
 * - an alert back before every sink took its RESOLVED fires again for the sinks that took it;
 *   to the others it never stopped, and they get nothing.
 * Pure: the pager does the writes and the sending.
 */

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x));

/**
 * The sinks that were told the alert fired and not yet that it resolved: as recorded
 * (`toldSinks`, which names sinks of other processes too: the runbook resolving what the
 * monitor paged), else (an alert stored before that record) of `sinks`, as its owed page implies.
 */
export function told(a: AlertState | undefined, sinks: readonly string[]): string[] {
  const owed = a?.undelivered;
  if (!a || a.status === 'pending') return [];
  if (a.toldSinks) return owed?.kind === 'resolved' ? a.toldSinks.filter((s) => owed.sinks.includes(s)) : [...a.toldSinks];
  if (!owed) return [...sinks];
  if (owed.kind === 'resolved') return sinks.filter((s) => owed.sinks.includes(s));
  return minus(sinks, owed.unaware ?? []);
}

/**
 * The sinks of `sinks` a firing alert's recorded `toldSinks` lacks: never told it fired (an alert
 * stored before that record counts as told everywhere, as `told` reads it).
 */
export function unaware(a: AlertState, sinks: readonly string[]): string[] {
  return a.toldSinks ? minus(sinks, a.toldSinks) : [];
}

/** One process's terminal (`console:<host>:<pid>`): only that process can show it a page, so one is owed to it only while that process runs (`alive`). */
export const isEphemeral = (sink: string): boolean => sink.startsWith('console:');

/**
 * How long a RESOLVED waits for a sink that was told the alert fired but that this process does
 * not have (the monitor's `--pages` file, when the runbook resolves): the process that has it
 * delivers it on its next sample. A sink that is gone for good is forgotten after this.
 */
export const HANDOFF_MS = 24 * 3600_000;

/**
 * The sinks a transition's page goes to, given what the stored alert `prev` still owes.
 * `announce`: this process ended the incident itself (a rebuild that finished), so its own
 * terminal hears the RESOLVED whether or not it showed the FIRING.
 */
export function recipients(w: AlertWrite, prev: AlertState | undefined, sinks: readonly string[], announce = false): string[] {
  if (!w.page) return [];
  if (w.page === 'resolved') return [...new Set([...told(prev, sinks), ...(announce ? sinks.filter(isEphemeral) : [])])];
  if (prev && prev.undelivered?.kind === 'resolved') return minus(sinks, told(prev, sinks));
  return [...sinks];
}

/**
 * The write that claims a transition and records its page as owed to `to`, leased to this run
 * until `leaseUntil`. A resolve keeps the alert (resolving) instead of deleting it. With nobody
 * to send to, the plain write.
 */
export function claim(
  w: AlertWrite,
  prev: AlertState | undefined,
  to: string[],
  sinks: readonly string[],
  at: string,
  leaseUntil: string,
): Pick<AlertWrite, 'key' | 'alert' | 'expectedVersion'> {
  const { key, expectedVersion } = w;
  if (!w.page || !w.paged || to.length === 0) return { key, alert: w.alert, expectedVersion };
  if (w.page === 'resolved')
    return { key, alert: { ...w.paged, undelivered: { kind: 'resolved', sinks: to, at, leaseUntil }, version: w.paged.version + 1 }, expectedVersion };
  const unaware = minus(sinks, told(prev, sinks));
  const owed: OwedPage = { kind: w.page, sinks: to, at, ...(w.escalated ? { escalated: true } : {}), ...(unaware.length > 0 ? { unaware } : {}), leaseUntil };
  return { key, alert: { ...w.paged, undelivered: owed }, expectedVersion };
}

/** `a` with its owed page leased to this run until `leaseUntil`: the claim before a retry. */
export function leased(a: AlertState, leaseUntil: string): AlertState {
  return { ...a, undelivered: { ...a.undelivered!, leaseUntil }, version: a.version + 1 };
}

/**
 * `a` once `took` have taken its owed page: owed to the rest, unleased so a later sample retries
 * it; nothing owed once all took it, and a resolving alert then goes (null). Sinks this process
 * does not have are forgotten, except, for a RESOLVED, those told it fired (for HANDOFF_MS).
 */
export function settle(
  a: AlertState,
  took: readonly string[],
  sinks: readonly string[],
  now = new Date(),
  alive: (sink: string) => boolean = () => false,
): AlertState | null {
  const { undelivered: owed, ...rest } = a;
  if (!owed) return { ...rest, version: a.version + 1 };
  const resolvedPage = owed.kind === 'resolved';
  const before = a.toldSinks ?? told(a, sinks);
  const toldSinks = resolvedPage ? minus(before, took) : [...before, ...minus(took, before)];
  const handoff = resolvedPage && now.getTime() - Date.parse(owed.at) < HANDOFF_MS;
  const left = owed.sinks.filter((s) => !took.includes(s) && (sinks.includes(s) || (handoff && toldSinks.includes(s) && (!isEphemeral(s) || alive(s)))));
  if (left.length === 0) return resolvedPage ? null : { ...rest, toldSinks, version: a.version + 1 };
  const { leaseUntil: _lease, unaware, ...page } = owed;
  const still = (unaware ?? []).filter((s) => left.includes(s));
  return { ...rest, toldSinks, undelivered: { ...page, sinks: left, ...(still.length > 0 ? { unaware: still } : {}) }, version: a.version + 1 };
}

/** Whether two owed records are the same page (kind and time), whoever still owes it. */
export const samePage = (a: OwedPage | undefined, b: OwedPage | undefined): boolean => a !== undefined && b !== undefined && a.kind === b.kind && a.at === b.at;
