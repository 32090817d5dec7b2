import type { AlertState, AlertWrite } from '../alerting/alert';
import { inhibitions } from '../alerting/inhibit';
import { step, type LifecyclePolicy } from '../alerting/lifecycle';
import { formatPage, type Page } from '../alerting/page';
import { activeSilence, type Silence } from '../alerting/silence';
import { alertKey } from '../alerting/alert';
import type { Finding, FindingCode } from '../model/findings';
import type { PageSink } from '../sinks/pages';
import type { StateStore } from '../state/store';

export interface PagerResult {
  /** Pages every sink took. */
  sent: Page[];
  /** Pages at least one sink refused (to be sent to those again next sample). */
  failed: Array<{ page: Page; sinks: string[]; errors: string[] }>;
  /** Findings not paged, and why: silenced, or inhibited by another finding. */
  held: Map<string, string>;
  /** Writes another run made first: that run pages, not this one. */
  lostRaces: number;
}

export interface PagerOptions {
  store: StateStore;
  sinks: PageSink[];
  policy: LifecyclePolicy;
  silences: Silence[];
  hostOf: (f: Finding) => string | undefined;
  /**
   * The codes this pager owns (a Lambda checks one kind; the CLI all). Alerts of other codes in
   * a shared store are left alone, but their firing ones still inhibit symptoms here.
   */
  codes?: ReadonlySet<FindingCode>;
  /** The targets this pager owns (a dispatched worker: its shard's); others' alerts are left alone. */
  scope?: (f: Pick<Finding, 'cluster' | 'target'>) => boolean;
  /** Extra text for a firing page (the rebuild plan, with autoPlan); bounded in time by the caller. */
  attach?: (f: Finding) => Promise<string | undefined>;
}

/** Longer than any sink's bounded send (SNS: under 4 s): an owed page leased by a run that crashed is retried after it. */
const LEASE_MS = 30_000;

/**
 * Findings of a sample -> pages: loads the alert state, holds what is silenced or inhibited,
 * steps the lifecycle (pure), writes each change conditionally, and pages only for the writes
 * that landed. A page is recorded as owed in the same write, before it is sent, and cleared once
 * every sink took it: a crash or a refusing sink leaves it owed, and a later sample sends it.
 * The check itself never fails because paging did.
 */
export class Pager {
  constructor(private readonly o: PagerOptions) {}

  async process(findings: Finding[], now: Date): Promise<PagerResult> {
    const result: PagerResult = { sent: [], failed: [], held: new Map(), lostRaces: 0 };
    const [everything, stored] = await Promise.all([this.o.store.loadAlerts(), this.o.store.listSilences()]);
    const owns = (f: Pick<Finding, 'code' | 'cluster' | 'target'>) => (!this.o.codes || this.o.codes.has(f.code)) && (!this.o.scope || this.o.scope(f));
    const alerts = new Map([...everything].filter(([, a]) => owns(a.finding)));
    findings = findings.filter(owns);
    const silences = [...this.o.silences, ...stored];
    for (const f of findings) {
      const s = activeSilence(silences, f, now);
      if (s) result.held.set(alertKey(f), `silenced until ${s.to}: ${s.reason}`);
    }
    for (const [key, why] of this.inhibited(findings, alerts, everything, owns)) if (!result.held.has(key)) result.held.set(key, why);

    const writes = step(alerts, findings, new Set(result.held.keys()), now, this.o.policy);
    const at = now.toISOString();
    for (const w of writes) {
      if (!w.page || !w.paged) {
        if (!(await this.o.store.write(w))) result.lostRaces++;
        continue;
      }
      const owed = alerts.get(w.key)?.undelivered;
      // Resolving again an alert whose resolve some sinks refused: only they still need it. Any
      // other transition supersedes what was owed, and goes to every sink.
      const sinks = w.page === 'resolved' && owed?.kind === 'resolved' ? this.o.sinks.filter((s) => owed.sinks.includes(s.name)) : this.o.sinks;
      const attachment = w.page === 'firing' && this.o.attach ? await this.o.attach(w.paged.finding) : undefined;
      const page = formatPage(w.page, w.paged, at, w.escalated, attachment);
      const claim: AlertWrite = w.alert ? { ...w, alert: { ...w.alert, undelivered: { kind: w.page, sinks: sinks.map((x) => x.name), at, leaseUntil: lease(now) } } } : w;
      if (!(await this.o.store.write(claim))) {
        result.lostRaces++;
        continue;
      }
      await this.deliver(page, sinks, claim, result);
    }
    // Pages owed since an earlier sample (a refusing sink, a crash) for alerts this sample did not page.
    const written = new Set(writes.map((w) => w.key));
    for (const alert of alerts.values()) {
      const u = alert.undelivered;
      if (!u || written.has(alert.key) || (u.leaseUntil && Date.parse(u.leaseUntil) > now.getTime())) continue;
      // Claim before sending: of two runs that both see it owed, only the one whose write lands sends.
      const claimed: AlertState = { ...alert, undelivered: { ...u, leaseUntil: lease(now) }, version: alert.version + 1 };
      if (!(await this.o.store.write({ key: alert.key, alert: claimed, expectedVersion: alert.version }))) {
        result.lostRaces++;
        continue;
      }
      const sinks = this.o.sinks.filter((s) => u.sinks.includes(s.name));
      await this.deliver(formatPage(u.kind, alert, u.at), sinks, { key: alert.key, alert: claimed, expectedVersion: alert.version, page: u.kind, paged: alert }, result);
    }
    return result;
  }

  /**
   * What inhibition holds: current findings that are symptoms of others, and stored firing
   * alerts whose finding is gone now but would be such a symptom (a replica's lag alert when its
   * primary dies: held, not resolved). Only current findings, and firing alerts of other checks,
   * can be the cause.
   */
  private inhibited(findings: Finding[], alerts: Map<string, AlertState>, everything: Map<string, AlertState>, owns: (f: Pick<Finding, 'code' | 'cluster' | 'target'>) => boolean): Map<string, string> {
    const current = new Set(findings.map(alertKey));
    const gone = [...alerts.values()].filter((a) => a.status === 'firing' && !current.has(a.key)).map((a) => a.finding);
    const elsewhere = [...everything.values()].filter((a) => a.status === 'firing' && !owns(a.finding)).map((a) => a.finding);
    const causes = new Set([...current, ...elsewhere.map(alertKey)]);
    const out = new Map<string, string>();
    for (const i of inhibitions([...findings, ...gone, ...elsewhere], this.o.hostOf)) {
      const [code, cluster, target] = i.key.split('|') as [FindingCode, string, string];
      if (causes.has(i.by) && owns({ code, cluster, target })) out.set(i.key, `inhibited by ${i.by}`);
    }
    return out;
  }

  /** Sends `page`; then clears what was owed, or records the sinks that still owe it. */
  private async deliver(page: Page, sinks: PageSink[], w: AlertWrite, result: PagerResult): Promise<void> {
    const outcomes = await Promise.all(sinks.map((s) => s.send(page).then(() => undefined, (e: Error) => ({ sink: s.name, error: e.message }))));
    const failures = outcomes.filter((o): o is { sink: string; error: string } => o !== undefined);
    if (failures.length === 0) {
      result.sent.push(page);
      if (w.alert) await this.o.store.write({ key: w.key, alert: { ...w.alert, undelivered: undefined, version: w.alert.version + 1 }, expectedVersion: w.alert.version });
      return;
    }
    result.failed.push({ page, sinks: failures.map((f) => f.sink), errors: failures.map((f) => `${f.sink}: ${f.error}`) });
    const undelivered = { kind: page.kind, sinks: failures.map((f) => f.sink), at: page.at };
    if (w.alert) {
      await this.o.store.write({ key: w.key, alert: { ...w.alert, undelivered, version: w.alert.version + 1 }, expectedVersion: w.alert.version });
    } else if (w.paged) {
      // A resolve that was not delivered: keep the alert, one clear sample from resolving again.
      await this.o.store.write({ key: w.key, alert: { ...w.paged, consecutiveClear: Math.max(0, this.o.policy.resolveSamples - 1), undelivered, version: w.paged.version + 1 }, expectedVersion: null });
    }
  }
}

const lease = (now: Date) => new Date(now.getTime() + LEASE_MS).toISOString();
