import { describe, expect, it } from 'vitest';
import { closest, distance } from '../../../src/util/suggest';

describe('distance', () => {
  it('counts inserts, deletes, substitutions and a swap of neighbours as one edit each, ignoring case', () => {
    expect(distance('replicas', 'replicas')).toBe(0);
    expect(distance('Replicas', 'replicas')).toBe(0);
    expect(distance('replica', 'replicas')).toBe(1);
    expect(distance('rpelicas', 'replicas')).toBe(1);
    expect(distance('replixas', 'replicas')).toBe(1);
    expect(distance('', 'abc')).toBe(3);
  });
});

describe('closest', () => {
  const keys = ['replicas', 'primary', 'memcache', 'network'];
  it('names the key a typo most likely meant', () => {
    expect(closest('replcas', keys)).toBe('replicas');
    expect(closest('primray', keys)).toBe('primary');
  });
  it('names none when a third of the letters or more are wrong', () => {
    expect(closest('zzzzzzz', keys)).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
  });
});
