/**
 * How the `replwatch` commands this process prints are spelled: the program (`replwatch` on an
 * installed one; the path of this checkout's bin where it is not on PATH) and the flags that
 * reach this process's config and state from any directory (cli/paths.ts). The deployed
 * functions print plain `replwatch ...`: on-call runs it with their own config.
 */
export interface CommandStyle {
  program: string;
  flags: string;
}

export const DEPLOYED_STYLE: CommandStyle = { program: 'replwatch', flags: '' };

/** `replwatch ARGS [flags]` as this process prints it. */
export function replwatchLine(args: string, style: CommandStyle = DEPLOYED_STYLE): string {
  return [style.program, args, style.flags].filter(Boolean).join(' ');
}
