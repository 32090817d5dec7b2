import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load';
import { codeBlocks, readDoc, section } from '../../support/docs';

/** The one YAML example under a heading of a page. */
function example(file: string, heading: string): string {
  const blocks = codeBlocks(section(readDoc(file), heading)).filter((b) => b.lang === 'yaml');
  expect(blocks, `${file}, ${heading}: one yaml block`).toHaveLength(1);
  return blocks[0]!.body;
}

describe('the config examples of the docs', () => {
  it("docs/config.md's full example is a valid config, every field as written", () => {
    const config = parseConfig(example('docs/config.md', 'A full example'), 'docs/config.md');
    expect(config.shardSize).toBe(200);
    expect(config.clusters[0]!.name).toBe('main');
    expect(config.memcache[0]!.name).toBe('sessions');
    expect(config.network[0]!.name).toBe('db-hosts');
    expect(config.alerts.silences).toHaveLength(1);
  });

  it("README.md's minimal config is a valid config of one cluster, everything else at its default", () => {
    const config = parseConfig(example('README.md', 'On your fleet'), 'README.md');
    expect(config.clusters.map((c) => [c.name, c.replicas.map((r) => r.name)])).toEqual([['main', ['main-r1']]]);
    expect(config.memcache).toEqual([]);
    expect(config.network).toEqual([]);
  });
});
