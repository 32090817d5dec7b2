import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { SandboxState } from '../../src/sandbox/sandbox';

/**
 * The environment a check Lambda runs with, on the sandbox: its config (the sandbox's, with
 * `overrides`) as REPLWATCH_CONFIG, a state table and a pages topic. Set before the function's
 * module is imported: it reads its config once per container.
 */
export function lambdaEnv(sb: SandboxState, name: string, overrides: Record<string, unknown>): string {
  const file = join(sb.dir, `${name}.yml`);
  writeFileSync(file, JSON.stringify({ ...parse(readFileSync(sb.configFile, 'utf8')), ...overrides }));
  process.env.REPLWATCH_CONFIG = file;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.STATE_TABLE = `replwatch-state-${name}`;
  process.env.PAGES_TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:pages';
  return file;
}
