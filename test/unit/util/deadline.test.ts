import { describe, expect, it, vi } from 'vitest';
import { DeadlineError, withDeadline } from '../../../src/util/deadline';

describe('withDeadline', () => {
  it('settles with the work when it answers in time, and leaves no timer behind', async () => {
    const onTimeout = vi.fn();
    expect(await withDeadline(Promise.resolve(7), 1000, 'read', onTimeout)).toBe(7);
    await expect(withDeadline(Promise.reject(new Error('refused')), 1000, 'read')).rejects.toThrow('refused');
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('rejects a hung peer with ETIMEDOUT naming what hung, and calls onTimeout to free its socket', async () => {
    const onTimeout = vi.fn();
    const hung = new Promise<never>(() => undefined);
    const e = await withDeadline(hung, 20, 'memcached stats', onTimeout).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(DeadlineError);
    expect(e).toMatchObject({ code: 'ETIMEDOUT', message: 'memcached stats: no answer within 20 ms' });
    expect(onTimeout).toHaveBeenCalledOnce();
  });
});
