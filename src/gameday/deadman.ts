import { parse } from 'yaml';

/** One CloudWatch metric alarm of the deployment, as the dead-man stand-in applies it. */
export interface MetricAlarmRule {
  id: string;
  name: string;
  metric: string;
  dimensions: Record<string, string>;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparison: 'LessThanThreshold' | 'LessThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
  treatMissingData: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
}

/** The alarm that pages when the monitor stops: a composite over the per-check dead-man alarms. */
export interface DeadManAlarm {
  id: string;
  name: string;
  children: MetricAlarmRule[];
}

export interface Datapoint {
  metric: string;
  dimensions: Record<string, string>;
  at: number;
  value: number;
}

type Template = { service: string; resources: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } };

/**
 * Reads the dead-man alarm out of serverless.yml itself, so the drill tests the rule that is
 * deployed, not a copy of it: the composite alarm with actions whose children watch
 * `ChecksCompleted`. `${self:service}` and `${sls:stage}` are filled in; CloudFormation tags
 * (`!Sub`, `!Ref`) are read as their plain string, and merge keys (`<<: *alarm`) as merges.
 */
export function deadManAlarm(serverlessYml: string, stage: string): DeadManAlarm {
  const t = parse(serverlessYml, { logLevel: 'silent', merge: true }) as Template;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: these are the Serverless Framework's variables, as the template spells them
  const fill = (s: string) => s.replaceAll('${self:service}', t.service).replaceAll('${sls:stage}', stage);
  const resources = t.resources.Resources;
  const composite = Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::CloudWatch::CompositeAlarm' && /ChecksCompleted|not-reporting/.test(JSON.stringify(r)),
  );
  if (!composite) throw new Error('serverless.yml has no dead-man composite alarm (AWS::CloudWatch::CompositeAlarm over the ChecksCompleted alarms)');
  const [id, { Properties: p }] = composite;
  // The rule joins `ALARM("${Child}")` parts (each under the condition that the fleet has that
  // check; the drill's sandbox has all three); read as plain YAML, each names its child's logical id.
  const named = JSON.stringify(p.AlarmRule);
  const children = Object.keys(resources)
    .filter((child) => resources[child]!.Type === 'AWS::CloudWatch::Alarm' && named.includes(`\${${child}}`))
    .map((child) => {
      const r = resources[child]!;
      const q = r.Properties as Record<string, unknown>;
      if (q.Statistic !== 'Sum') throw new Error(`${child}: the stand-in applies Sum alarms only, not ${String(q.Statistic)}`);
      return {
        id: child,
        name: fill(String(q.AlarmName)),
        metric: String(q.MetricName),
        dimensions: Object.fromEntries(((q.Dimensions as Array<{ Name: string; Value: string }>) ?? []).map((d) => [d.Name, d.Value])),
        periodSeconds: Number(q.Period),
        evaluationPeriods: Number(q.EvaluationPeriods),
        datapointsToAlarm: Number(q.DatapointsToAlarm ?? q.EvaluationPeriods),
        threshold: Number(q.Threshold),
        comparison: q.ComparisonOperator as MetricAlarmRule['comparison'],
        treatMissingData: (q.TreatMissingData ?? 'missing') as MetricAlarmRule['treatMissingData'],
      };
    });
  if (children.length === 0) throw new Error(`dead-man composite ${id} names no AWS::CloudWatch::Alarm in its AlarmRule`);
  return { id, name: fill(String(p.AlarmName)), children };
}

const breaches = (rule: MetricAlarmRule, value: number): boolean =>
  ({
    LessThanThreshold: value < rule.threshold,
    LessThanOrEqualToThreshold: value <= rule.threshold,
    GreaterThanThreshold: value > rule.threshold,
    GreaterThanOrEqualToThreshold: value >= rule.threshold,
  })[rule.comparison];

/**
 * CloudWatch's evaluation of a Sum alarm at `now`, with periods shortened by `timeScale` (the drill
 * cannot wait 3 minutes): the last `evaluationPeriods` whole periods, ALARM when at least
 * `datapointsToAlarm` of them breach; a period with no datapoint counts as `treatMissingData` says.
 */
export function evaluateAlarm(rule: MetricAlarmRule, points: Datapoint[], now: number, timeScale: number): 'ALARM' | 'OK' {
  const period = (rule.periodSeconds * 1000) / timeScale;
  const end = Math.floor(now / period) * period;
  const matching = points.filter((d) => d.metric === rule.metric && Object.entries(rule.dimensions).every(([k, v]) => d.dimensions[k] === v));
  let breaching = 0;
  for (let i = 0; i < rule.evaluationPeriods; i++) {
    const from = end - (i + 1) * period;
    const inPeriod = matching.filter((d) => d.at >= from && d.at < from + period);
    if (inPeriod.length === 0) breaching += rule.treatMissingData === 'breaching' ? 1 : 0;
    else if (
      breaches(
        rule,
        inPeriod.reduce((s, d) => s + d.value, 0),
      )
    )
      breaching++;
  }
  return breaching >= rule.datapointsToAlarm ? 'ALARM' : 'OK';
}

/** The composite's state: ALARM when any child is. */
export function evaluateDeadMan(alarm: DeadManAlarm, points: Datapoint[], now: number, timeScale: number): 'ALARM' | 'OK' {
  return alarm.children.some((c) => evaluateAlarm(c, points, now, timeScale) === 'ALARM') ? 'ALARM' : 'OK';
}
