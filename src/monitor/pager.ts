import { alertKey, resolving, type AlertState } from '../alerting/alert';
import { claim, leased, recipients, samePage, settle, unaware } from '../alerting/delivery';
import { inhibitions } from '../alerting/inhibit';
import { step, type LifecyclePolicy } from '../alerting/lifecycle';
import { formatPage, type Page } from '../alerting/page';
import { activeSilence, silenceMatches, type Silence } from '../alerting/silence';
import { DEAD_PRIMARY_SYMPTOMS } from '../model/codes';
import { isProvisional, type Finding, type FindingCode } from '../model/findings';
import { consoleAlive, type PageSink } from '../sinks/pages';
import type { StateSnapshot, StateStore } from '../state/store';

export interface PagerResult {
  /** Pages every sink they went to took. */
  sent: Page[];
  /** Pages at least one sink refused (owed to those, and sent to them again by a later sample). */
  failed: Array<{ page: Page; sinks: string[]; errors: string[] }>;
  /** Findings not paged, and why: silenced, or inhibited by another finding. */
  held: Map<string, string>;
  /** Writes another run made first: that run pages, not this one. */
  lostRaces: number;
  /** Findings the pager read from the state itself (rebuilds that died): findings of this sample too. */
  fromState?: Finding[];
}

export interface PagerOptions {
  store: StateStore;
  sinks: PageSink[];
  policy: LifecyclePolicy;
  silences: Silence[];
  /** The `host:port` a finding is about (monitor/hosts.ts), for the rule that an unreachable endpoint explains what runs there. */
  endpointOf: (f: Finding) => string | undefined;
  /**
   * The codes this pager owns (a Lambda checks one kind; the CLI all). Alerts of other codes in
   * a shared store are left alone, but their firing ones still inhibit symptoms here.
   */
  codes?: ReadonlySet<FindingCode>;
  /** The targets this pager owns (a dispatched worker: its shard's); others' alerts are left alone. */
  scope?: (f: Pick<Finding, 'cluster' | 'target'>) => boolean;
  /** Extra text for a firing page (the rebuild plan, with autoPlan); bounded in time by the caller. */
  attach?: (f: Finding) => Promise<string | undefined>;
  /**
   * Findings the state itself holds, read with the alerts in the same read: the locks under
   * `lockPrefix` -> findings (the rebuilds that died half-way). A store that cannot be read fails
   * the sample's paging as a whole, never counts their alerts clear.
   */
  fromState?: { lockPrefix: string; findings: (locks: StateSnapshot['locks'], now: Date) => Finding[] };
  /** This process ends incidents itself (the rebuild runbook): its terminal hears their RESOLVED. */
  announceResolved?: boolean;
  /** How long a resolved dead primary still holds its replicas' symptoms (alerts.recoverySeconds); 0: not at all. */
  recoveryMs?: number;
  /** Samples in a row without any of its symptoms after which a recovery hold is lifted (longer than a lag's sustained window). */
  recoveryQuietSamples?: number;
}

/** A dead primary's recovery hold: a stored silence, so every run (and `silence list`) sees it. */
const RECOVERY_PREFIX = 'recovering/';

/** Longer than any sink's bounded send (SNS: under 4 s): an owed page leased by a run that crashed is retried after it. */
const LEASE_MS = 30_000;

/**
 * Findings of a sample -> pages: loads the alert state, holds what is silenced or inhibited,
 * steps the lifecycle (pure), and writes each change conditionally. A page is claimed and
 * recorded as owed in one write before it is sent, and struck off each sink that took it after:
 * of two runs only the one whose write landed sends, and a crash or a refusing sink leaves it
 * owed for a later sample (who gets what then: alerting/delivery.ts). The check itself never
 * fails because paging did.
 */
export class Pager {
  constructor(private readonly o: PagerOptions) {}

  async process(findings: Finding[], now: Date): Promise<PagerResult> {
    const result: PagerResult = { sent: [], failed: [], held: new Map(), lostRaces: 0 };
    const { alerts: everything, silences: stored, locks } = await this.o.store.snapshot(this.o.fromState?.lockPrefix);
    if (this.o.fromState) {
      result.fromState = this.o.fromState.findings(locks, now);
      findings = [...findings, ...result.fromState];
    }
    const owns = (f: Pick<Finding, 'code' | 'cluster' | 'target'>) => (!this.o.codes || this.o.codes.has(f.code)) && (!this.o.scope || this.o.scope(f));
    const alerts = new Map([...everything].filter(([, a]) => owns(a.finding)));
    findings = findings.filter(owns);
    const silences = [...this.o.silences, ...(await this.liftRecovered(stored, findings, now))];
    for (const f of findings) {
      const s = activeSilence(silences, f, now);
      if (s) result.held.set(alertKey(f), `silenced until ${s.to}: ${s.reason}`);
      // Paged once decided, so that neither a wrong first verdict nor a retraction goes out.
      else if (isProvisional(f)) result.held.set(alertKey(f), 'undecided: waiting for the evidence to say which it is');
    }
    for (const [key, why] of this.inhibited(findings, alerts, everything, owns)) if (!result.held.has(key)) result.held.set(key, why);
    const held = new Set(result.held.keys());

    const at = now.toISOString();
    const sinks = this.o.sinks.map((s) => s.name);
    // The alerts as this run left them, for the retries below; keys another run wrote are its own.
    const current = new Map(alerts);
    const paged = new Set<string>();
    for (const w of step(alerts, findings, held, now, this.o.policy)) {
      if (w.page === 'resolved' && w.paged) await this.holdRecovery(w.paged.finding, now);
      const prev = alerts.get(w.key);
      const to = recipients(w, prev, sinks, this.o.announceResolved);
      const attachment = w.page === 'firing' && to.length > 0 && this.o.attach ? await this.o.attach(w.paged!.finding) : undefined;
      const write = claim(w, prev, to, sinks, at, lease(now));
      if (!(await this.o.store.write(write))) {
        result.lostRaces++;
        current.delete(w.key);
        continue;
      }
      if (write.alert) current.set(w.key, write.alert);
      else current.delete(w.key);
      if (!w.page || !w.paged || to.length === 0) continue;
      paged.add(w.key);
      await this.deliver(
        formatPage({ kind: w.page, alert: w.paged, at, escalated: Boolean(w.escalated), ...(attachment ? { attachment } : {}) }),
        write.alert!,
        result,
      );
    }
    await this.deliverOwed(current, paged, held, now, result);
    await this.tellUnaware(current, paged, held, now, result);
    return result;
  }

  /**
   * Pages owed since an earlier sample (a refusing sink, a crash) and not superseded by one of
   * this sample. A held alert is not paged, not even late; a RESOLVED still goes: it is over.
   */
  private async deliverOwed(current: Map<string, AlertState>, paged: Set<string>, held: Set<string>, now: Date, result: PagerResult): Promise<void> {
    for (const a of current.values()) {
      const owed = a.undelivered;
      if (!owed || paged.has(a.key) || (owed.leaseUntil && Date.parse(owed.leaseUntil) > now.getTime())) continue;
      if (held.has(a.key) && !resolving(a)) continue;
      const claimed = leased(a, lease(now));
      if (!(await this.o.store.write({ key: a.key, alert: claimed, expectedVersion: a.version }))) {
        result.lostRaces++;
        continue;
      }
      // The plan is read again: the replica may have changed since the first attempt.
      const attachment = owed.kind === 'firing' && this.o.attach ? await this.o.attach(a.finding) : undefined;
      await this.deliver(
        formatPage({ kind: owed.kind, alert: a, at: owed.at, escalated: Boolean(owed.escalated), ...(attachment ? { attachment } : {}) }),
        claimed,
        result,
      );
    }
  }

  /**
   * A firing alert that sinks of this process were never told of (another process paged it: the
   * runbook's failure, a watcher started since or with another --pages file): they get its FIRING
   * now, so that each of them reads FIRING before its RESOLVED, and none misses an open incident.
   */
  private async tellUnaware(current: Map<string, AlertState>, paged: Set<string>, held: Set<string>, now: Date, result: PagerResult): Promise<void> {
    const sinks = this.o.sinks.map((s) => s.name);
    for (const a of current.values()) {
      if (paged.has(a.key) || held.has(a.key) || a.undelivered || a.status !== 'firing') continue;
      const missing = unaware(a, sinks);
      if (missing.length === 0) continue;
      const at = now.toISOString();
      const claimed: AlertState = { ...a, undelivered: { kind: 'firing', sinks: missing, at, leaseUntil: lease(now) }, version: a.version + 1 };
      if (!(await this.o.store.write({ key: a.key, alert: claimed, expectedVersion: a.version }))) {
        result.lostRaces++;
        continue;
      }
      const attachment = this.o.attach ? await this.o.attach(a.finding) : undefined;
      await this.deliver(formatPage({ kind: 'firing', alert: a, at, escalated: false, ...(attachment ? { attachment } : {}) }), claimed, result);
    }
  }

  /**
   * What inhibition holds: current findings that are symptoms of others, and stored firing
   * alerts whose finding is gone now but would be such a symptom (a replica's lag alert when its
   * primary dies: held, not resolved). The cause is a current finding, a firing alert of another
   * check, or a firing alert of this one that is clearing but not yet resolved: an incident holds
   * its symptoms until it is over (replicas reconnecting to a primary that has just come back).
   */
  private inhibited(
    findings: Finding[],
    alerts: Map<string, AlertState>,
    everything: Map<string, AlertState>,
    owns: (f: Pick<Finding, 'code' | 'cluster' | 'target'>) => boolean,
  ): Map<string, string> {
    const current = new Set(findings.map(alertKey));
    // A resolving alert is over: nothing to hold, and no cause.
    const firing = (a: AlertState) => a.status === 'firing' && !resolving(a);
    const gone = [...alerts.values()].filter((a) => firing(a) && !current.has(a.key)).map((a) => a.finding);
    const elsewhere = [...everything.values()].filter((a) => firing(a) && !owns(a.finding)).map((a) => a.finding);
    const causes = new Set([...current, ...gone.map(alertKey), ...elsewhere.map(alertKey)]);
    const firingNow = new Set([...everything.values()].filter(firing).map((a) => a.key));
    const out = new Map<string, string>();
    for (const i of inhibitions([...findings, ...gone, ...elsewhere], this.o.endpointOf, firingNow)) {
      const [code, cluster, target] = i.key.split('|') as [FindingCode, string, string];
      if (causes.has(i.by) && owns({ code, cluster, target })) out.set(i.key, `inhibited by ${i.by}`);
    }
    return out;
  }

  /**
   * A dead primary that answers again is over, but its replicas are not well yet: an IO thread
   * that gave up on it reconnects only at its next retry (MASTER_CONNECT_RETRY, 60 s by default),
   * then catches up. Their IO errors and lag are still that incident's, so they are held a while
   * (alerts.recoverySeconds), as a silence anyone can list; one that lasts past it pages.
   */
  private async holdRecovery(f: Finding, now: Date): Promise<void> {
    if (!this.o.recoveryMs || f.code !== 'PrimaryUnreachable' || f.severity !== 'critical') return;
    const to = new Date(now.getTime() + this.o.recoveryMs);
    await this.o.store
      .addSilence({
        id: `${RECOVERY_PREFIX}${f.cluster}`,
        cluster: f.cluster,
        codes: [...DEAD_PRIMARY_SYMPTOMS],
        from: now.toISOString(),
        to: to.toISOString(),
        reason: `the primary ${f.target} is back (PrimaryUnreachable resolved): its replicas' reconnect and catch-up are part of that incident; lifted once they are well`,
        createdBy: 'replwatch',
      })
      .catch(() => undefined);
  }

  /**
   * Recovery holds whose replicas are well again are lifted, not waited out: well means none of
   * its symptoms for `recoveryQuietSamples` samples in a row, longer than a lag needs to be
   * sustained (a replica that reconnected shows its lag only once sustained).
   */
  private async liftRecovered(stored: Silence[], findings: Finding[], now: Date): Promise<Silence[]> {
    const kept: Silence[] = [];
    for (const s of stored) {
      const mine =
        s.id.startsWith(RECOVERY_PREFIX) &&
        s.cluster !== undefined &&
        (!this.o.codes || this.o.codes.has('PrimaryUnreachable')) &&
        (!this.o.scope || this.o.scope({ cluster: s.cluster, target: '' }));
      if (!mine || Date.parse(s.from) >= now.getTime()) {
        kept.push(s);
        continue;
      }
      const quiet = findings.some((f) => silenceMatches(s, f, now)) ? 0 : (s.quietSamples ?? 0) + 1;
      if (quiet >= (this.o.recoveryQuietSamples ?? 3)) {
        await this.o.store.removeSilence(s.id).catch(() => undefined);
        continue;
      }
      const next = { ...s, quietSamples: quiet };
      if (quiet !== (s.quietSamples ?? 0)) await this.o.store.addSilence(next).catch(() => undefined);
      kept.push(next);
    }
    return kept;
  }

  /** Sends `page` to the sinks `claimed` owes it to; then strikes off those that took it. */
  private async deliver(page: Page, claimed: AlertState, result: PagerResult): Promise<void> {
    const targets = this.o.sinks.filter((s) => claimed.undelivered!.sinks.includes(s.name));
    const outcomes = await Promise.all(
      targets.map((s) =>
        s.send(page).then(
          () => undefined,
          (e: Error) => ({ sink: s.name, error: e.message }),
        ),
      ),
    );
    const failures = outcomes.filter((o): o is { sink: string; error: string } => o !== undefined);
    if (failures.length > 0) result.failed.push({ page, sinks: failures.map((f) => f.sink), errors: failures.map((f) => `${f.sink}: ${f.error}`) });
    else if (targets.length > 0) result.sent.push(page);
    const took = targets.filter((_, i) => outcomes[i] === undefined).map((s) => s.name);
    const sinks = this.o.sinks.map((s) => s.name);
    let base = claimed;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.o.store.write({ key: base.key, alert: settle(base, took, sinks, new Date(), consoleAlive), expectedVersion: base.version })) return;
      // Another run wrote the alert while this one sent (a clear sample, say): strike off the
      // sinks on what it holds now, if that still owes this very page; a newer one superseded it.
      const fresh = await this.o.store.loadAlert(base.key);
      if (!fresh || !samePage(fresh.undelivered, claimed.undelivered)) return;
      base = fresh;
    }
  }
}

const lease = (now: Date) => new Date(now.getTime() + LEASE_MS).toISOString();
