import { describe, expect, it } from 'vitest';
import { LeaseLost, RebuildFailed, RebuildPaused, RunbookRefusal, unfinished } from '../../../src/runbooks/errors';
import { freshCheckpoint } from '../../../src/runbooks/checkpoint';

const failed = (page?: RebuildFailed['page']) => {
  const e = new RebuildFailed('copy rows', new Error('1045 Access denied'));
  e.resume = 'replwatch runbook rebuild-replica --cluster main --replica main-r1 --execute --resume';
  if (page) e.page = page;
  return e;
};

describe('how a rebuild that did not finish is told (CLI and Lambda alike)', () => {
  it('names a refusal, a lost lock and a pause as such', () => {
    expect(unfinished(new RunbookRefusal('main-r1 is the primary'), 'main-r1')).toEqual({ outcome: 'refused', message: 'refused: main-r1 is the primary' });
    expect(unfinished(new LeaseLost('another run holds rebuild/main'), 'main-r1')).toEqual({
      outcome: 'stopped',
      message: "stopped at once: another run holds rebuild/main; main-r1 was left as it is, without cleanup: it is that run's now",
    });
    expect(unfinished(new RebuildPaused(freshCheckpoint('main-r1'), 'out of time'), 'main-r1')).toMatchObject({ outcome: 'paused' });
  });

  it('gives a failure its resume command and what became of its page', () => {
    expect(unfinished(failed({ sent: true, errors: [] }), 'main-r1')).toMatchObject({
      outcome: 'failed',
      message: 'rebuild failed at "copy rows": 1045 Access denied; the replica is left stopped and read_only',
      resume: 'replwatch runbook rebuild-replica --cluster main --replica main-r1 --execute --resume',
      paging: { text: 'paged the failure', state: 'sent' },
    });
    expect(unfinished(failed({ sent: false, errors: ['sns: throttled'] }), 'main-r1')!.paging).toEqual({
      text: 'the failure page was not delivered: sns: throttled',
      state: 'refused',
    });
    expect(unfinished(failed({ sent: false, errors: [], held: 'silenced until 10:00: maintenance' }), 'main-r1')!.paging).toEqual({
      text: 'the failure was not paged: silenced until 10:00: maintenance',
      state: 'not paged',
    });
    expect(unfinished(failed({ sent: false, errors: [] }), 'main-r1')!.paging!.text).toBe('the failure was not paged: no sink is configured to take it');
    expect(unfinished(failed(), 'main-r1')!.paging).toBeUndefined();
  });

  it('is nothing for an error that is not a rebuild stopping', () => {
    expect(unfinished(new Error('bug'), 'main-r1')).toBeUndefined();
  });
});
