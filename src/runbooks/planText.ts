import type { RebuildPlan } from './plan';
import type { Planned } from './strategies';

/** The plan as a person reads it: in the terminal, and attached to a page (autoPlan). */
export function renderPlanned(planned: Planned): string {
  if (planned.strategy === 'logical') return renderPlan(planned.plan);
  // Its steps were printed as they were checked (the planned events).
  return [`Plan: replace the RDS read replica ${planned.replicaId}, keeping its endpoint (nothing was changed)`, `To run it: ${planned.command}`].join('\n');
}

export function renderPlan(plan: RebuildPlan): string {
  return [
    `Plan: rebuild ${plan.replica} of cluster ${plan.cluster} from ${plan.donor} (reads only; nothing was changed)`,
    ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`),
    ...plan.warnings.map((w) => `  warning: ${w}`),
    `Estimated time: about ${plan.estimateSeconds} s for ${plan.totalRows} rows, ${(plan.totalBytes / 1024 / 1024).toFixed(1)} MB.`,
    `To run it: ${plan.command}`,
  ].join('\n');
}
