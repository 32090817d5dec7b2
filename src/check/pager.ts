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
  /** Extra text for a firing page (the rebuild plan, with autoPlan); bounded in time by the caller. */
  attach?: (f: Finding) => Promise<string | undefined>;
}

/**
 * Findings of a sample -> pages: loads the alert state, holds what is silenced or inhibited,
 * steps the lifecycle (pure), writes each change conditionally, and pages only for the writes
 * that landed. A sink that fails is recorded on the alert and retried next sample; the check
 * itself never fails because paging did.
 */
export class Pager {
  constructor(private readonly o: PagerOptions) {}

  async process(findings: Finding[], now: Date): Promise<PagerResult> {
    const result: PagerResult = { sent: [], failed: [], held: new Map(), lostRaces: 0 };
    const [everything, stored] = await Promise.all([this.o.store.loadAlerts(), this.o.store.listSilences()]);
    const owns = (code: FindingCode) => !this.o.codes || this.o.codes.has(code);
    const alerts = new Map([...everything].filter(([, a]) => owns(a.finding.code)));
    findings = findings.filter((f) => owns(f.code));
    const silences = [...this.o.silences, ...stored];
    for (const f of findings) {
      const s = activeSilence(silences, f, now);
      if (s) result.held.set(alertKey(f), `silenced until ${s.to}: ${s.reason}`);
    }
    const firingElsewhere = [...everything.values()].filter((a) => a.status === 'firing' && !owns(a.finding.code)).map((a) => a.finding);
    for (const i of inhibitions([...findings, ...firingElsewhere], this.o.hostOf)) {
      if (owns(i.key.split('|')[0] as FindingCode) && !result.held.has(i.key)) result.held.set(i.key, `inhibited by ${i.by}`);
    }

    const writes = step(alerts, findings, new Set(result.held.keys()), now, this.o.policy);
    const at = now.toISOString();
    for (const w of writes) {
      const landed = await this.o.store.write(w);
      if (!landed) {
        result.lostRaces++;
        continue;
      }
      if (!w.page || !w.paged) continue;
      // A resolve owed to some sinks since an earlier sample goes to those sinks only.
      const owed = alerts.get(w.key)?.undelivered;
      const sinks = owed && owed.kind === w.page ? this.o.sinks.filter((s) => owed.sinks.includes(s.name)) : this.o.sinks;
      const attachment = w.page === 'firing' && this.o.attach ? await this.o.attach(w.paged.finding) : undefined;
      await this.deliver(formatPage(w.page, w.paged, at, w.escalated, attachment), sinks, w, result);
    }
    // Pages that some sinks refused earlier, for alerts this sample did not page again.
    const written = new Set(writes.map((w) => w.key));
    for (const alert of alerts.values()) {
      if (!alert.undelivered || written.has(alert.key)) continue;
      const sinks = this.o.sinks.filter((s) => alert.undelivered!.sinks.includes(s.name));
      const retry: AlertWrite = { key: alert.key, alert: { ...alert, version: alert.version + 1 }, expectedVersion: alert.version, page: alert.undelivered.kind, paged: alert };
      await this.deliver(formatPage(alert.undelivered.kind, alert, alert.undelivered.at), sinks, retry, result, true);
    }
    return result;
  }

  private async deliver(page: Page, sinks: PageSink[], w: AlertWrite, result: PagerResult, isRetry = false): Promise<void> {
    const outcomes = await Promise.all(sinks.map((s) => s.send(page).then(() => undefined, (e: Error) => ({ sink: s.name, error: e.message }))));
    const failures = outcomes.filter((o): o is { sink: string; error: string } => o !== undefined);
    if (failures.length === 0) {
      result.sent.push(page);
      if (isRetry) await this.o.store.write({ key: w.key, alert: { ...w.alert!, undelivered: undefined }, expectedVersion: w.expectedVersion });
      return;
    }
    result.failed.push({ page, sinks: failures.map((f) => f.sink), errors: failures.map((f) => `${f.sink}: ${f.error}`) });
    const undelivered = { kind: page.kind, sinks: failures.map((f) => f.sink), at: page.at };
    if (w.alert) {
      // Remember who still owes this page; the next sample sends it to them.
      const base: AlertState = isRetry ? w.paged! : w.alert;
      await this.o.store.write({ key: w.key, alert: { ...base, undelivered, version: base.version + 1 }, expectedVersion: base.version });
    } else if (w.paged) {
      // A resolve that was not delivered: keep the alert, one clear sample from resolving again.
      await this.o.store.write({ key: w.key, alert: { ...w.paged, consecutiveClear: Math.max(0, this.o.policy.resolveSamples - 1), undelivered, version: w.paged.version + 1 }, expectedVersion: null });
    }
  }
}
