import type { RebuildPlan } from './plan';

/** The plan as a person reads it: in the terminal, and attached to a page (autoPlan). */
export function renderPlan(plan: RebuildPlan): string {
  return [
    `Plan: rebuild ${plan.replica} of cluster ${plan.cluster} from ${plan.donor} (reads only; nothing was changed)`,
    ...plan.steps.map((s, i) => `  ${i + 1}. ${s}`),
    ...plan.warnings.map((w) => `  warning: ${w}`),
    `Estimated time: about ${plan.estimateSeconds} s for ${plan.totalRows} rows, ${(plan.totalBytes / 1024 / 1024).toFixed(1)} MB.`,
    `To run it: ${plan.command}`,
  ].join('\n');
}
