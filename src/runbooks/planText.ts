import type { RebuildPlan } from './plan';
import type { PhysicalPlan } from './physical/plan';
import type { Planned } from './strategies';

/** The plan as a person reads it: in the terminal, and attached to a page (autoPlan). */
export function renderPlanned(planned: Planned): string {
  const chosen = planned.chosen ? [`Strategy: ${planned.strategy} (auto: ${planned.chosen})`] : [];
  if (planned.strategy === 'logical') return [...chosen, renderPlan(planned.plan)].join('\n');
  if (planned.strategy === 'physical') return [...chosen, renderPhysicalPlan(planned.plan)].join('\n');
  // Its steps were printed as they were checked (the planned events).
  return [`Plan: replace the RDS read replica ${planned.replicaId}, keeping its endpoint (nothing was changed)`, `To run it: ${planned.command}`].join('\n');
}

export function renderPhysicalPlan(plan: PhysicalPlan): string {
  return [
    `Plan: rebuild ${plan.replica} of cluster ${plan.cluster} physically from ${plan.donor} (reads only; nothing was changed)`,
    ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`),
    ...plan.warnings.map((w) => `  warning: ${w}`),
    `Estimated time: about ${plan.estimateSeconds} s for ${(plan.dataBytes / 1024 / 1024).toFixed(1)} MB of data files (the logical strategy: about ${plan.logicalEstimateSeconds} s).`,
    `To run it: ${plan.command}`,
  ].join('\n');
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
