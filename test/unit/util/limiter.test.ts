import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../../src/util/limiter';

describe('createLimiter', () => {
  it('runs at most `limit` tasks at once across callers, and frees a slot when a task fails', async () => {
    const limit = createLimiter(2);
    let active = 0;
    let most = 0;
    const task = (fail: boolean) => async () => {
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      if (fail) throw new Error('boom');
      return 'ok';
    };
    const results = await Promise.allSettled([true, false, true, false, false, false].map((f) => limit(task(f))));
    expect(most).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(await limit(async () => 'after')).toBe('after');
  });
});
