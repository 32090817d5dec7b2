import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load';

describe("the README's config example", () => {
  it('is a valid config, every field as written', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /### Config[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const config = parseConfig(block!, 'README.md');
    expect(config.shardSize).toBe(200);
    expect(config.clusters[0]!.name).toBe('main');
  });
});
